"""Every sentence a user reads: catalogue rendering, the JSON document, the terminal,
CI formats and the console streams."""
