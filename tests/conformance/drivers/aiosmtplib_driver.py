"""aiosmtplib (5.1), the way seed 004's multi-tenant API uses it, or its one-call ``send``.

Settings (besides host, port, user, password, sender, recipient, timeout, ca_file, trust):

- ``api``:
  - ``"seed004"``: ``aiosmtplib.SMTP(hostname=smtp_host, port=smtp_port,
    use_tls=security_protocol == 'TLS')`` as the seed's integration guide writes it (no
    start_tls, no timeout, no cert_bundle: the library defaults), then ``connect()``,
    ``login()`` when a username is set, ``send_message()``, ``quit()``. ``security_protocol``
    is the tenant row's value ("TLS", "SSL", "STARTTLS", "NONE", …), compared exactly.
  - ``"send"``: ``aiosmtplib.send(message, hostname=…, port=…, username=…, password=…,
    use_tls=…, start_tls=…, validate_certs=…, timeout=…)`` with only the options given.
- ``use_tls``, ``start_tls`` (true/false/absent = None), ``validate_certs``: the library's own
  flags, for ``"send"``.
- ``trust: "arg"`` passes ``cert_bundle=ca_file`` (both APIs); ``"env"`` relies on
  SSL_CERT_FILE, which ``ssl.create_default_context()`` reads.
"""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from typing import Any

import aiosmtplib
from _driver import Settings, main


def message(settings: Settings) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings["sender"]
    msg["To"] = settings["recipient"]
    msg["Subject"] = "注册验证码"
    msg.set_content("您的验证码是:123456")
    return msg


async def seed004(settings: Settings) -> None:
    kwargs: dict[str, Any] = {}
    if settings.get("trust") == "arg":
        kwargs["cert_bundle"] = settings.get("ca_file")
    if settings.get("timeout") is not None:
        kwargs["timeout"] = float(settings["timeout"])
    smtp = aiosmtplib.SMTP(hostname=settings["host"], port=settings["port"],
                           use_tls=settings.get("security_protocol") == "TLS", **kwargs)
    await smtp.connect()
    try:
        if settings.get("user"):
            await smtp.login(settings["user"], settings.get("password") or "")
        await smtp.send_message(message(settings))
    finally:
        if smtp.is_connected:
            await smtp.quit()


async def one_call(settings: Settings) -> None:
    kwargs: dict[str, Any] = {"hostname": settings["host"], "port": settings["port"]}
    if settings.get("user"):
        kwargs["username"] = settings["user"]
        kwargs["password"] = settings.get("password") or ""
    for key in ("use_tls", "start_tls", "validate_certs"):
        if key in settings:
            kwargs[key] = settings[key]
    if settings.get("timeout") is not None:
        kwargs["timeout"] = float(settings["timeout"])
    if settings.get("trust") == "arg":
        kwargs["cert_bundle"] = settings.get("ca_file")
    await aiosmtplib.send(message(settings), **kwargs)


def send(settings: Settings) -> None:
    api = settings.get("api", "seed004")
    if api == "seed004":
        asyncio.run(seed004(settings))
    elif api == "send":
        asyncio.run(one_call(settings))
    else:
        raise ValueError(f"unknown aiosmtplib api {api!r}")


if __name__ == "__main__":
    main(send)
