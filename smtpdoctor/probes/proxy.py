"""proxy: the connection through --proxy, made before tcp (which then has its socket): the
proxy reached, its login, and its CONNECT to the server's port, each with its own failure."""

from __future__ import annotations

from smtpdoctor.model import ProbeResult, seconds_text
from smtpdoctor.probes.session import Session, failed, passed, say


async def probe_proxy(session: Session) -> list[ProbeResult]:
    from smtpdoctor.wire.proxy import ProxyFailed, connect_through

    proxy = session.proxy
    assert proxy is not None
    s = session.settings
    host, port = s.host or "", s.port or 0
    # socks5h:// asks the proxy to resolve the name; the others connect to the address found here.
    target = host if proxy.remote_dns or not session.addresses else session.addresses[0]
    params: dict[str, object] = {"proxy": proxy.shown, "target": f"{target}:{port}",
                                 "timeout": seconds_text(session.timeout)}
    try:
        session.sock = await connect_through(proxy, target, port, session.remaining())
    except ProxyFailed as exc:
        detail = session.redactor.clean(exc.detail)
        return [failed("proxy", exc.reason, say("proxy.failed", proxy=proxy.shown, detail=detail),
                       params={**params, "detail": detail})]
    session.address = target
    return [passed("proxy", say("proxy.connected", **params), details={"proxy": proxy.shown})]
