"""DNS as smtpdoctor asks it: the system resolver as the app's client uses it (getaddrinfo,
in a daemon thread, bounded), one name server asked directly (--dns-server), and the TXT and
MX records of the sending-domain checks. One module, one set of failures."""

from __future__ import annotations

import asyncio
import socket

from smtpdoctor.wire.net import in_daemon_thread


class LookupFailed(LookupError):
    """A host name found no address: ``reason`` is a dns.* reason, ``detail`` the resolver's words."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


async def resolve_system(host: str, limit: float) -> list[str]:
    """What the app will get: the system resolver (getaddrinfo), bounded."""
    def lookup() -> list[tuple[object, ...]]:
        return socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)  # type: ignore[return-value]

    try:
        async with asyncio.timeout(limit):
            infos = await in_daemon_thread(lookup)
    except TimeoutError:
        raise LookupFailed("dns.timeout") from None
    except socket.gaierror as exc:
        no_data = getattr(socket, "EAI_NODATA", None)
        if exc.errno == socket.EAI_NONAME:
            raise LookupFailed("dns.nxdomain", exc.strerror or "") from exc
        if no_data is not None and exc.errno == no_data:
            raise LookupFailed("dns.no_address", exc.strerror or "") from exc
        if exc.errno == socket.EAI_AGAIN:
            raise LookupFailed("dns.timeout", exc.strerror or "") from exc
        raise LookupFailed("dns.error", exc.strerror or str(exc)) from exc
    except UnicodeError as exc:
        raise LookupFailed("dns.error", f"invalid host name ({exc})") from exc
    seen: list[str] = []
    for info in infos:
        address = str(info[4][0])  # type: ignore[index]
        if address not in seen:
            seen.append(address)
    if not seen:
        raise LookupFailed("dns.no_address")
    return seen


async def resolve_with_server(host: str, server: str, port: int, limit: float) -> list[str]:
    """A and AAAA from one name server, asked at the same time."""
    import dns.asyncresolver
    import dns.exception
    import dns.name
    import dns.resolver

    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = [server]
    resolver.port = port
    resolver.timeout = limit
    resolver.lifetime = limit
    try:
        qname = dns.name.from_text(host)
    except dns.exception.DNSException as exc:
        raise LookupFailed("dns.error", f"invalid host name ({exc})") from exc

    async def query(rdtype: str) -> list[str]:
        answer = await resolver.resolve(qname, rdtype, raise_on_no_answer=False)
        return [r.to_text() for r in answer] if answer.rrset is not None else []

    results = await asyncio.gather(query("A"), query("AAAA"), return_exceptions=True)
    addresses = [a for r in results if isinstance(r, list) for a in r]
    errors = [r for r in results if isinstance(r, BaseException)]
    if addresses:
        return getaddrinfo_order(addresses)
    if any(isinstance(e, dns.resolver.NXDOMAIN) for e in errors):
        raise LookupFailed("dns.nxdomain")
    if any(isinstance(e, dns.exception.Timeout) for e in errors):
        raise LookupFailed("dns.timeout")
    if errors:
        raise LookupFailed("dns.error", str(errors[0]) or type(errors[0]).__name__)
    raise LookupFailed("dns.no_address")


def getaddrinfo_order(addresses: list[str]) -> list[str]:
    """``addresses`` in the order getaddrinfo would give them on this machine (RFC 6724, as
    glibc applies it, in short): an address this machine has a route and a source address
    for comes first, and among those IPv6 before IPv4. The clients that try addresses in
    turn (smtplib, aiosmtplib) see this order."""
    import socket

    def routable(address: str) -> bool:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as probe:
                probe.connect((address, 9))  # a UDP connect picks a route; nothing is sent
        except OSError:
            return False
        return True

    return sorted(addresses, key=lambda a: (not routable(a), ":" not in a))


class NoAnswer(LookupError):
    """The name server did not answer (timeout, SERVFAIL): not the same as "no record"."""


class UnreadableAnswer(NoAnswer):
    """The name server answered, but with a message dnspython refuses to read (a TXT record
    with no strings, which RFC 1035 does not allow): ``name`` and ``kind`` asked, ``detail``
    dnspython's words. Said as what it is, not as a silent server."""

    def __init__(self, name: str, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.name = name
        self.kind = kind
        self.detail = detail


class Lookup:
    """TXT and MX lookups with dnspython, through --dns-server when given, within ``timeout``."""

    def __init__(self, dns_server: tuple[str, int] | None, timeout: float) -> None:
        import time

        import dns.asyncresolver
        import dns.resolver

        try:
            self.resolver = dns.asyncresolver.Resolver(configure=dns_server is None)
        except dns.resolver.NoResolverConfiguration as exc:
            # No name server configured (no /etc/resolv.conf): said by every lookup, not a crash.
            self.resolver = dns.asyncresolver.Resolver(configure=False)
            self.unconfigured: str | None = type(exc).__name__
        else:
            self.unconfigured = None
        if dns_server is not None:
            self.resolver.nameservers = [dns_server[0]]
            self.resolver.port = dns_server[1]
        # One deadline for every lookup: each waits at most for what is left of ``timeout``.
        self.deadline = time.monotonic() + timeout
        self.resolver.lifetime = timeout
        self.queries = 0

    def left(self) -> float:
        import time

        return max(0.05, self.deadline - time.monotonic())

    async def records(self, name: str, kind: str, limit: float | None = None) -> list[str]:
        """The records' text (TXT strings joined, MX exchanges by preference); [] for none.
        ``limit``: wait at most that long, when less than what the deadline leaves."""
        import dns.exception
        import dns.name
        import dns.resolver

        self.queries += 1
        if self.unconfigured:
            raise NoAnswer(self.unconfigured)
        lifetime = min(self.left(), limit) if limit is not None else self.left()
        try:
            answer = await self.resolver.resolve(name, kind, raise_on_no_answer=False, lifetime=lifetime)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.YXDOMAIN):
            # YXDOMAIN: a DNAME made the name too long to exist.
            return []
        except (dns.exception.SyntaxError, dns.name.NameTooLong):
            # A name no query can carry (an empty or 64-octet label): it exists nowhere, as
            # RFC 7208 §4.3 has it for the domain and pyspf for a mechanism's target.
            return []
        except dns.resolver.NoNameservers as exc:
            refused = _refused_answer(exc)
            if refused is not None:
                raise UnreadableAnswer(name, kind, refused) from exc
            raise NoAnswer(type(exc).__name__) from exc
        except dns.exception.Timeout as exc:
            # Only a TXT answer is looked at again: the record with no strings is a TXT one,
            # and a dropped MX query must cost its limit, no more.
            refused = await self._unreadable(name, kind) if kind == "TXT" else None
            if refused is not None:
                raise UnreadableAnswer(name, kind, refused) from exc
            raise NoAnswer(type(exc).__name__) from exc
        if kind == "TXT":
            return [b"".join(r.strings).decode("utf-8", "replace") for r in answer]
        if kind == "MX":
            ranked = sorted(answer, key=lambda r: r.preference)
            return [r.exchange.to_text().rstrip(".").lower() for r in ranked]
        return [r.to_text() for r in answer]

    async def _unreadable(self, name: str, kind: str) -> str | None:
        """Why the first name server's answer could not be read, when it sent one: dnspython
        drops an answer it cannot parse and waits on, so a malformed answer (a TXT record with
        no strings) looks like silence. One more query, read strictly, tells them apart; it
        waits at most 0.3 s (the domain probes keep that much beyond --timeout)."""
        import dns.asyncquery
        import dns.exception
        import dns.message

        if not self.resolver.nameservers:
            return None
        query = dns.message.make_query(name, kind)
        where = str(self.resolver.nameservers[0])
        try:
            await dns.asyncquery.udp(query, where, timeout=UNREADABLE_WAIT, port=self.resolver.port)
        except (dns.exception.FormError, ValueError) as exc:
            return str(exc)
        except (dns.exception.DNSException, OSError):
            return None
        return None


# How long the second look at a silent server waits for an answer it can name.
UNREADABLE_WAIT = 0.3


def _refused_answer(exc: Exception) -> str | None:
    """dnspython's words when every server's answer was one it could not parse (FORMERR on
    our side of the wire), else None: then the servers failed in the usual ways."""
    import dns.exception

    errors = getattr(exc, "kwargs", {}).get("errors") or []
    parsing = [str(e[3]) for e in errors if isinstance(e[3], dns.exception.FormError | ValueError)]
    return parsing[0] if parsing and len(parsing) == len(errors) else None
