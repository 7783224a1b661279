"""Real servers on loopback for the tests: SMTP (aiosmtpd, and a scripted one
for exact provider replies, GBK bytes included), a silent server, a port that
drops SYNs, and a small DNS server over UDP built with dnspython."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

USER = "dev@example.com"
PASSWORD = "Sup3r-Secret-Pw!"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps what it received and can refuse steps."""

    mail_reply: str | None = None
    rcpt_reply: str | None = None
    data_reply: str | None = None
    received: list[Envelope] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    # The names clients sent in EHLO; ``ehlo_reply`` refuses EHLO with that reply instead.
    ehlo_names: list[str] = field(default_factory=list)
    ehlo_reply: str | None = None

    async def handle_EHLO(self, server: Any, session: Session, envelope: Envelope, hostname: str,
                          responses: list[str]) -> list[str]:
        self.ehlo_names.append(hostname)
        if self.ehlo_reply:
            return [self.ehlo_reply]
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server: Any, session: Session, envelope: Envelope,
                          address: str, options: list[str]) -> str:
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Session, envelope: Envelope,
                          address: str, options: list[str]) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.data_reply:
            return self.data_reply
        self.received.append(envelope)
        return "250 2.0.0 Ok: queued as 4F1A2B3C"


class SMTPServer:
    """aiosmtpd on 127.0.0.1: ``mode`` is ``starttls``, ``ssl`` or ``plain``.

    ``auth_reply`` replaces the reply to a failed login (a provider's exact
    text); ``auth_before_tls`` offers AUTH before STARTTLS (Gmail does not)."""

    def __init__(self, mode: str = "starttls", context: ssl.SSLContext | None = None, *,
                 auth_reply: str | None = None, auth_before_tls: bool = False,
                 handler: Recorder | None = None,
                 password: str = PASSWORD, port: int | None = None, smtputf8: bool = False,
                 auth_exclude: tuple[str, ...] = ()) -> None:
        self.mode = mode
        self.handler = handler or Recorder()
        self.auth_reply = auth_reply
        self.password = password
        kwargs: dict[str, Any] = {}
        if mode == "ssl":
            kwargs["ssl_context"] = context
            kwargs["auth_require_tls"] = False
        elif mode == "starttls":
            kwargs["tls_context"] = context
            kwargs["auth_require_tls"] = not auth_before_tls
        else:
            kwargs["auth_require_tls"] = False
        kwargs["authenticator"] = self._authenticate
        kwargs["enable_SMTPUTF8"] = smtputf8
        kwargs["auth_exclude_mechanism"] = list(auth_exclude)
        self.port = port or free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     server_hostname="smtp.test", **kwargs)

    def _authenticate(self, server: Any, session: Session, envelope: Envelope,
                      mechanism: str, auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode()
            self.handler.logins.append(login)
            if login == USER and auth_data.password.decode() == self.password:
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False,
                          message=self.auth_reply or "535 5.7.8 Authentication credentials invalid")

    def __enter__(self) -> SMTPServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


class ThreadedServer:
    """A socket on 127.0.0.1 that a thread serves until the with-block ends: ``serve_one``
    waits at most 0.1 s for one connection or datagram, so the thread sees the stop."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.port = int(sock.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def serve_one(self) -> None:
        raise NotImplementedError

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                self.serve_one()
            except OSError:
                continue

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


class TCPServer(ThreadedServer):
    """A listener on 127.0.0.1 whose accept loop runs in a thread and hands each
    connection to ``handle``."""

    def __init__(self) -> None:
        super().__init__(socket.create_server(("127.0.0.1", 0)))
        self.listener = self.sock

    def handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def serve_one(self) -> None:
        conn, _ = self.listener.accept()
        self.handle(conn)


class ScriptedServer(TCPServer):
    """A line-by-line SMTP server that answers with exact bytes: the greeting,
    and a reply per command verb (``AUTH``, ``MAIL``, ``RCPT``, ``DATA``…).
    For provider texts that aiosmtpd cannot produce (GBK bytes, odd greetings)."""

    def __init__(self, replies: dict[str, bytes] | None = None, *,
                 greeting: bytes = b"220 smtp.test ESMTP scripted\r\n",
                 ehlo: bytes = b"250-smtp.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n",
                 context: ssl.SSLContext | None = None, ehlo_delay: float = 0) -> None:
        self.replies = replies or {}
        self.ehlo_delay = ehlo_delay
        self.greeting = greeting
        self.ehlo = ehlo
        self.context = context
        self.lines: list[bytes] = []
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        try:
            if self.context is not None:
                conn = self.context.wrap_socket(conn, server_side=True)
            stream = conn.makefile("rb")
            conn.sendall(self.greeting)
            in_data = False
            for line in stream:
                self.lines.append(line)
                if in_data:
                    if line in (b".\r\n", b".\n"):
                        in_data = False
                        conn.sendall(self.replies.get("DATA-END", b"250 OK queued\r\n"))
                    continue
                verb = line.split(b" ")[0].split(b":")[0].strip().upper().decode()
                if verb in ("EHLO", "HELO"):
                    time.sleep(self.ehlo_delay)
                    conn.sendall(self.ehlo)
                elif verb == "QUIT":
                    self.quitting()
                    conn.sendall(b"221 bye\r\n")
                    break
                elif verb == "DATA" and "DATA" not in self.replies:
                    in_data = True
                    conn.sendall(b"354 go ahead\r\n")
                else:
                    conn.sendall(self.replies.get(verb, b"250 OK\r\n"))
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def quitting(self) -> None:
        """Called before the 221 reply to QUIT: the session is over for the server."""

class SilentServer(TCPServer):
    """Accepts connections and never says a word: a server that never greets."""

    def __init__(self) -> None:
        self.held: list[socket.socket] = []
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        self.held.append(conn)

    def __exit__(self, *exc: object) -> None:
        super().__exit__()
        for conn in self.held:
            conn.close()


class DroppingPort:
    """A port whose SYNs are dropped, as a cloud firewall does to port 25:
    a listener with a full accept queue that never accepts. On Linux further
    SYNs get no answer, so connect() times out."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """``host`` ``::1`` and the port of a server on 127.0.0.1: a host whose IPv6 address
        is silent while its IPv4 one answers."""
        self.host = host
        self.listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        if ":" in host:
            self.listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        self.listener.bind((host, port))
        self.listener.listen(0)
        self.port = int(self.listener.getsockname()[1])
        self.fillers: list[socket.socket] = []

    def __enter__(self) -> DroppingPort:
        import time

        for _ in range(3):
            filler = socket.socket(self.listener.family)
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect((self.host, self.port))
            self.fillers.append(filler)
        time.sleep(0.1)
        return self

    def __exit__(self, *exc: object) -> None:
        for filler in self.fillers:
            filler.close()
        self.listener.close()


def closed_port() -> int:
    """A port with nothing listening: connect() is refused at once."""
    return free_port()


class UDPServer(ThreadedServer):
    """A datagram server on 127.0.0.1: ``answer`` turns each query into the reply to send
    (None: no reply at all, or one it sends itself)."""

    def __init__(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        super().__init__(sock)

    def answer(self, wire: bytes, peer: Any) -> bytes | None:
        raise NotImplementedError

    def serve_one(self) -> None:
        wire, peer = self.sock.recvfrom(4096)
        reply = self.answer(wire, peer)
        if reply is not None:
            self.sock.sendto(reply, peer)


class DNSServer(UDPServer):
    """A name server over UDP on 127.0.0.1, answering from ``records``
    (name → IPv4 addresses). Names in ``nxdomain`` get NXDOMAIN, names in
    ``silent`` get no answer at all; anything else gets NOERROR, no data."""

    def __init__(self, records: dict[str, list[str]] | None = None, *,
                 nxdomain: set[str] | None = None, silent: set[str] | None = None,
                 zone: dict[str, dict[str, list[str]]] | None = None,
                 silent_types: set[tuple[str, str]] | None = None,
                 slow: dict[str, float] | None = None, rcodes: dict[str, str] | None = None) -> None:
        """``zone``: name → record type → values in zone-file text (``MX`` "10 mx.example.",
        ``TXT`` '"v=spf1 …"'), for the sending-domain checks; ``silent_types``: (name, type)
        pairs never answered (a server that drops MX queries and answers TXT); ``slow``: names
        answered only after that many seconds (a distant name server); ``rcodes``: names answered
        with that response code (``YXDOMAIN``)."""
        super().__init__()
        self.records = {k.rstrip(".").lower(): v for k, v in (records or {}).items()}
        self.zone = {k.rstrip(".").lower(): v for k, v in (zone or {}).items()}
        self.nxdomain = {n.rstrip(".").lower() for n in (nxdomain or set())}
        self.silent = {n.rstrip(".").lower() for n in (silent or set())}
        self.silent_types = {(n.rstrip(".").lower(), t) for n, t in (silent_types or set())}
        self.slow = {n.rstrip(".").lower(): d for n, d in (slow or {}).items()}
        self.rcodes = {n.rstrip(".").lower(): r for n, r in (rcodes or {}).items()}
        self.queries: list[str] = []

    def answer(self, wire: bytes, peer: Any) -> bytes | None:
        import dns.message
        import dns.rcode
        import dns.rdatatype
        import dns.rrset

        query = dns.message.from_wire(wire)
        question = query.question[0]
        name = question.name.to_text().rstrip(".").lower()
        self.queries.append(f"{name} {dns.rdatatype.to_text(question.rdtype)}")
        if name in self.silent or (name, dns.rdatatype.to_text(question.rdtype)) in self.silent_types:
            return None
        response = dns.message.make_response(query)
        if name in self.nxdomain:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif name in self.rcodes:
            response.set_rcode(dns.rcode.from_text(self.rcodes[name]))
        elif question.rdtype == dns.rdatatype.A and name in self.records:
            response.answer.append(dns.rrset.from_text_list(
                question.name, 60, "IN", "A", self.records[name]))
        elif name in self.zone and dns.rdatatype.to_text(question.rdtype) in self.zone[name]:
            kind = dns.rdatatype.to_text(question.rdtype)
            response.answer.append(dns.rrset.from_text_list(question.name, 60, "IN", kind,
                                                            self.zone[name][kind]))
        if name in self.slow:
            threading.Timer(self.slow[name], self.sock.sendto, (response.to_wire(), peer)).start()
            return None
        return response.to_wire()

