"""What crosses a socket: connections and TLS contexts, redaction, the plaintext sniff,
the OAuth2 token request, IMAP, and the message put on the wire."""
