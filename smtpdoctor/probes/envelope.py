"""envelope: MAIL FROM and RCPT TO the sender are accepted, then RSET —
nothing is sent. This is where "sender must equal login" shows up."""

from __future__ import annotations

from smtpdoctor.classify import sender_reason_by_code
from smtpdoctor.model import ErrorCode, ProbeResult
from smtpdoctor.probes.session import Session, failed, passed, say
from smtpdoctor.probes.smtp import EHLO_NAME_REFUSED
from smtpdoctor.wire.addresses import wire_address


async def probe_envelope(session: Session) -> list[ProbeResult]:
    from aiosmtplib import SMTPResponseException

    client = session.client
    configured = session.settings.sender or ""
    assert client is not None
    sender, utf8 = wire_address(configured)
    if utf8 and not client.supports_extension("smtputf8"):
        from smtpdoctor.probes.send import smtputf8_refusal  # the send probe's code only here

        return [smtputf8_refusal("envelope", session, [configured])]
    encoding = "utf-8" if utf8 else "ascii"
    steps = (("MAIL FROM", client.mail, sender_reason_by_code),
             ("RCPT TO", client.rcpt, lambda code, text: "envelope.recipient_rejected"))
    replies = []
    for verb, send, fallback in steps:
        session.current = verb
        session.record("C", f"{verb}:<{sender}>")
        options = ["SMTPUTF8"] if utf8 and verb == "MAIL FROM" else None
        try:
            reply = await send(sender, options=options, encoding=encoding, timeout=session.remaining())
        except SMTPResponseException as exc:
            text = session.record_reply(exc.code, exc.message)
            reason, provider = session.classify(exc.code, text, ("envelope.", "message.", EHLO_NAME_REFUSED),
                                                fallback(exc.code, text))
            summary = say("envelope.refused", verb=verb, address=sender, reply=text[:80])
            if reason == EHLO_NAME_REFUSED:  # Postfix says it at RCPT (smtpd_delay_reject)
                return [failed("envelope", reason, summary, reply=text, reply_code=exc.code,
                               params={"recipient": sender, **session.ehlo_params()}, provider=provider)]
            return [failed("envelope", reason, summary,
                           code=ErrorCode.EENVELOPE, reply=text, reply_code=exc.code,
                           params={"recipient": sender}, provider=provider)]
        session.record_reply(reply.code, reply.message)
        replies.append(f"{verb} {reply.code}")
    session.current = "RSET"
    session.record("C", "RSET")
    reset = await client.rset(timeout=session.remaining())
    session.record_reply(reset.code, reset.message)
    return [passed("envelope", say("envelope.passed", replies=", ".join(replies), sender=sender))]
