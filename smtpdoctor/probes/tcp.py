"""tcp: the port accepts a connection. Other submission ports are tried at the
same time, so a blocked port costs one --timeout and still names a fix."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket

from smtpdoctor.model import ProbeResult
from smtpdoctor.net import open_socket
from smtpdoctor.probes.sniff import plaintext_mode, speaks_implicit_tls
from smtpdoctor.session import Session, both, failed, passed

MODE_EN = {"ssl": "implicit TLS", "starttls": "STARTTLS", "plain": "no TLS"}
MODE_ZH = {"ssl": "SSL", "starttls": "STARTTLS", "plain": "不加密"}


# A healthy connect is done well within this; only a port still silent after it
# (or one that failed) makes us knock on the other ports — never on every check.
ALTERNATIVES_AFTER = 0.3


async def probe_tcp(session: Session) -> list[ProbeResult]:
    port = session.settings.port or 0
    main = asyncio.create_task(_connect_any(session.addresses, port, session.remaining()))
    await asyncio.wait({main}, timeout=min(ALTERNATIVES_AFTER, session.remaining()))
    alternatives: dict[int, asyncio.Task[str | None]] = {}
    if not (main.done() and main.exception() is None):
        first_address = session.addresses[0]
        alternatives = {p: asyncio.create_task(_alternative(session, first_address, p))
                        for p in session.alt_ports if p != port}
    try:
        sock, address = await main
    except (OSError, TimeoutError) as exc:
        answered = await _gather_answers(alternatives)
        return [_failure(session, port, exc, answered)]
    finally:
        for task in alternatives.values():
            task.cancel()
    session.sock, session.address = sock, address
    return [passed("tcp", f"{_where(address, port)} accepted the connection")]


def _where(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


async def _connect_any(addresses: list[str], port: int, limit: float) -> tuple[socket.socket, str]:
    """Every address at once; the first to connect wins. If none does, the first
    address's error stands (the others say the same far more often than not)."""
    tasks = [asyncio.create_task(open_socket(a, port, limit)) for a in addresses]
    winner: asyncio.Task[socket.socket] | None = None
    try:
        pending = set(tasks)
        while pending and winner is None:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            winner = next((t for t in tasks if t in done and t.exception() is None), None)
        if winner is None:
            tasks[0].result()  # raises the first address's error
            raise AssertionError("a failed connect always raises")
        return winner.result(), addresses[tasks.index(winner)]
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
            elif task is not winner and not task.cancelled() and task.exception() is None:
                task.result().close()


async def _alternative(session: Session, address: str, port: int) -> str | None:
    """The mode another port speaks, or None if it does not answer in time:
    a plaintext greeting and a TLS handshake race, the first clear answer wins."""
    limit = session.remaining()
    host = session.settings.host or address
    attempts = {
        asyncio.create_task(plaintext_mode(address, port, limit)),
        asyncio.create_task(speaks_implicit_tls(address, port, host, session.context, limit)),
    }
    try:
        for finished in asyncio.as_completed(attempts):
            answer = await finished
            if answer is True:
                return "ssl"
            if isinstance(answer, str):
                return answer
        return None
    finally:
        for task in attempts:
            task.cancel()


async def _gather_answers(alternatives: dict[int, asyncio.Task[str | None]]) -> dict[int, str]:
    answered: dict[int, str] = {}
    for port, task in alternatives.items():
        with contextlib.suppress(Exception, asyncio.CancelledError):
            mode = await task
            if mode:
                answered[port] = mode
    return answered


def _failure(session: Session, port: int, exc: BaseException, answered: dict[int, str]) -> ProbeResult:
    host = session.settings.host
    if isinstance(exc, TimeoutError):
        reason, what = "tcp.timeout", f"no answer within {session.timeout:g} s"
    elif isinstance(exc, ConnectionRefusedError):
        reason, what = "tcp.refused", "connection refused"
    else:
        reason = "tcp.unreachable"
        what = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        if isinstance(exc, OSError) and exc.errno == errno.ECONNRESET:
            reason = "tcp.refused"
    params: dict[str, object] = {"timeout": f"{session.timeout:g}", "detail": what}
    tried = [p for p in session.alt_ports if p != port]
    if answered:
        best = _best(answered, session)
        mode = answered[best]
        listing_en = ", ".join(f"{p} ({MODE_EN[m]})" for p, m in sorted(answered.items()))
        listing_zh = "、".join(f"{p}（{MODE_ZH[m]}）" for p, m in sorted(answered.items()))
        fix = session.settings.fix(mode, best)
        params |= both("alternatives", f" These ports do answer: {listing_en}.",
                       f" 以下端口可以连通：{listing_zh}。")
        params |= both("alt_fix", f"Use port {best} ({MODE_EN[mode]}): set {fix}.",
                       f"改用 {best} 端口（{MODE_ZH[mode]}）：请设置 {fix}。")
    elif tried and reason == "tcp.refused":
        ports = ", ".join(map(str, tried))
        host_var, port_var = session.settings.variable("host"), session.settings.variable("port")
        params |= both("alternatives", f" Ports {ports} refused too.", f" {ports} 端口同样拒绝连接。")
        params |= both(
            "alt_fix",
            f"The host answers but runs no mail service on these ports: check {host_var} and "
            f"{port_var} against the provider's settings (`smtpdoctor providers`).",
            f"主机可达但这些端口上没有邮件服务：请对照服务商设置（`smtpdoctor providers`）检查 "
            f"{host_var} 和 {port_var}。")
    elif tried:
        ports = ", ".join(map(str, tried))
        params |= both("alternatives", f" Ports {ports} did not answer either.",
                       f" {ports} 端口同样无法连通。")
        params |= both(
            "alt_fix",
            "Outgoing mail ports are blocked on this network or the host is down: allow the port "
            "in the firewall / security group, ask the cloud provider to lift the block, or send "
            "through the provider's HTTP API.",
            "本网络封禁了外发邮件端口，或主机不可用：在防火墙/安全组放行端口，向云服务商申请解封，"
            "或改用服务商的 HTTP API 发信。")
    else:
        params |= both("alt_fix", "Check the host, the port and the firewall.",
                       "检查主机、端口和防火墙。")
    return failed("tcp", reason, f"{host}:{port}: {what}", params=params)


def _best(answered: dict[int, str], session: Session) -> int:
    """The provider's own port first, then implicit TLS, then STARTTLS."""
    provider = session.provider
    if provider and provider.default_port in answered:
        return provider.default_port
    rank = {"ssl": 0, "starttls": 1, "plain": 2}
    return min(answered, key=lambda p: (rank[answered[p]], p))
