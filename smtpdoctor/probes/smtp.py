"""smtp: 220 greeting (read in the tls step) and EHLO; records capabilities."""

from __future__ import annotations

from smtpdoctor.model import ProbeResult
from smtpdoctor.probes.session import Session, failed, passed, say

# A server that refuses the name in EHLO (at EHLO, or at RCPT as Postfix does by default).
EHLO_NAME_REFUSED = "smtp.ehlo_name_refused"
SHOWN_EXTENSIONS = ("size", "8bitmime", "smtputf8", "pipeline", "pipelining", "chunking",
                    "enhancedstatuscodes", "starttls")


async def say_ehlo(session: Session) -> ProbeResult | None:
    """EHLO, logged; the smtp probe's failure if the server refuses it."""
    from aiosmtplib import SMTPHeloError

    client = session.client
    assert client is not None
    session.current = "EHLO"
    session.record("C", f"EHLO {client.local_hostname}")
    try:
        reply = await client.ehlo(timeout=session.remaining())
    except SMTPHeloError as exc:
        text = session.record_reply(exc.code, exc.message)
        reason, _ = session.classify(exc.code, text, ("smtp.",), "smtp.ehlo_rejected")
        params = session.ehlo_params() if reason == EHLO_NAME_REFUSED else None
        return failed("smtp", reason, say("smtp.ehlo_refused", reply=text), reply=text, reply_code=exc.code,
                      params=params)
    session.record_reply(reply.code, reply.message)
    return None


async def probe_smtp(session: Session) -> list[ProbeResult]:
    client = session.client
    assert client is not None
    # After STARTTLS the client must forget the old EHLO (RFC 3207); with
    # implicit TLS nothing has been said yet. Either way: EHLO now.
    if client.is_ehlo_or_helo_needed and (refused := await say_ehlo(session)):
        return [refused]
    extensions = client.esmtp_extensions
    auth = " ".join(m.upper() for m in client.server_auth_methods) or "none"
    shown = [
        f"{name.upper()} {extensions[name]}".strip() for name in SHOWN_EXTENSIONS if name in extensions
    ]
    greeting = session.greeting[:60]
    if shown:
        summary = say("smtp.passed_extensions", greeting=greeting, auth=auth, extensions=", ".join(shown))
    else:
        summary = say("smtp.passed", greeting=greeting, auth=auth)
    return [passed("smtp", summary, details={
        "greeting": session.greeting,
        "auth_mechanisms": [m.upper() for m in client.server_auth_methods],
        "extensions": sorted(e.upper() for e in extensions),
        # The name sent, as the app's client sends it where smtpdoctor models the client.
        "ehlo_name": session.ehlo_name, "ehlo_name_is_the_clients": session.ehlo_is_clients,
    })]
