"""A real IMAP server on loopback (pymap, in-memory backend, STARTTLS with a trustme
certificate), and an SMTP handler that delivers what it accepts into it: to INBOX, to
Junk, or nowhere, with an Authentication-Results header prepended, as a receiving MTA does."""

from __future__ import annotations

import asyncio
import imaplib
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from aiosmtpd.smtp import Envelope, Session

from tests.servers import Recorder, free_port

AUTH_RESULTS = ("Authentication-Results: mx.receiver.test; spf=pass smtp.mailfrom=dev@example.com; "
                "dkim=none; dmarc=fail (p=none) header.from=example.com\r\n")


class IMAPServer:
    """pymap with one user; ``folders`` are created at start (modified UTF-7 on the wire)."""

    def __init__(self, user: str, password: str, cert_file: str, ca_file: str,
                 folders: tuple[str, ...] = ("Junk",)) -> None:
        self.user, self.password, self.ca_file = user, password, ca_file
        self.port = free_port()
        pymap = Path(sys.executable).parent / "pymap"
        self.argv = [str(pymap), "--host", "127.0.0.1", "--port", str(self.port), "--cert", cert_file,
                     "--key", cert_file, "dict", "--demo-user", user, "--demo-password", password]
        self.folders = folders
        self.proc: subprocess.Popen[bytes] | None = None

    def connect(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.starttls(ssl.create_default_context(cafile=self.ca_file))
        client.login(self.user, self.password)
        return client

    def __enter__(self) -> Self:
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        client = self.connect()
        for folder in self.folders:
            client._simple_command("CREATE", _utf7(folder))
        client.logout()
        return self

    def messages(self, folder: str = "INBOX") -> int:
        client = self.connect()
        status, data = client.select(_utf7(folder))
        client.logout()
        return int(data[0] or 0) if status == "OK" else -1

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)


def _utf7(name: str) -> str:
    """Modified UTF-7 (RFC 3501 §5.1.3), quoted: what a client sends for 垃圾邮件."""
    from imapclient.imap_utf7 import encode

    return '"' + encode(name).decode("ascii") + '"'


@dataclass
class Delivering(Recorder):
    """Accepts the message, then files it in ``folder`` of ``imap`` (None: drops it), after
    ``delay`` seconds, with Authentication-Results on top."""

    imap: IMAPServer | None = None
    folder: str | None = "INBOX"
    delay: float = 0.0
    results: str = AUTH_RESULTS  # the receiving side's verdicts, prepended
    filed: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        if self.imap is not None and self.folder is not None:
            raw = self.results.encode() + envelope.original_content
            asyncio.get_running_loop().run_in_executor(None, self._file, raw)
        return reply

    def _file(self, raw: bytes) -> None:
        time.sleep(self.delay)
        assert self.imap is not None and self.folder is not None
        client = self.imap.connect()
        client.append(_utf7(self.folder), None, None, raw)
        client.logout()
        self.filed.append(self.folder)
