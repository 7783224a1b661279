"""The recipient's mailbox, over IMAP: where send-test --confirm looks for the message it
sent. imapclient (the mature IMAP library; modified UTF-7 folder names handled by it)
runs in a daemon thread so a stuck server never holds the verdict."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from smtpdoctor.secret import Secret

if TYPE_CHECKING:
    import ssl

# The Junk folder when the server does not mark one \Junk (RFC 6154 SPECIAL-USE): the names
# providers use, QQ's and NetEase's 垃圾邮件 included (sent as modified UTF-7).
JUNK_NAMES = ("Junk", "Spam", "[Gmail]/Spam", "垃圾邮件", "Junk E-mail", "Junk Email", "Bulk Mail", "Bulk")
# Polls come quickly at first (a loopback or same-provider delivery takes well under a
# second, and the latency reported is only as fine as the poll), then once a second.
FIRST_POLL_SECONDS = 0.25
POLL_SECONDS = 1.0
VERDICTS = re.compile(r"\b(spf|dkim|dmarc)\s*=\s*([a-z]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    user: str
    password: Secret | None = None
    access_token: Secret | None = None  # OAuth2 (XOAUTH2) instead of the password
    source: str = ""  # "IMAP_HOST" or the provider's id

    @property
    def implicit_tls(self) -> bool:
        return self.port == 993


@dataclass
class Found:
    """Where the message was, and what the receiving side said about it."""

    folder: str | None = None
    junk: bool = False
    seconds: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    deleted: bool = False

    @property
    def verdicts(self) -> dict[str, str]:
        results = self.headers.get("authentication-results", "")
        return {k.lower(): v.lower() for k, v in VERDICTS.findall(results)}


class LoginRefused(PermissionError):
    """The IMAP server refused the login (its words are the message)."""


class Unavailable(ConnectionError):
    """No IMAP session could be had: no connection, no TLS, or the server broke off."""


def mailbox_from(values: Mapping[str, str]) -> Mailbox | None:
    """IMAP_HOST, IMAP_PORT, IMAP_USER, IMAP_PASSWORD, as the app's .env and environment hold
    them; None without IMAP_HOST. Raises ValueError (the value) when IMAP_PORT is not a port."""
    host = (values.get("IMAP_HOST") or "").strip()
    if not host:
        return None
    port_text = (values.get("IMAP_PORT") or "993").strip()
    password = values.get("IMAP_PASSWORD")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(port_text)  # IMAP_PORT is not a port: the caller reports it
    port = int(port_text)
    user = (values.get("IMAP_USER") or "").strip()
    return Mailbox(host, port, user, Secret(password) if password else None, source="IMAP_HOST")


def find_message(mailbox: Mailbox, message_id: str, token: str, context: ssl.SSLContext, until: float,
                 step_timeout: float, keep: bool, sent_at: float) -> Found:
    """Log in and look in INBOX and the Junk folder until the message is there or ``until``
    (time.monotonic) passes. Blocking: run it in a thread."""
    from imapclient import IMAPClient
    from imapclient.exceptions import LoginError

    try:
        client = IMAPClient(mailbox.host, port=mailbox.port, ssl=mailbox.implicit_tls, ssl_context=context,
                            timeout=step_timeout)
        if not mailbox.implicit_tls:
            client.starttls(context)
    except Exception as exc:
        raise Unavailable(str(exc) or type(exc).__name__) from exc
    try:
        try:
            if mailbox.access_token is not None:
                client.oauth2_login(mailbox.user, mailbox.access_token.reveal())
            else:
                client.login(mailbox.user, mailbox.password.reveal() if mailbox.password else "")
        except LoginError as exc:
            raise LoginRefused(_text(exc)) from exc
        junk = junk_folder(client.list_folders())
        pause = FIRST_POLL_SECONDS
        while True:
            for folder in ("INBOX", *([junk] if junk else [])):
                found = _look(client, folder, message_id, token, keep)
                if found is not None:
                    found.junk = folder == junk
                    found.seconds = max(0.0, time.monotonic() - sent_at)
                    return found
            if time.monotonic() + pause >= until:
                return Found()
            time.sleep(pause)
            pause = min(POLL_SECONDS, pause * 2)
    finally:
        with contextlib.suppress(Exception):  # the verdict is made; a failed LOGOUT changes nothing
            client.logout()


def junk_folder(folders: list[tuple[tuple[bytes, ...], Any, str]]) -> str | None:
    """The folder marked \\Junk (SPECIAL-USE), else the first with a provider's Junk name."""
    for flags, _, name in folders:
        if b"\\Junk" in flags:
            return name
    names = {name.casefold(): name for _, _, name in folders}
    return next((names[n.casefold()] for n in JUNK_NAMES if n.casefold() in names), None)


def _look(client: Any, folder: str, message_id: str, token: str, keep: bool) -> Found | None:
    client.select_folder(folder, readonly=keep)
    uids = client.search(["HEADER", "Message-ID", message_id]) or (
        client.search(["HEADER", "X-Smtpdoctor-Token", token]) if token else [])
    if not uids:
        return None
    fetched = client.fetch(uids[:1], ["BODY.PEEK[HEADER]"])
    raw = next(iter(fetched.values())).get(b"BODY[HEADER]", b"")
    found = Found(folder=folder, headers=_headers(raw))
    if not keep:
        client.add_flags(uids, [b"\\Deleted"])
        if client.has_capability("UIDPLUS"):
            client.uid_expunge(uids)
        else:
            client.expunge()
        found.deleted = True
    return found


def _headers(raw: bytes) -> dict[str, str]:
    from email.parser import BytesHeaderParser
    from email.policy import default

    parsed = BytesHeaderParser(policy=default).parsebytes(raw)
    wanted = ("authentication-results", "received-spf", "arc-authentication-results")
    return {k.lower(): " ".join(str(v).split()) for k, v in parsed.items() if k.lower() in wanted}


def _text(exc: BaseException) -> str:
    text = str(exc)
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else text
