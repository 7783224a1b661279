"""tcp: the port accepts a connection. Other submission ports are tried at the
same time, so a blocked port costs one --timeout and still names a fix."""

from __future__ import annotations

import asyncio
import contextlib
import socket

from smtpdoctor.classify import connect_reason
from smtpdoctor.model import ProbeResult, Status, frozen_params, seconds_text
from smtpdoctor.probes.session import Session, failed, passed, say
from smtpdoctor.wire.net import open_socket
from smtpdoctor.wire.sniff import what_port_speaks

# A healthy connect is done well within this; only a port still silent after it
# (or one that failed) makes us knock on the other ports — never on every check.
ALTERNATIVES_AFTER = 0.3

# How each client walks the addresses the resolver gives it (clients-and-paths.md, issue 19;
# tests/conformance/test_addresses.py runs the real libraries):
# - smtplib (Flask-Mail and Django use it): socket.create_connection tries them in order, each
#   with the whole timeout, so a silent first address costs a full timeout on every send;
# - aiosmtplib: loop.create_connection tries them in order under one timeout, so a silent
#   first address takes all of it and the connect fails;
# - the others (nodemailer picks one at random, then falls back; Symfony's stream; your own
#   code): a silent address costs some sends a timeout.
# Asked when the mail port is silent: a host that answers on its web port is up, so what
# drops the mail port is a filter (this network, its cloud, or the server's firewall).
REACH_PORT = 443

EACH_ADDRESS_ITS_TIMEOUT = frozenset({"smtplib", "smtplib-ssl", "flask-mail", "django"})
ONE_TIMEOUT_FOR_ALL = frozenset({"aiosmtplib"})


async def probe_tcp(session: Session) -> list[ProbeResult]:
    port = session.settings.port or 0
    if session.proxy is not None and session.sock is not None:
        # The proxy step made the connection; what it reached is the server's port.
        return [passed("tcp", say("tcp.via_proxy", where=_where(session.address or "", port),
                                  proxy=session.proxy.shown))]
    client = session.settings.client.id if session.settings.client else "generic"
    in_order = client in EACH_ADDRESS_ITS_TIMEOUT | ONE_TIMEOUT_FOR_ALL
    main = asyncio.create_task(_connect_any(session.addresses, port, session.remaining(), in_order))
    await asyncio.wait({main}, timeout=min(ALTERNATIVES_AFTER, session.remaining()))
    alternatives: dict[int, asyncio.Task[str | None]] = {}
    reach: asyncio.Task[str] | None = None
    if not (main.done() and main.exception() is None):
        first_address = session.addresses[0]
        host = session.settings.host or first_address
        alternatives = {p: asyncio.create_task(what_port_speaks(
            first_address, p, host, session.context, session.remaining()))
            for p in session.alt_ports if p != port}
        if port != REACH_PORT:
            reach = asyncio.create_task(_answers(first_address, REACH_PORT, session.remaining()))
    try:
        sock, address, others = await main
    except (OSError, TimeoutError) as exc:
        answered = await _gather_answers(alternatives)
        failure = _failure(session, port, exc, answered)
        if isinstance(exc, TimeoutError):
            failure = failure._replace(params=frozen_params(
                {**failure.params, **_dropped_or_down(port, answered, await _answer_of(reach),
                                         _public(session.addresses[0]))}))
        host = session.settings.host or ""
        if session.provider is None and session.remaining() > 0.2:
            # A host with a website but no mail server: is it the mail domain?
            from smtpdoctor.probes.records import mail_domain_params

            extra = await mail_domain_params(session, host)
            if extra:
                failure = failure._replace(params=frozen_params({**failure.params, **extra}))
        return [failure]
    finally:
        for task in (*alternatives.values(), *((reach,) if reach else ())):
            task.cancel()
    if not others:
        session.sock, session.address = sock, address
        return [passed("tcp", say("tcp.accepted", where=_where(address, port)))]
    result = _walked(session, client, port, address, others)
    if result.status is Status.FAIL:
        sock.close()  # the app's client never gets this far
    else:
        session.sock, session.address = sock, address
    return [result]


def _where(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def _family(address: str) -> str:
    return "IPv6" if ":" in address else "IPv4"


def _walked(session: Session, client: str, port: int, address: str,
            others: list[tuple[str, BaseException]]) -> ProbeResult:
    """The connect as the app's client makes it, when some of the host's addresses did not
    connect: ``others`` are those, with what each gave."""
    where = _where(address, port)
    details: dict[str, object] = {
        "addresses": [f"{_where(a, port)} {_outcome(e)}" for a, e in others] + [f"{where} connected"]}
    silent = [a for a, exc in others if isinstance(exc, TimeoutError)]
    if not silent:  # refused or unreachable at once: every client moves on to the next
        return passed("tcp", say("tcp.accepted", where=where), details=details)
    order = session.addresses
    first_silent = order.index(silent[0]) < order.index(address)
    choice = session.settings.client
    params: dict[str, object] = {"client": choice.param if choice else "§client.generic",
              "silent": _where(silent[0], port),
              "family": _family(silent[0]), "working": where, "working_family": _family(address),
              "timeout": seconds_text(session.timeout),
              "prefer": "§tcp.prefer_ipv4" if _family(address) == "IPv4" else ""}
    summary = say("tcp.accepted_but_silent", **params)
    if client in ONE_TIMEOUT_FOR_ALL and first_silent:
        return failed("tcp", "tcp.first_address_silent", say("tcp.first_address_silent", **params),
                      params=params, details=details)
    if client in EACH_ADDRESS_ITS_TIMEOUT:
        if not first_silent:  # the client connects before it would reach the silent one
            return passed("tcp", summary, details=details)
        return passed("tcp", summary, warning="tcp.address_silent_in_order", params=params, details=details)
    return passed("tcp", summary, warning="tcp.address_silent", params=params, details=details)


def _outcome(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__


async def _connect_any(addresses: list[str], port: int, limit: float, in_order: bool
                       ) -> tuple[socket.socket, str, list[tuple[str, BaseException]]]:
    """Every address at once; the first to connect is used. Before answering, the addresses
    the client would try first (``in_order``: those before it; else all of them) are given
    until ``limit`` to say what they do, since that decides the app's connect too. If none
    connects, the first address's error stands."""
    if len(addresses) == 1:  # nothing to race: its connect, or its error
        return await open_socket(addresses[0], port, limit), addresses[0], []
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
        ahead = tasks[:tasks.index(winner)] if in_order else [t for t in tasks if t is not winner]
        if any(not t.done() for t in ahead):
            await asyncio.wait([t for t in ahead if not t.done()])
        others: list[tuple[str, BaseException]] = []
        for task in ahead:
            error = None if task.cancelled() else task.exception()
            if error is not None:
                others.append((addresses[tasks.index(task)], error))
        return winner.result(), addresses[tasks.index(winner)], others
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
            elif task is not winner and not task.cancelled() and task.exception() is None:
                task.result().close()


async def _answers(address: str, port: int, limit: float) -> str:
    """"connected" or "refused" (both come from a running host), else "silent"."""
    try:
        sock = await open_socket(address, port, limit)
    except ConnectionRefusedError:
        return "refused"
    except (OSError, TimeoutError):
        return "silent"
    sock.close()
    return "connected"


async def _answer_of(task: asyncio.Task[str] | None) -> str:
    """The reach probe's answer, "silent" if it failed, "not asked" without one."""
    if task is None:
        return "not asked"
    with contextlib.suppress(Exception, asyncio.CancelledError):
        return await task
    return "silent"


def _dropped_or_down(port: int, answered: dict[int, str], reach: str, public: bool) -> dict[str, object]:
    """What tells a dropped port from a dead host: another port of the same host that answered
    (a submission port, else 443), or that none did; and the cloud this machine runs in."""
    from smtpdoctor.wire.cloud import detect_cloud

    params: dict[str, object] = {"reach": "§reach.unknown"}
    if answered:
        other = min(answered)
        params |= {"reach": "§reach.other_port", "other_port": other, "how": "§reach.how.speaks"}
    elif reach in ("connected", "refused"):
        params |= {"reach": "§reach.other_port", "other_port": REACH_PORT, "how": f"§reach.how.{reach}"}
    elif reach == "silent":
        params |= {"reach": "§reach.nothing", "other_port": REACH_PORT}
    cloud = detect_cloud() if public else None
    if cloud is not None and port in cloud.blocked:
        params |= {"cloud": f"§cloud.{cloud.id}", "evidence": cloud.evidence}
    return params


def _public(address: str) -> bool:
    """A cloud's outbound rules are for the internet: never a relay on this machine or the
    private network."""
    import ipaddress

    try:
        return ipaddress.ip_address(address).is_global
    except ValueError:
        return False


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
