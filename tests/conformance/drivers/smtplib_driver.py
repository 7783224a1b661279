"""CPython's smtplib, the way apps call it.

Settings (besides host, port, user, password, sender, recipient, timeout, ca_file, trust):

- ``pattern``:
  - ``"seed003"``: the Flask app of seed 003 (rhj/backend FAuth._send_email) exactly:
    ``smtplib.SMTP(MAIL_SERVER, MAIL_PORT)`` with no timeout, ``starttls()`` with no context
    only if ``use_tls`` (its MAIL_USE_TLS), then ``login()`` unconditionally and
    ``send_message()``; ``quit()`` in a finally. ``timeout`` is ignored: the app passes none.
  - ``"ssl"``: ``smtplib.SMTP_SSL(host, port[, timeout][, context])``, login if a user is set.
  - ``"starttls"``: ``smtplib.SMTP(host, port[, timeout])``, ``starttls([context])``, login if a
    user is set.
  - ``"plain"``: ``smtplib.SMTP(host, port[, timeout])``, login if a user is set.
- ``port`` null: left to smtplib's default (25; 465 for SMTP_SSL).
- ``verify``: pass ``ssl.create_default_context(cafile=ca_file if trust == "arg")`` as the
  context (the careful app); otherwise no context, as most apps do.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import Any

from _driver import Settings, main


def seed_message(sender: str, recipient: str) -> MIMEMultipart:
    """The seed's message: multipart/alternative, UTF-8 text and HTML, a Chinese subject."""
    msg = MIMEMultipart("alternative")
    msg["Subject"] = "注册验证码"
    msg["From"] = sender
    msg["To"] = recipient
    msg.attach(MIMEText("您的验证码是:123456\n验证码有效期为15分钟", "plain", "utf-8"))
    msg.attach(MIMEText("<p>您的验证码是:<b>123456</b></p>", "html", "utf-8"))
    return msg


def context(settings: Settings) -> ssl.SSLContext | None:
    if not settings.get("verify"):
        return None
    cafile = settings.get("ca_file") if settings.get("trust") == "arg" else None
    return ssl.create_default_context(cafile=cafile)


def send_seed003(settings: Settings) -> None:
    server = None
    try:
        server = smtplib.SMTP(settings["host"], settings["port"])
        if settings.get("use_tls"):
            server.starttls()
        server.login(settings.get("user"), settings.get("password"))
        server.send_message(seed_message(settings["sender"], settings["recipient"]))
    finally:
        if server:
            try:
                server.quit()
            except Exception:
                with contextlib.suppress(Exception):
                    server.close()


def send(settings: Settings) -> None:
    pattern = settings.get("pattern", "plain")
    if pattern == "seed003":
        send_seed003(settings)
        return
    kwargs: dict[str, Any] = {}
    if settings.get("timeout") is not None:
        kwargs["timeout"] = float(settings["timeout"])
    ctx = context(settings)
    if pattern == "ssl":
        if ctx is not None:
            kwargs["context"] = ctx
        client: smtplib.SMTP = smtplib.SMTP_SSL(settings["host"], settings["port"], **kwargs)
    elif pattern in ("starttls", "plain"):
        client = smtplib.SMTP(settings["host"], settings["port"], **kwargs)
    else:
        raise ValueError(f"unknown smtplib pattern {pattern!r}")
    with client:
        if pattern == "starttls":
            client.starttls(context=ctx)
        if settings.get("user"):
            client.login(settings["user"], settings.get("password") or "")
        client.sendmail(settings["sender"], [settings["recipient"]],
                        seed_message(settings["sender"], settings["recipient"]).as_bytes())


if __name__ == "__main__":
    main(send)
