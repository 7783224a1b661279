"""delivery (send-test --confirm): the message followed into the recipient's mailbox over
IMAP — INBOX or Junk, how long it took, and what the receiving side's
Authentication-Results said. By default the test message is deleted afterwards."""

from __future__ import annotations

import time
from dataclasses import replace

from smtpdoctor.model import ErrorCode, ProbeResult, frozen_details, seconds_text
from smtpdoctor.probes.session import Session, failed, passed, say
from smtpdoctor.wire.imap import Found, LoginRefused, Unavailable, find_message
from smtpdoctor.wire.imap import verdicts as read_verdicts
from smtpdoctor.wire.net import in_daemon_thread

# One IMAP command's limit while polling; the whole wait is --confirm-timeout.
IMAP_STEP_SECONDS = 10.0


async def probe_delivery(session: Session) -> list[ProbeResult]:
    mailbox = session.mailbox
    assert mailbox is not None
    if mailbox.source != "IMAP_HOST" and session.access_token is not None:
        mailbox = replace(mailbox, access_token=session.access_token)  # the OAuth2 login's token
    if mailbox.password:
        session.redactor.add(mailbox.password.reveal())
    session.current = f"IMAP {mailbox.host}:{mailbox.port}"
    until = time.monotonic() + max(0.0, session.remaining() - 0.3)
    where = {"host": mailbox.host, "port": mailbox.port, "user": mailbox.user}
    try:
        found = await in_daemon_thread(lambda: find_message(
            mailbox, session.sent_id, session.sent_token, session.context, until,
            min(IMAP_STEP_SECONDS, session.timeout), session.keep, session.sent_at))
    except LoginRefused as exc:
        detail = session.redactor.clean(str(exc))[:200]
        return [failed("delivery", "delivery.imap_login", say("delivery.imap_login", detail=detail, **where),
                       code=ErrorCode.EDELIVERY, params={**where, "detail": detail})]
    except Unavailable as exc:
        detail = session.redactor.clean(str(exc))[:200]
        said = say("delivery.imap_unavailable", detail=detail, **where)
        return [failed("delivery", "delivery.imap_unavailable", said, code=ErrorCode.EDELIVERY,
                       params={**where, "detail": detail})]
    if found.folder is None:
        seconds = seconds_text(session.confirm_timeout)
        return [failed("delivery", "delivery.not_arrived", say("delivery.not_arrived", seconds=seconds),
                       code=ErrorCode.EDELIVERY, params={**where, "seconds": seconds})]
    return [_arrived(found, session)]


FAILED_VERDICTS = ("fail", "softfail", "permerror")


def receiver_domains(session: Session) -> frozenset[str]:
    """The organisational domains the receiving side's authserv-id may be under: the IMAP
    host's, and, for a provider's mailbox, its mail domains' and MX hosts' (Gmail's IMAP host is
    imap.gmail.com, its receivers sign as mx.google.com)."""
    import ipaddress

    from smtpdoctor.probes.records import organisational_domain

    mailbox = session.mailbox
    if mailbox is None:
        return frozenset()
    provider = session.table.get(mailbox.source) or next(
        (p for p in session.table.providers if p.imap and p.imap[0] == mailbox.host.lower()), None)
    names = (mailbox.host, *((*provider.domains, *provider.mx) if provider else ()))
    domains = set()
    for name in (n.lower().strip("[]").removeprefix("*.").rstrip(".") for n in names):
        try:
            ipaddress.ip_address(name)
            continue  # an address names no domain
        except ValueError:
            pass
        if "." in name and "*" not in name:  # not a bare name (localhost), not a pattern (mx.zoho.*)
            domains.add(organisational_domain(name))
    return frozenset(domains)


def _arrived(found: Found, session: Session) -> ProbeResult:
    header = found.receiver_results(receiver_domains(session))
    verdicts = read_verdicts(header)
    shown = ", ".join(f"{k}={v}" for k, v in sorted(verdicts.items())) or "—"
    details: dict[str, object] = {
        "folder": found.folder, "latency_ms": round(found.seconds * 1000), "deleted": found.deleted,
        "authentication_results": header,
        **{f"{k}_verdict": v for k, v in verdicts.items()},
    }
    if "received-spf" in found.headers:
        details["received_spf"] = found.headers["received-spf"]
    facts: dict[str, object] = {"folder": found.folder, "seconds": f"{found.seconds:.1f}", "verdicts": shown}
    failing = [k for k, v in sorted(verdicts.items()) if v in FAILED_VERDICTS]
    if found.junk:
        advice = _junk_advice(session, verdicts, failing)
        junk = failed("delivery", "delivery.junk", say("delivery.junk", **facts), code=ErrorCode.EDELIVERY,
                      params={**facts, **advice})
        return junk._replace(details=frozen_details(details))
    if failing:
        # In INBOX today, but the receiver saw an authentication failure: junk is a policy away.
        advice = _junk_advice(session, verdicts, failing, junk=False)
        params = {**facts, "failing": ", ".join(failing), **advice}
        return passed("delivery", say("delivery.inbox", **facts), details=details,
                      warning="delivery.verdict_failed", params=params)
    return passed("delivery", say("delivery.inbox", **facts), details=details)


def _junk_advice(session: Session, verdicts: dict[str, str], failing: list[str], *,
                 junk: bool = True) -> dict[str, object]:
    """Why the receiver may have filed it as junk, from what it said (Authentication-Results)
    and who sent it: the advice that applies first, not every piece of advice at once.
    ``junk=False``: for a message in INBOX whose warning already names the failed check."""
    from smtpdoctor.probes.records import free_mail_provider

    sender = session.settings.sender or session.settings.username or ""
    domain = sender.rpartition("@")[2].lower()
    own = free_mail_provider(session.table, domain) if domain else None
    if own is not None and (session.provider is None or session.provider.id != own.id):
        # From: @qq.com sent through another service: only the provider's servers pass its
        # SPF/DKIM/DMARC, and nobody but the provider can publish records for its domain.
        return {"advice": "§delivery.advice.free_mail", "sender": sender, "host": session.settings.host,
                **own.named("free_provider")}
    if failing:
        return {"advice": "§delivery.advice.auth_failed" if junk else "§delivery.advice.records",
                "failing": ", ".join(failing), "domain": domain or "DOMAIN"}
    if all(verdicts.get(check) == "pass" for check in ("spf", "dkim", "dmarc")):
        return {"advice": "§delivery.advice.content"}
    return {"advice": "§delivery.advice.general"}
