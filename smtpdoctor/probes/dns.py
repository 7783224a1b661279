"""dns: the host resolves to at least one address."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from smtpdoctor.model import ProbeResult
from smtpdoctor.probes.session import Session, failed, passed, say
from smtpdoctor.wire.net import in_daemon_thread

MAX_ADDRESSES = 4


class LookupFailed(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


async def probe_dns(session: Session) -> list[ProbeResult]:
    host = session.settings.host or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        session.addresses = [host]
        return [passed("dns", say("dns.ip", host=host))]
    via = f"{session.dns_server[0]}:{session.dns_server[1]}" if session.dns_server else None
    try:
        addresses = await _shared_lookup(session, host, via)
    except LookupFailed as exc:
        params: dict[str, object] = {"detail": exc.detail, "timeout": f"{session.timeout:g}"}
        suggestion = session.table.nearest_host(host)
        if suggestion:
            params["suggestion"] = suggestion
        if exc.reason in ("dns.nxdomain", "dns.no_address") and session.provider is None:
            from smtpdoctor.probes.records import mail_domain_params

            params |= await mail_domain_params(session, host)
        what = f"§dns.what.{exc.reason.split('.')[1]}"
        summary = say("dns.failed", host=host, what=what, **_via(via))
        return [failed("dns", exc.reason, summary, params=params)]
    session.addresses = addresses[:MAX_ADDRESSES]
    shown = ", ".join(session.addresses)
    return [passed("dns", say("dns.resolved", host=host, addresses=shown, **_via(via)),
                   details={"addresses": ", ".join(addresses)})]


async def _shared_lookup(session: Session, host: str, via: str | None) -> list[str]:
    """One lookup per host for every run that shares ``session.lookups`` (--accounts):
    200 tenants on smtp.qq.com ask the resolver once."""
    key = (host.lower(), via)
    found = session.lookups.get(key)
    if found is None:
        if session.dns_server:
            server, port = session.dns_server
            lookup = resolve_with_server(host, server, port, session.remaining())
        else:
            lookup = resolve_system(host, session.remaining())
        found = session.lookups[key] = asyncio.ensure_future(lookup)
    # Shielded: one run's deadline must not cancel the lookup the others await.
    return list(await asyncio.shield(found))


def _via(server: str | None) -> dict[str, object]:
    """" (via 127.0.0.1:53)" in a summary, when --dns-server is used."""
    return {"via": "§via.server", "server": server} if server else {}


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
            raise LookupFailed("dns.nxdomain", exc.strerror or "") from None
        if no_data is not None and exc.errno == no_data:
            raise LookupFailed("dns.no_address", exc.strerror or "") from None
        if exc.errno == socket.EAI_AGAIN:
            raise LookupFailed("dns.timeout", exc.strerror or "") from None
        raise LookupFailed("dns.error", exc.strerror or str(exc)) from None
    except UnicodeError as exc:
        raise LookupFailed("dns.error", f"invalid host name ({exc})") from None
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
        raise LookupFailed("dns.error", f"invalid host name ({exc})") from None

    async def query(rdtype: str) -> list[str]:
        answer = await resolver.resolve(qname, rdtype, raise_on_no_answer=False)
        return [r.to_text() for r in answer] if answer.rrset is not None else []

    results = await asyncio.gather(query("A"), query("AAAA"), return_exceptions=True)
    addresses = [a for r in results if isinstance(r, list) for a in r]
    errors = [r for r in results if isinstance(r, BaseException)]
    if addresses:
        return addresses
    if any(isinstance(e, dns.resolver.NXDOMAIN) for e in errors):
        raise LookupFailed("dns.nxdomain")
    if any(isinstance(e, dns.exception.Timeout) for e in errors):
        raise LookupFailed("dns.timeout")
    if errors:
        raise LookupFailed("dns.error", str(errors[0]) or type(errors[0]).__name__)
    raise LookupFailed("dns.no_address")
