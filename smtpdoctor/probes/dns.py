"""dns: the host resolves to at least one address."""

from __future__ import annotations

import asyncio
import ipaddress

from smtpdoctor.model import ProbeResult, seconds_text
from smtpdoctor.probes.session import Session, failed, passed, say
from smtpdoctor.wire.dns import LookupFailed, resolve_system, resolve_with_server

MAX_ADDRESSES = 4


async def probe_dns(session: Session) -> list[ProbeResult]:
    host = session.settings.host or ""
    port = session.settings.port or 0
    given = next((a for h, p, a in session.resolves if h == host.lower().rstrip(".") and p == port), None)
    if given is not None:
        # --resolve: connect there; TLS still checks the certificate against the host's name.
        session.addresses = [given]
        return [passed("dns", say("dns.resolve_option", host=host, address=given, port=port),
                       details={"addresses": [given]})]
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
        params: dict[str, object] = {"detail": exc.detail, "timeout": seconds_text(session.timeout)}
        suggestion = session.table.nearest_host(host)
        if suggestion:
            params["suggestion"] = suggestion
        if exc.reason in ("dns.nxdomain", "dns.no_address") and session.provider is None:
            from smtpdoctor.probes.records import mail_domain_params

            params |= await mail_domain_params(session, host)
        what = f"§dns.what.{exc.reason.split('.')[1]}"
        summary = say("dns.failed", host=host, what=what, **_via(via))
        known = session.table.by_host(host)
        if exc.reason in ("dns.nxdomain", "dns.no_address") and known is not None and host.lower() in {
                h.lower() for h in known.hosts}:
            # A provider's own server name exists: what failed is the DNS here, never a typo.
            return [failed("dns", "dns.provider_host_unresolved", summary,
                           params={**params, "resolver_said": f"§dns.said.{exc.reason.split('.')[1]}",
                                   **known.named("known_provider")})]
        return [failed("dns", exc.reason, summary, params=params)]
    if session.family != "auto":
        wanted = [a for a in addresses if (":" in a) == (session.family == "6")]
        if not wanted:
            family, found = f"IPv{session.family}", ", ".join(addresses)
            return [failed("dns", "dns.no_address_in_family",
                           say("dns.no_address_in_family", host=host, family=family, addresses=found),
                           params={"family": family, "addresses": found})]
        addresses = wanted
    session.addresses = addresses[:MAX_ADDRESSES]
    shown = ", ".join(session.addresses)
    return [passed("dns", say("dns.resolved", host=host, addresses=shown, **_via(via)),
                   details={"addresses": addresses})]


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


