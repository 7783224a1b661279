"""tcp: the port accepts a connection. Other submission ports are tried at the
same time, so a blocked port costs one --timeout and still names a fix."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import replace

from smtpdoctor.classify import connect_reason
from smtpdoctor.model import ProbeResult, frozen_params, seconds_text
from smtpdoctor.probes.session import Session, failed, passed, say
from smtpdoctor.wire.net import open_socket
from smtpdoctor.wire.sniff import what_port_speaks

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
        host = session.settings.host or first_address
        alternatives = {p: asyncio.create_task(what_port_speaks(
            first_address, p, host, session.context, session.remaining()))
            for p in session.alt_ports if p != port}
    try:
        sock, address = await main
    except (OSError, TimeoutError) as exc:
        answered = await _gather_answers(alternatives)
        failure = _failure(session, port, exc, answered)
        host = session.settings.host or ""
        if session.provider is None and session.remaining() > 0.2:
            # A host with a website but no mail server: is it the mail domain?
            from smtpdoctor.probes.records import mail_domain_params

            extra = await mail_domain_params(session, host)
            if extra:
                failure = replace(failure, params=frozen_params({**failure.params, **extra}))
        return [failure]
    finally:
        for task in alternatives.values():
            task.cancel()
    session.sock, session.address = sock, address
    return [passed("tcp", say("tcp.accepted", where=_where(address, port)))]


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
    reason = connect_reason(exc)
    if isinstance(exc, TimeoutError):
        what = "§detail.tcp_no_answer"
    elif isinstance(exc, ConnectionRefusedError):
        what = "§detail.tcp_refused"
    else:
        what = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    # What the other ports said is the fix engine's to use: it tries them.
    session.port_modes.update({p: answered.get(p) for p in session.alt_ports if p != port})
    session.port_modes[port] = None
    summary = say(reason, host=host, port=port, timeout=seconds_text(session.timeout), detail=what)
    return failed("tcp", reason, summary,
                  params={"timeout": seconds_text(session.timeout), "detail": what})
