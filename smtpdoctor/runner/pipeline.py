"""Run the probes in order: each with its own time limit, a failure skipping
the rest, a crash becoming a result."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

from smtpdoctor.classify import TIMEOUT_REASONS
from smtpdoctor.model import CRASH_REASON, ProbeResult, Status, seconds_text
from smtpdoctor.probes.auth import probe_auth
from smtpdoctor.probes.dns import probe_dns
from smtpdoctor.probes.envelope import probe_envelope
from smtpdoctor.probes.session import Said, Session, failed, say, skipped
from smtpdoctor.probes.smtp import probe_smtp
from smtpdoctor.probes.tcp import probe_tcp
from smtpdoctor.probes.tls import probe_tls

Probe = Callable[[Session], Awaitable[list[ProbeResult]]]


# The probes only some runs need (a token refresh, a real send, a mailbox) are imported when
# they run: the message and IMAP code would cost every check some 15 ms of start-up.
async def probe_oauth(session: Session) -> list[ProbeResult]:
    from smtpdoctor.probes.oauth import probe_oauth as probe

    return await probe(session)


async def probe_proxy(session: Session) -> list[ProbeResult]:
    from smtpdoctor.probes.proxy import probe_proxy as probe

    return await probe(session)


async def probe_send(session: Session) -> list[ProbeResult]:
    from smtpdoctor.probes.send import probe_send as probe

    return await probe(session)


async def probe_delivery(session: Session) -> list[ProbeResult]:
    from smtpdoctor.probes.delivery import probe_delivery as probe

    return await probe(session)


PROBES: dict[str, Probe] = {
    "dns": probe_dns,
    "proxy": probe_proxy,
    "tcp": probe_tcp,
    "tls": probe_tls,
    "smtp": probe_smtp,
    "oauth": probe_oauth,
    "auth": probe_auth,
    "envelope": probe_envelope,
    "send": probe_send,
    "delivery": probe_delivery,
}
# A step's own deadline fires first; this margin only catches a step that
# ignores it, so the whole run still ends within the limits the user set.
SAFETY_MARGIN = 0.5
ProgressHook = Callable[[str], None]


async def run_probes(session: Session, names: tuple[str, ...], until: str | None = None,
                     on_step: ProgressHook | None = None) -> list[ProbeResult]:
    results: dict[str, ProbeResult] = {}
    stop_reason: Said | None = None
    try:
        for name in names:
            if name in results:
                continue  # an earlier step already reported this one
            left = session.run_left()
            if stop_reason is None and left is not None and left <= 0:
                stop_reason = say("skip.max_time")
            if stop_reason is not None:
                results[name] = skipped(name, stop_reason)
                continue
            if on_step:
                on_step(name)
            for result in await _run_one(session, name):
                results.setdefault(result.name, result)
            if any(r.status is Status.FAIL for r in results.values()):
                failure = next(r for r in results.values() if r.status is Status.FAIL)
                stop_reason = say("skip.failed", probe=failure.name)
            elif name == until:
                stop_reason = say("skip.until", probe=until)
    except BaseException:
        # Interrupted (Ctrl-C, SIGTERM, the deadline): no polite QUIT, just close.
        session.close()
        raise
    await _goodbye(session)
    return [results[name] for name in names]


async def _run_one(session: Session, name: str) -> list[ProbeResult]:
    session.current = name
    # The run's deadline has no grace: --max-time is what a supervisor enforces.
    # Confirming delivery waits for the message: --confirm-timeout, not --timeout.
    cut_short = session.start_step(session.confirm_timeout if name == "delivery" else None)
    started = time.perf_counter()
    limit = session.remaining()
    try:
        async with asyncio.timeout(limit if cut_short else limit + SAFETY_MARGIN):
            produced = await PROBES[name](session)
    except TimeoutError:
        detail = session.current
        why = say("step.max_time" if cut_short else "step.timeout", step=detail,
                  timeout=seconds_text(session.timeout))
        result = failed(name, TIMEOUT_REASONS[name], why,
                        params={"timeout": seconds_text(limit), "detail": detail})
        produced = _smtp_owns_the_greeting(session, name, result)
    except Exception as exc:
        produced = _smtp_owns_the_greeting(session, name, _crash_or_disconnect(session, name, exc))
    elapsed = (time.perf_counter() - started) * 1000
    # Where one step reports two probes (tls skipped, smtp's greeting timed out), the step's
    # time is the one that ran's.
    ran = next((i for i, r in enumerate(produced) if r.status is not Status.SKIP), 0)
    return [r._replace(duration_ms=r.duration_ms or (elapsed if i == ran else 0.0))
            for i, r in enumerate(produced)]


def _smtp_owns_the_greeting(session: Session, name: str, result: ProbeResult) -> list[ProbeResult]:
    """The greeting and EHLO are read in the tls step (STARTTLS needs them), but a failure
    there is smtp's to report, whether it timed out, broke the protocol or hung up."""
    if name != "tls" or session.current not in ("greeting", "EHLO"):
        return [result]
    if result.error is not None and result.error.reason == "tls.timeout":
        reason = "smtp.greeting_timeout" if session.current == "greeting" else "smtp.timeout"
        result = result._replace(error=result.error._replace(reason=reason))
    return [skipped("tls", say("skip.greeting_failed")), result._replace(name="smtp")]


def _crash_or_disconnect(session: Session, name: str, exc: Exception) -> ProbeResult:
    from aiosmtplib import SMTPResponseException, SMTPServerDisconnected

    if isinstance(exc, SMTPResponseException):
        # aiosmtplib's "Response too long" / "Malformed SMTP response line" (code -1):
        # the server broke the protocol; no setting of the user's is to blame.
        detail = session.redactor.clean(str(exc.message)) or type(exc).__name__
        return failed(name, "smtp.protocol_error",
                      say("step.protocol_error", step=session.current, detail=detail),
                      params={"detail": detail})
    if isinstance(exc, SMTPServerDisconnected | ConnectionError):
        return failed(name, "smtp.disconnected", say("step.connection_lost", step=session.current),
                      params={"detail": session.redactor.clean(str(exc)) or type(exc).__name__})
    if isinstance(exc, OSError):
        detail = session.redactor.clean(str(exc))
        return failed(name, "smtp.disconnected",
                      say("step.protocol_error", step=session.current, detail=detail),
                      params={"detail": detail})
    return failed(name, CRASH_REASON, say("crash", detail=type(exc).__name__),
                  params={"detail": session.redactor.clean(f"{type(exc).__name__}: {exc}")})


async def _goodbye(session: Session) -> None:
    client = session.client
    left = session.run_left()
    if client is not None and client.is_connected and (left is None or left > 0.1):
        with contextlib.suppress(Exception):
            session.record("C", "QUIT")
            limit = min(2.0, session.timeout, left if left is not None else 2.0)
            reply = await client.quit(timeout=limit)
            session.record_reply(reply.code, reply.message)
    session.close()
