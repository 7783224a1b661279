"""Run the probes in order: each with its own time limit, a failure skipping
the rest, a crash becoming a result."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

from smtpdoctor.model import ProbeResult, Status
from smtpdoctor.probes.auth import probe_auth
from smtpdoctor.probes.dns import probe_dns
from smtpdoctor.probes.envelope import probe_envelope
from smtpdoctor.probes.send import probe_send
from smtpdoctor.probes.smtp import probe_smtp
from smtpdoctor.probes.tcp import probe_tcp
from smtpdoctor.probes.tls import probe_tls
from smtpdoctor.session import Session, failed, skipped

Probe = Callable[[Session], Awaitable[list[ProbeResult]]]
PROBES: dict[str, Probe] = {
    "dns": probe_dns,
    "tcp": probe_tcp,
    "tls": probe_tls,
    "smtp": probe_smtp,
    "auth": probe_auth,
    "envelope": probe_envelope,
    "send": probe_send,
}
# A step's own deadline fires first; this margin only catches a step that
# ignores it, so the whole run still ends within the limits the user set.
SAFETY_MARGIN = 0.5
TIMEOUT_REASONS = {
    "dns": "dns.timeout", "tcp": "tcp.timeout", "tls": "tls.timeout", "smtp": "smtp.timeout",
    "auth": "auth.timeout", "envelope": "envelope.timeout", "send": "message.timeout",
}
ProgressHook = Callable[[str], None]


async def run_probes(session: Session, names: tuple[str, ...], until: str | None = None,
                     on_step: ProgressHook | None = None) -> list[ProbeResult]:
    results: dict[str, ProbeResult] = {}
    stop_reason: str | None = None
    try:
        for name in names:
            if name in results:
                continue  # an earlier step already reported this one
            if stop_reason is not None:
                results[name] = skipped(name, stop_reason)
                continue
            if on_step:
                on_step(name)
            for result in await _run_one(session, name):
                results.setdefault(result.name, result)
            if any(r.status is Status.FAIL for r in results.values()):
                failure = next(r for r in results.values() if r.status is Status.FAIL)
                stop_reason = f"skipped: {failure.name} failed"
            elif name == until:
                stop_reason = f"skipped: --until {until}"
    finally:
        await _goodbye(session)
    return [results[name] for name in names]


async def _run_one(session: Session, name: str) -> list[ProbeResult]:
    session.current = name
    session.start_step()
    started = time.perf_counter()
    try:
        async with asyncio.timeout(session.timeout + SAFETY_MARGIN):
            produced = await PROBES[name](session)
    except TimeoutError:
        detail = session.current
        produced = [failed(name, TIMEOUT_REASONS[name], f"no answer to {detail} within "
                           f"{session.timeout:g} s", params={"timeout": f"{session.timeout:g}",
                                                              "detail": detail})]
    except Exception as exc:
        produced = [_crash_or_disconnect(session, name, exc)]
    elapsed = (time.perf_counter() - started) * 1000
    # Where one step reports two probes, the second gets the time left over.
    return [replace(r, duration_ms=r.duration_ms or (elapsed if i == 0 else 0.0))
            for i, r in enumerate(produced)]


def _crash_or_disconnect(session: Session, name: str, exc: Exception) -> ProbeResult:
    from aiosmtplib import SMTPServerDisconnected

    if isinstance(exc, SMTPServerDisconnected | ConnectionError):
        return failed(name, "smtp.disconnected", f"connection lost during {session.current}",
                      params={"detail": session.redactor.clean(str(exc)) or type(exc).__name__})
    if isinstance(exc, OSError):
        return failed(name, "smtp.disconnected", f"{session.current}: {exc}",
                      params={"detail": session.redactor.clean(str(exc))})
    return failed(name, "internal.crash", f"smtpdoctor crashed: {type(exc).__name__}",
                  params={"detail": session.redactor.clean(f"{type(exc).__name__}: {exc}")})


async def _goodbye(session: Session) -> None:
    client = session.client
    if client is not None and client.is_connected:
        with contextlib.suppress(Exception):
            session.record("C", "QUIT")
            reply = await client.quit(timeout=min(2.0, session.timeout))
            session.record_reply(reply.code, reply.message)
    session.close()
