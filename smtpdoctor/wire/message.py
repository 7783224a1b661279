"""The send-test message: every header a strict server (NetEase) expects."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTPUTF8
from email.utils import format_datetime, make_msgid

from smtpdoctor.codes import __version__
from smtpdoctor.config.values import Settings
from smtpdoctor.wire.addresses import wire_address


def new_message_id(s: Settings) -> str:
    return make_msgid("smtpdoctor", domain=wire_address(s.sender or "")[0].rpartition("@")[2] or None)


def build_message(s: Settings, recipients: tuple[str, ...], *, subject: str | None = None,
                  body: str | None = None, now: datetime | None = None,
                  smtputf8: bool = False, message_id: str | None = None, token: str = "") -> bytes:
    now = now or datetime.now(UTC).astimezone()
    machine = socket.gethostname()
    message = EmailMessage()
    # The addresses as the envelope has them: an internationalised domain as its A-label
    # (RFC 5890), so only a non-ASCII local part needs SMTPUTF8's UTF-8 headers (RFC 6532).
    message["From"] = wire_address(s.sender)[0] if s.sender else ""
    message["To"] = ", ".join(wire_address(r)[0] for r in recipients)
    message["Subject"] = subject or f"smtpdoctor test from {machine}"
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id or new_message_id(s)
    message["X-Mailer"] = f"smtpdoctor/{__version__}"
    if token:
        # What --confirm looks for beside the Message-ID (some servers rewrite that).
        message["X-Smtpdoctor-Token"] = token
    lines = [
        body or "This is a test message from smtpdoctor: if you can read it, this mail "
        "setup delivers.",
        "",
        f"Sent by:   {s.username} via {s.host}:{s.port} ({s.security})",
        f"Sender:    {s.sender}",
        f"Machine:   {machine}",
        f"Time:      {now.isoformat(timespec='seconds')}",
        f"Settings:  {s.family or 'options'}",
        "",
        f"smtpdoctor {__version__}",
    ]
    message.set_content("\n".join(lines), charset="utf-8")
    # Non-ASCII addresses travel as UTF-8 headers, which only SMTPUTF8 allows.
    return message.as_bytes(policy=SMTPUTF8 if smtputf8 else message.policy)
