"""smtpdoctor: find out why an app's SMTP mail fails, and say the fix."""

__version__ = "0.1.0"
