"""Server reply text that needs no network code: decoding, and what the
common MTAs' texts mean. Light to import, for `explain` as much as for probes."""

from __future__ import annotations


def decode_reply(text: str) -> str:
    """aiosmtplib decodes with surrogateescape; older QQ servers answer in GBK.
    Recover the bytes and try UTF-8, then GB18030 (a superset of GBK)."""
    raw = text.encode("utf-8", "surrogateescape")
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "replace")


# Reply texts of the common MTAs, documented by Postfix (postconf(5), access(5))
# and Exim's default configuration: what they say, whatever command they answer.
# A sender refusal can arrive in reply to RCPT TO (Postfix checks the sender
# login there), so the text decides, not the command.
MTA_REPLIES: tuple[tuple[str, str], ...] = (
    ("sender address rejected: not owned by user", "envelope.sender_not_login"),
    ("sender address rejected: not logged in", "envelope.auth_required"),
    ("sender verify failed", "envelope.sender_rejected"),
    ("sender address rejected", "envelope.sender_rejected"),
    ("relay access denied", "envelope.relay_denied"),
    ("relay not permitted", "envelope.relay_denied"),
    ("relaying denied", "envelope.relay_denied"),
    ("unable to relay", "envelope.relay_denied"),
    ("recipient address rejected", "envelope.recipient_rejected"),
    ("incorrect authentication data", "auth.bad_credentials"),
    ("authentication failed", "auth.bad_credentials"),
)


def classify_mta_reply(text: str) -> str | None:
    folded = text.casefold()
    return next((reason for needle, reason in MTA_REPLIES if needle in folded), None)


