"""One standalone program per real client library: each takes one JSON settings object,
tries to send one message, and prints one JSON line {"delivered": bool, "error": str}."""
