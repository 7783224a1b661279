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
# The checks whose verdicts are reported (RFC 8601 methods), and one resinfo's "method=result"
# (a method may carry a version: "dkim/1=pass").
REPORTED_METHODS = ("spf", "dkim", "dmarc")
METHOD_RESULT = re.compile(r"\s*([a-z0-9_.-]+)\s*(?:/\s*\d+\s*)?=\s*([a-z0-9_-]+)", re.IGNORECASE)


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
    headers: dict[str, str] = field(default_factory=dict)  # each one's topmost (newest) copy
    # Every Authentication-Results header, topmost first: each hop that checked adds its own on top.
    results: tuple[str, ...] = ()
    deleted: bool = False

    def receiver_results(self, receiver_domains: frozenset[str] = frozenset()) -> str:
        """The receiving side's Authentication-Results (RFC 8601): the topmost header whose
        authserv-id is under one of ``receiver_domains`` (the receiving provider's
        organisational domains), else the topmost one. A header further down was added
        earlier, by a relay on the way or by whoever sent the message, and says nothing
        about what the receiver decided."""
        for header in self.results:
            server = authserv_id(header)
            if server and any(server == d or server.endswith(f".{d}") for d in receiver_domains):
                return header
        return self.results[0] if self.results else ""


def authserv_id(header: str) -> str | None:
    """The authserv-id an Authentication-Results header opens with, lower case; None when it
    has none (Microsoft's start with "spf=…", against RFC 8601)."""
    first = _split_resinfo(_without_comments(header))[0].split()
    if not first or "=" in first[0]:
        return None
    return first[0].strip('"').lower().rstrip(".") or None


def verdicts(header: str) -> dict[str, str]:
    """``{"spf": "pass", "dkim": "none", "dmarc": "fail"}`` from one Authentication-Results
    header, read to RFC 8601: comments ignored, quoted strings kept whole. A method with several
    results (one per DKIM signature) passes when any of them does, as DMARC reads DKIM."""
    found: dict[str, str] = {}
    parts = _split_resinfo(_without_comments(header))
    if "=" not in parts[0]:
        parts = parts[1:]  # the authserv-id (and its version): no result
    for part in parts:
        match = METHOD_RESULT.match(part)
        if match is None:
            continue  # "none" (nothing was checked), or a resinfo that breaks the grammar
        method, result = match.group(1).lower(), match.group(2).lower()
        if method in REPORTED_METHODS and (method not in found or result == "pass"):
            found[method] = result
    return found


def _without_comments(text: str) -> str:
    """``text`` with each comment (RFC 5322: parenthesised, nestable) turned into a space;
    parentheses inside a quoted string, and quoted-pairs, are text."""
    out: list[str] = []
    depth, quoted, at = 0, False, 0
    while at < len(text):
        char = text[at]
        at += 1
        if char == "\\" and (quoted or depth):
            if not depth:
                out.append(text[at - 1:at + 1])  # a quoted-pair stays in its string
            at += 1
        elif depth:
            depth += {"(": 1, ")": -1}.get(char, 0)
            if not depth:
                out.append(" ")
        elif char == "(" and not quoted:
            depth = 1
        else:
            quoted ^= char == '"'
            out.append(char)
    return "".join(out)


def _split_resinfo(text: str) -> list[str]:
    """``text`` split at each ";" outside a quoted string: the authserv-id, then each resinfo."""
    parts, start, quoted, escaped = [], 0, False, False
    for at, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            parts.append(text[start:at])
            start = at + 1
    parts.append(text[start:])
    return parts


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
    found = Found(folder=folder, headers=_headers(raw), results=_all_results(raw))
    if not keep:
        client.add_flags(uids, [b"\\Deleted"])
        if client.has_capability("UIDPLUS"):
            client.uid_expunge(uids)
        else:
            client.expunge()
        found.deleted = True
    return found


def _parsed(raw: bytes) -> list[tuple[str, str]]:
    """The header fields in order, topmost first, each unfolded onto one line."""
    from email.parser import BytesHeaderParser
    from email.policy import default

    parsed = BytesHeaderParser(policy=default).parsebytes(raw)
    return [(k.lower(), " ".join(str(v).split())) for k, v in parsed.items()]


def _headers(raw: bytes) -> dict[str, str]:
    """The trace fields the report shows, each the topmost copy: a receiver adds its own on top
    of those the message arrived with (RFC 5321 §4.4, RFC 8601 §5)."""
    wanted = ("authentication-results", "received-spf", "arc-authentication-results")
    found: dict[str, str] = {}
    for name, value in _parsed(raw):
        if name in wanted:
            found.setdefault(name, value)
    return found


def _all_results(raw: bytes) -> tuple[str, ...]:
    return tuple(value for name, value in _parsed(raw) if name == "authentication-results")


def _text(exc: BaseException) -> str:
    text = str(exc)
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else text
