"""tls: implicit TLS on connect, or STARTTLS after EHLO, certificate verified.

The greeting arrives inside this step (after the handshake for implicit TLS,
before STARTTLS otherwise), so a greeting failure is reported here as the
``smtp`` probe's failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from typing import Any

from smtpdoctor.classify import certificate_reason
from smtpdoctor.model import ProbeResult, seconds_text
from smtpdoctor.probes.session import Said, Session, failed, passed, say, skipped
from smtpdoctor.probes.smtp import say_ehlo
from smtpdoctor.wire.certificate import CertFacts, cert_time_to_seconds, name_of, presented_certificate
from smtpdoctor.wire.sniff import plaintext_mode, speaks_implicit_tls

EXPIRY_WARNING_DAYS = 21
# How long a plaintext greeting may take before we also ask, on a second
# connection, whether the port is waiting for a TLS handshake instead.
SNIFF_AFTER = 1.0
HANDSHAKE_DONE = say("tls.handshake_completed")
# What an old server lacks (wire/tlscompat.py) → its reason.
TOO_OLD_REASONS = {"protocol": "tls.server_protocol_too_old", "dh": "tls.server_dh_too_small",
                   "renegotiation": "tls.server_no_secure_renegotiation"}


async def probe_tls(session: Session) -> list[ProbeResult]:
    from aiosmtplib import SMTP

    from smtpdoctor.wire.ehlo import ehlo_name

    s = session.settings
    session.ehlo_name, session.ehlo_is_clients = await ehlo_name(
        s.client.id if s.client else "generic", min(2.0, session.remaining()))
    session.client = SMTP(
        hostname=s.host, sock=session.sock, use_tls=s.security == "ssl", start_tls=False,
        tls_context=session.context, timeout=session.timeout, local_hostname=session.ehlo_name,
    )
    session.sock = None  # the client owns (and closes) it now
    if s.security == "ssl":
        return await _implicit(session)
    return await _starttls(session)


async def _implicit(session: Session) -> list[ProbeResult]:
    from aiosmtplib import (
        SMTPConnectError,
        SMTPConnectResponseError,
        SMTPConnectTimeoutError,
        SMTPReadTimeoutError,
    )

    assert session.client is not None
    session.current = "TLS handshake"
    try:
        response = await session.client.connect(timeout=session.remaining())
    except SMTPConnectResponseError as exc:
        return [passed("tls", HANDSHAKE_DONE), _greeting_refused(session, exc.code, exc.message)]
    except SMTPConnectTimeoutError as exc:
        if isinstance(exc.__cause__, SMTPReadTimeoutError):
            return [passed("tls", HANDSHAKE_DONE), _greeting_timeout(session)]
        s = session.settings
        summary = say("tls.no_handshake", host=s.host, port=s.port)
        return [await _not_tls(session, "tls.timeout", "no handshake", summary)]
    except SMTPConnectError as exc:
        return [await _handshake_error(session, exc.__cause__ or exc)]
    session.greeting = session.record_reply(response.code, response.message)
    return [_tls_passed(session)]


async def _handshake_error(session: Session, cause: BaseException) -> ProbeResult:
    if isinstance(cause, ssl.SSLCertVerificationError):
        return await _certificate_failure(session, cause, implicit=True)
    old = await _too_old(session, cause, implicit=True)
    if old is not None:
        return old  # it answered in TLS: no plaintext greeting to wait for
    return await _not_tls(session, "tls.handshake_failed", _ssl_words(cause))


async def _too_old(session: Session, exc: BaseException, *, implicit: bool) -> ProbeResult | None:
    """When OpenSSL refuses the server as too old, what it lacks, from a second handshake
    with every floor down (wire/tlscompat.py); None for any other failure."""
    from smtpdoctor.wire.tlscompat import lacks, relaxed_handshake, too_old

    kind = too_old(exc)
    if kind is None:
        return None
    s = session.settings
    detail = _ssl_words(exc)
    relaxed = await relaxed_handshake(session.address or "", s.port or 0, s.host or "",
                                      implicit=implicit, limit=min(3.0, session.remaining()))
    missing = lacks(kind, relaxed) if relaxed else None
    if relaxed is None or missing is None:
        if kind == "reset":
            return None  # a hang-up the relaxed handshake does not explain: said as it was
        summary = say("tls.failed", host=s.host, port=s.port, detail=detail)
        return failed("tls", "tls.handshake_failed", summary, params={"detail": detail})
    params: dict[str, object] = {"detail": detail, "version": relaxed.version, "cipher": relaxed.cipher}
    return failed("tls", TOO_OLD_REASONS[missing], say("tls.too_old", detail=detail, version=relaxed.version),
                  params=params, details={"relaxed_protocol": relaxed.version,
                                          "relaxed_cipher": relaxed.cipher})


def _ssl_words(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return f"{exc.reason} ({exc.library or 'ssl'})"
    return str(exc) or type(exc).__name__


async def _not_tls(session: Session, reason: str, detail: str, summary: Said | None = None) -> ProbeResult:
    """The handshake failed: if the port greets in plaintext, the real fault is
    the mode, and we can say exactly which setting to change."""
    s = session.settings
    actual = await plaintext_mode(session.address or "", s.port or 0, session.remaining())
    session.port_modes[s.port or 0] = actual
    if actual is not None:
        return failed("tls", "tls.wrong_mode", say("tls.plaintext_not_tls", port=s.port),
                      params={"configured": "ssl", "actual": actual, "symptom": "§symptom.wrong_version"})
    summary = summary or say("tls.failed", host=s.host, port=s.port, detail=detail)
    return failed("tls", reason, summary, params={"detail": detail, "timeout": seconds_text(session.timeout)})


async def _starttls(session: Session) -> list[ProbeResult]:
    s = session.settings
    client = session.client
    assert client is not None
    greeted = await _greeting_and_ehlo(session)
    if greeted is not None:
        return greeted
    offered = client.supports_extension("starttls")
    if s.security != "plain" and not offered and s.starttls_optional:
        # An opportunistic client (nodemailer, Laravel, aiosmtplib) goes on in clear, and the app
        # sends: when it will log in there (AUTH is offered in clear), that is a failure all the
        # same, said as what happens.
        summary = say("tls.goes_on_plain", port=s.port)
        if s.logs_in and client.supports_extension("auth"):
            return [failed("tls", "tls.password_in_clear", summary,
                           params={"client": s.client.param if s.client else ""})]
        return [passed("tls", summary)]
    if s.security == "plain":
        # What the app does too: Flask-Mail without a flag never asks.
        summary = say("tls.plain_offered") if offered else say("tls.plain")
        if s.logs_in:
            return [passed("tls", summary, warning="tls.not_encrypted")]
        return [passed("tls", summary)]
    if not offered:
        return [failed("tls", "tls.starttls_not_offered", say("tls.starttls_not_offered", port=s.port))]
    return [await _upgrade(session)]


async def _greeting_and_ehlo(session: Session) -> list[ProbeResult] | None:
    """The plaintext greeting and EHLO before STARTTLS; the results when either fails (a port
    that waits for TLS instead is told apart while the greeting is late)."""
    from aiosmtplib import SMTPConnectError, SMTPConnectResponseError, SMTPConnectTimeoutError

    s = session.settings
    assert session.client is not None
    session.current = "greeting"
    connect = asyncio.create_task(session.client.connect(timeout=session.remaining()))
    # When --max-time ends the step first, nobody awaits this task: its error is read here, so
    # the run's shutdown never prints "unhandled exception" for it.
    connect.add_done_callback(_read_outcome)
    if await _implicit_tls_instead(session, connect):
        session.port_modes[s.port or 0] = "ssl"
        return [failed("tls", "tls.wrong_mode", say("tls.waits_for_tls", port=s.port),
                       params={"configured": s.security, "actual": "ssl", "symptom": "§symptom.no_greeting"})]
    not_reached = say("skip.greeting_failed")
    try:
        response = await connect
    except SMTPConnectResponseError as exc:
        return [skipped("tls", not_reached), _greeting_refused(session, exc.code, exc.message)]
    except SMTPConnectTimeoutError:
        return [skipped("tls", not_reached), _greeting_timeout(session)]
    except SMTPConnectError as exc:
        detail = str(exc.__cause__ or exc)
        return [skipped("tls", not_reached),
                failed("smtp", "smtp.disconnected", say("smtp.closed_before_greeting"),
                       params={"detail": detail})]
    session.greeting = session.record_reply(response.code, response.message)
    refused = await say_ehlo(session)
    if refused is not None:
        return [skipped("tls", say("skip.ehlo_failed")), refused]
    return None


async def _upgrade(session: Session) -> ProbeResult:
    """STARTTLS and the handshake, the certificate checked as the client checks it."""
    from aiosmtplib import SMTPException, SMTPResponseException, SMTPTimeoutError

    client = session.client
    assert client is not None
    session.current = "STARTTLS"
    session.record("C", "STARTTLS")
    try:
        reply = await client.starttls(server_hostname=session.settings.host, timeout=session.remaining())
    except ssl.SSLCertVerificationError as exc:
        return await _certificate_failure(session, exc, implicit=False)
    except SMTPResponseException as exc:
        text = session.record_reply(exc.code, exc.message)
        # Microsoft's 421 4.7.66: the server refuses the client's old TLS (tls.client_too_old).
        reason, _ = session.classify(exc.code, text, ("tls.",), "tls.handshake_failed")
        return failed("tls", reason, say("tls.starttls_refused", reply=text),
                      reply=text, reply_code=exc.code, params={"detail": text})
    except (SMTPTimeoutError, TimeoutError):
        return failed("tls", "tls.timeout", say("tls.starttls_timeout"),
                      params={"timeout": seconds_text(session.timeout)})
    except (ssl.SSLError, SMTPException, OSError) as exc:
        old = await _too_old(session, exc.__cause__ or exc, implicit=False)
        if old is not None:
            return old
        detail = _ssl_words(exc)
        return failed("tls", "tls.handshake_failed", say("tls.starttls_failed", detail=detail),
                      params={"detail": detail})
    session.record_reply(reply.code, reply.message)
    return _tls_passed(session, via="§via.starttls")


async def _implicit_tls_instead(session: Session, connect: asyncio.Task[object]) -> bool:
    """While the plaintext greeting is late, ask a second connection whether
    the port expects TLS right away; if it does, stop waiting."""
    done, _ = await asyncio.wait({connect}, timeout=min(SNIFF_AFTER, session.remaining() / 3))
    if done:
        return False
    # The greeting is late: ask the other ports now, so that a silent server costs one limit,
    # its alternatives included (the fix search reads these answers).
    session.sniff_alternatives()
    s = session.settings
    sniff = asyncio.create_task(speaks_implicit_tls(
        session.address or "", s.port or 0, s.host or "", session.context, session.remaining()))
    pending: set[asyncio.Task[object]] = {connect, sniff}
    while pending:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        if connect in done:
            sniff.cancel()
            return False
        if sniff in done and sniff.result():
            connect.cancel()
            with contextlib.suppress(BaseException):
                await connect
            return True
    return False


def _greeting_timeout(session: Session) -> ProbeResult:
    from smtpdoctor.wire.mesh import MESHES, detect_mesh

    said = say("smtp.greeting_timeout", timeout=seconds_text(session.timeout))
    mesh = detect_mesh()
    if mesh is not None:
        # A sidecar that waits for the client's first bytes, on a protocol whose server speaks
        # first: likely, not certain, and said so.
        return failed("smtp", "smtp.greeting_held_by_mesh", said, params={
            "timeout": seconds_text(session.timeout), "mesh": f"§mesh.{mesh}",
            "ports": " and ".join(str(p) for p in MESHES[mesh]), "mesh_fix": f"§mesh_fix.{mesh}"})
    return failed("smtp", "smtp.greeting_timeout", said, params={"timeout": seconds_text(session.timeout)})


def _greeting_refused(session: Session, code: int, message: str) -> ProbeResult:
    text = session.record_reply(code, message)
    reason, provider = session.classify(code, text, ("smtp.",), "smtp.greeting_rejected")
    return failed("smtp", reason, say("smtp.greeting_refused", reply=text), reply=text, reply_code=code,
                  provider=provider)


# Clients that do not check the server's certificate: smtplib's starttls()/SMTP_SSL() without a
# context use ssl._create_stdlib_context() (CERT_NONE), and Flask-Mail calls them that way.
# tests/conformance runs both against untrusted, wrong-name and expired certificates.
UNCHECKED_CERTIFICATES = frozenset({"smtplib", "smtplib-ssl", "flask-mail"})


async def _certificate_failure(session: Session, exc: ssl.SSLCertVerificationError, *,
                               implicit: bool) -> ProbeResult:
    reason = certificate_reason(exc.verify_code)
    detail = exc.verify_message or str(exc)
    cert = await _presented(session, implicit)
    params: dict[str, object] = {"detail": detail, **_certificate_words(reason, cert)}
    details: dict[str, object] = ({"subject": cert.subject, "issuer": cert.issuer, "names": cert.names,
                "not_before": cert.not_before, "not_after": cert.not_after,
                "self_signed": cert.self_signed, "interceptor": cert.interceptor}
               if cert else {"verify_error": detail})
    client = session.settings.client
    if client is not None and client.id in UNCHECKED_CERTIFICATES:
        # The app sends all the same: still a failure (anyone on the path can read the password),
        # said as what it is, with the change that makes the app check.
        return failed("tls", "tls.cert_unchecked", say("tls.cert_rejected", detail=detail),
                      params={**params, "problem": f"§cert_problem.{reason.removeprefix('tls.')}",
                              "client": client.param,
                              "how": "§cert_check.flask_mail" if client.id == "flask-mail"
                              else "§cert_check.smtplib"}, details=details)
    return failed("tls", reason, say("tls.cert_rejected", detail=detail), params=params, details=details)


async def _presented(session: Session, implicit: bool) -> CertFacts | None:
    """The certificate the server presented, fetched again unchecked (a second connection,
    at most 3 s of what the run has left): what the report states is what was observed."""
    s = session.settings
    if not session.address or not s.port:
        return None
    return await presented_certificate(session.address, s.host or "", s.port, implicit,
                                       min(3.0, session.remaining()))


def _certificate_words(reason: str, cert: CertFacts | None) -> dict[str, object]:
    """What the report says of the certificate: observed facts, never a guess between causes."""
    if cert is None:
        return {"cert_said": "§cert_said.unknown", "cert_advice": "§cert_advice.unknown",
                "names_said": ""}
    names = ", ".join(cert.names) or cert.subject
    facts: dict[str, object] = {"subject": cert.subject, "issuer": cert.issuer, "cert_names": names,
                                "names_said": "§cert_names"}
    if reason != "tls.cert_untrusted":
        return facts
    if cert.interceptor:
        kind = "interceptor"
        facts["interceptor"] = cert.interceptor
    elif cert.self_signed:
        kind = "self_signed"
    else:
        kind = "unknown_ca"
    return {**facts, "cert_said": f"§cert_said.{kind}", "cert_advice": f"§cert_advice.{kind}"}


def _tls_passed(session: Session, via: str = "§via.ssl") -> ProbeResult:
    assert session.client is not None
    sslobj = session.client.get_transport_info("ssl_object")
    if sslobj is None:
        return passed("tls", say("tls.via_handshake_completed", via=via))
    cipher = (sslobj.cipher() or ("?",))[0]
    # The transport read the certificate when the handshake completed: asked once, not twice.
    cert = session.client.get_transport_info("peercert") or sslobj.getpeercert() or {}
    subject = name_of(cert.get("subject", ()))
    issuer = name_of(cert.get("issuer", ()))
    facts = {"via": via, "protocol": sslobj.version(), "cipher": cipher, "subject": subject, "issuer": issuer}
    summary = say("tls.passed", **facts)
    details: dict[str, object] = {"protocol": sslobj.version(), "cipher": cipher,
                                  "subject": subject, "issuer": issuer}
    if "notAfter" in cert:
        expires = cert_time_to_seconds(cert["notAfter"])
        days = int((expires - time.time()) // 86400)
        details |= {"expires": time.strftime("%Y-%m-%d", time.gmtime(expires)), "days_left": days}
        summary = say("tls.passed_expires", **facts, days=days)
        if days < EXPIRY_WARNING_DAYS:
            return passed("tls", summary, warning="tls.cert_expiring", params={"days": days},
                          details=details)
    return passed("tls", summary, details=details)


def _read_outcome(task: asyncio.Future[Any]) -> None:
    """Mark a background task's result or error as read (it is reported elsewhere, or moot)."""
    if not task.cancelled():
        task.exception()
