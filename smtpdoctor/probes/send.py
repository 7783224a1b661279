"""send (send-test only): a real, well-formed message to each recipient."""

from __future__ import annotations

import secrets
import time

from smtpdoctor.model import ErrorCode, ProbeResult
from smtpdoctor.probes.session import Session, failed, passed, say
from smtpdoctor.wire.addresses import wire_address
from smtpdoctor.wire.message import build_message, new_message_id


def smtputf8_refusal(name: str, session: Session, addresses: list[str]) -> ProbeResult:
    """A non-ASCII address where the server cannot take one: say so before sending."""
    return failed(name, "message.smtputf8_unsupported",
                  say("smtputf8_unsupported", addresses=", ".join(addresses)),
                  params={"addresses": ", ".join(addresses)})


def _prepared(session: Session) -> tuple[str, list[tuple[str, bool]], bool, bytes] | ProbeResult:
    """The envelope's addresses as they go on the wire, whether they need SMTPUTF8, and the
    message (with the Message-ID and token the delivery step looks for)."""
    s = session.settings
    assert session.client is not None and s.sender is not None
    sender, utf8 = wire_address(s.sender)
    wired = [wire_address(r) for r in session.recipients]
    utf8 = utf8 or any(needs for _, needs in wired)
    if utf8 and not session.client.supports_extension("smtputf8"):
        return smtputf8_refusal("send", session, [a for a in (s.sender, *session.recipients)
                                                  if not wire_address(a)[0].isascii()])
    session.sent_id, session.sent_token = new_message_id(s), secrets.token_hex(8)
    message = build_message(s, session.recipients, subject=session.subject, body=session.body,
                            smtputf8=utf8, message_id=session.sent_id, token=session.sent_token)
    return sender, wired, utf8, message


async def probe_send(session: Session) -> list[ProbeResult]:
    from aiosmtplib import SMTPResponseException

    client = session.client
    assert client is not None
    prepared = _prepared(session)
    if isinstance(prepared, ProbeResult):
        return [prepared]
    sender, wired, utf8, message = prepared
    encoding = "utf-8" if utf8 else "ascii"
    started = time.perf_counter()
    stage = "MAIL FROM"
    try:
        session.current = stage
        session.record("C", f"MAIL FROM:<{sender}>" + (" SMTPUTF8" if utf8 else ""))
        reply = await client.mail(sender, options=["SMTPUTF8"] if utf8 else None,
                                  encoding=encoding, timeout=session.remaining())
        session.record_reply(reply.code, reply.message)
        refused: list[str] = []
        for recipient, (wire, _) in zip(session.recipients, wired, strict=True):
            stage = session.current = "RCPT TO"
            session.record("C", f"RCPT TO:<{wire}>")
            try:
                reply = await client.rcpt(wire, encoding=encoding, timeout=session.remaining())
                session.record_reply(reply.code, reply.message)
            except SMTPResponseException as exc:
                text = session.record_reply(exc.code, exc.message)
                refused.append(f"<{recipient}>: {text}")
                if len(refused) == len(session.recipients):
                    reason, provider = session.classify(exc.code, text, ("envelope.", "message."),
                                                        "envelope.recipient_rejected")
                    return [failed("send", reason, say("send.all_refused", reply=text[:80]),
                                   code=ErrorCode.EMESSAGE, reply=text, reply_code=exc.code,
                                   params={"recipient": recipient}, provider=provider)]
        stage = session.current = "DATA"
        session.record("C", f"DATA <message of {len(message)} bytes>")
        reply = await client.data(message, timeout=session.remaining())
    except SMTPResponseException as exc:
        text = session.record_reply(exc.code, exc.message)
        reason, provider = session.classify(exc.code, text, ("envelope.", "message."),
                                            "message.rejected")
        return [failed("send", reason, say("send.refused", step=stage, reply=text[:80]),
                       code=ErrorCode.EMESSAGE,
                       reply=text, reply_code=exc.code, provider=provider,
                       params={"recipient": ", ".join(session.recipients)})]
    queued = session.record_reply(reply.code, reply.message)
    session.sent_at = time.monotonic()
    took = (time.perf_counter() - started) * 1000
    accepted = len(session.recipients) - len(refused)
    facts = {"count": accepted, "ms": f"{took:.0f}", "reply": queued}
    details: dict[str, object] = {"reply": queued, "bytes": len(message)}
    if refused:
        details["refused"] = refused
        return [passed("send", say("send.passed_some_refused", **facts, refused="; ".join(refused)),
                       warning="envelope.recipient_rejected",
                       params={"recipient": ", ".join(r.split('>')[0][1:] for r in refused)},
                       details=details)]
    return [passed("send", say("send.passed", **facts), details=details)]
