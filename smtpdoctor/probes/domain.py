"""mx, spf, dkim, dmarc: the sending domain's records, checked against the provider that
really sends (the SMTP host's provider, else the one the domain's MX names).

The records are parsed here rather than with checkdmarc or dkimpy: checkdmarc resolves
with its own resolver settings and fetches the public suffix list over the network,
and dkimpy's key check needs a signed message; what is checked here is a handful of
tags, a lookup count and a key size, each tested against real records on a loopback
name server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import TypeVar

from smtpdoctor.model import ProbeResult
from smtpdoctor.probes.records import (
    MAX_LOOKUPS,
    MAX_VOID_LOOKUPS,
    WEAK_KEY_BITS,
    DkimKey,
    Spf,
    dmarc_records,
    dmarc_tags,
    free_mail_provider,
    merged_spf,
    organisational_domain,
    parse_dkim,
    provider_by_mx,
    read_spf,
    spf_with,
)
from smtpdoctor.probes.session import Session, failed, passed, say, skipped
from smtpdoctor.providers import Provider
from smtpdoctor.wire.addresses import ascii_domain
from smtpdoctor.wire.dns import Lookup, NoAnswer, UnreadableAnswer

T = TypeVar("T")

DOMAIN_PROBES = ("mx", "spf", "dkim", "dmarc")


async def run_domain_probes(session: Session, domain: str,
                            selectors: tuple[str, ...] = ()) -> list[ProbeResult]:
    """The four probes, their lookups concurrent, all within one --timeout."""
    domain = domain.lower().rstrip(".")
    own = free_mail_provider(session.table, domain)
    if own is not None:
        why = say("skip.free_mail", domain=domain, **own.named())
        return [skipped(name, why) for name in DOMAIN_PROBES]
    session.start_step()
    started = time.perf_counter()
    lookup = Lookup(session.dns_server, session.remaining())
    try:
        async with asyncio.timeout(session.remaining() + 0.5):
            results = await _probes(session, lookup, domain, selectors)
    except TimeoutError:
        results = [_unanswered(name, domain, NoAnswer("timeout")) for name in DOMAIN_PROBES]
    # The lookups ran side by side: each probe took the time of the whole.
    elapsed = (time.perf_counter() - started) * 1000
    return [r._replace(duration_ms=elapsed) for r in results]


def query_name(name: str) -> str:
    """``name`` as the lookups ask for it: IDNA 2008 with UTS #46 (straße.de →
    xn--strae-oqa.de). Encoded here, not left to dnspython, which uses IDNA 2008 only with an
    idna release it accepts and otherwise IDNA 2003 (straße.de → strasse.de, another domain).
    A name IDNA 2008 refuses was refused before the probes (a usage error for DOMAIN,
    config.bad_domain for the sender's), unless dnspython judged it by IDNA 2003 (an idna older
    than it asks for): then it is asked for as dnspython writes it."""
    try:
        return ascii_domain(name)
    except UnicodeError:
        return name


async def _probes(session: Session, lookup: Lookup, domain: str,
                  selectors: tuple[str, ...]) -> list[ProbeResult]:
    """Each probe from its own lookups: a name server that fails one query (an MX lookup that
    times out) fails that probe, and the others still say what their records are."""
    organisation = organisational_domain(domain)
    asked, asked_org = query_name(domain), query_name(organisation)  # shown as given, asked in ASCII
    # These come first (the MX names the provider whose records the rest checks), and may use
    # half the time at most: a server that drops MX queries leaves the SPF walk the other half.
    first = lookup.left() / 2
    mx, at_domain, at_org = await asyncio.gather(
        _answer(lookup.records(asked, "MX", first)), _answer(lookup.records(f"_dmarc.{asked}", "TXT", first)),
        _answer(lookup.records(f"_dmarc.{asked_org}", "TXT", first)) if organisation != domain else _none())
    by_mx = provider_by_mx(session.table, mx) if isinstance(mx, list) else None
    sender = _sending_provider(session.provider, by_mx)
    session.sending_provider = sender  # for the report to name
    spf_domain = sender.domain.spf_domain.format(domain=domain) if sender else domain
    wanted = selectors or (sender.domain.dkim_selectors if sender else ())
    spf, keys = await asyncio.gather(_answer(read_spf(lookup, query_name(spf_domain))),
                                     _answer(_dkim_keys(lookup, asked, wanted)))
    results = [
        _unanswered("mx", domain, mx) if isinstance(mx, NoAnswer) else _mx(domain, mx, by_mx),
        _unanswered("spf", spf_domain, spf) if isinstance(spf, NoAnswer) else _spf(spf_domain, spf, sender),
        _unanswered("dkim", domain, keys) if isinstance(keys, NoAnswer)
        else _dkim(domain, wanted, keys, sender)]
    if isinstance(at_domain, NoAnswer):
        return [*results, _unanswered("dmarc", domain, at_domain)]
    if isinstance(at_org, NoAnswer):
        return [*results, _unanswered("dmarc", domain, at_org)]
    dmarc = dmarc_records(at_domain) or dmarc_records(at_org)
    dmarc_at = domain if dmarc_records(at_domain) else organisation
    # Alignment is judged from the SPF and DKIM records only when both could be read.
    known = None
    if isinstance(spf, Spf) and spf.unreadable is None and isinstance(keys, list):
        known = (spf, keys, wanted)
    return [*results, _dmarc(domain, dmarc_at, dmarc, known, sender)]


async def _answer(work: Awaitable[T]) -> T | NoAnswer:
    """What a lookup found, or the NoAnswer that stopped it, as a value."""
    try:
        return await work
    except NoAnswer as exc:
        return exc


async def _none() -> list[str]:
    return []


def _unanswered(name: str, domain: str, exc: NoAnswer) -> ProbeResult:
    """A probe whose records could not be read: the server did not answer, or answered with
    a message dnspython refuses (said as that, with the name and type asked)."""
    if isinstance(exc, UnreadableAnswer):
        # dnspython's words for a TXT record with no strings; any other unreadable answer is
        # said as that, without a cause it may not have.
        empty = exc.kind == "TXT" and "strings must not be empty" in exc.detail
        cause = "unreadable.empty_txt" if empty else "unreadable.other"
        params: dict[str, object] = {"domain": domain, "name": exc.name, "kind": exc.kind,
                                     "detail": exc.detail, "cause": f"§{cause}", "how": f"§{cause}.how"}
        return failed(name, "domain.answer_unreadable", say("domain.answer_unreadable", **params),
                      params=params)
    detail = str(exc) or "timeout"
    said = say("domain.lookup_failed", domain=domain, detail=detail)
    return failed(name, "domain.lookup_failed", said, params={"domain": domain, "detail": detail})


def _named(sender: Provider | None) -> dict[str, str]:
    return sender.named() if sender else {"provider": ""}


def _sending_provider(by_host: Provider | None, by_mx: Provider | None) -> Provider | None:
    """The SMTP host's provider sends the mail; with a custom host, the MX's provider does."""
    if by_host is not None and (by_host.domain.spf_include or by_host.kind == "relay"):
        return by_host
    return by_mx or by_host


async def _dkim_keys(lookup: Lookup, domain: str, selectors: tuple[str, ...]) -> list[DkimKey]:
    found = await asyncio.gather(*(lookup.records(f"{s}._domainkey.{domain}", "TXT") for s in selectors))
    keys = []
    for selector, texts in zip(selectors, found, strict=True):
        key = next((k for t in texts if (k := parse_dkim(selector, t)) is not None), None)
        if key is not None:
            keys.append(key)
    return keys


def _mx(domain: str, mx: list[str], provider: Provider | None) -> ProbeResult:
    if not mx:
        return passed("mx", say("domain.no_mx", domain=domain), warning="domain.mx_missing",
                      params={"domain": domain})
    if provider is None:
        return passed("mx", say("domain.mx", domain=domain, mx=", ".join(mx[:3])))
    return passed("mx", say("domain.mx_provider", domain=domain, mx=mx[0], **provider.named()),
                  details={"mx": mx, "provider": provider.id})


def _spf(name: str, spf: Spf, sender: Provider | None) -> ProbeResult:
    include = sender.domain.spf_include if sender else None
    params: dict[str, object] = {"domain": name, **_named(sender), "include": include or ""}
    if spf.unreadable is not None:
        return _unanswered("spf", name, spf.unreadable)
    if not spf.records:
        record = spf_with(None, include) if include else "v=spf1 include:<your provider's SPF domain> ~all"
        return failed("spf", "domain.spf_missing", say("domain.spf_missing", domain=name),
                      params={**params, "record": record})
    if len(spf.records) > 1:
        record = merged_spf(spf.records)
        count = len(spf.records)
        return failed("spf", "domain.spf_multiple", say("domain.spf_multiple", domain=name, count=count),
                      params={**params, "record": record, "count": count})
    record = spf.record or ""
    if spf.problem is not None:
        problem = spf.problem
        return failed("spf", "domain.spf_syntax", say("domain.spf_record", record=record),
                      params={**params, **problem.params, "term": problem.term,
                              "why": f"§spf_why.{problem.why}"})
    if spf.all_term is not None and spf.all_term.lower() in ("+all", "all"):
        return failed("spf", "domain.spf_pass_all", say("domain.spf_record", record=record),
                      params={**params, "record": record.replace(spf.all_term, "~all")})
    if spf.lookups > MAX_LOOKUPS:
        return failed("spf", "domain.spf_too_many_lookups", say("domain.spf_lookups", count=spf.lookups),
                      params={**params, "count": spf.lookups, "record": record})
    if spf.voids > MAX_VOID_LOOKUPS:
        return failed("spf", "domain.spf_void_lookups", say("domain.spf_voids", count=spf.voids),
                      params={**params, "count": spf.voids, "record": record})
    if spf.no_record:
        return failed("spf", "domain.spf_include_missing", say("domain.spf_record", record=record),
                      params={**params, "target": spf.no_record[0], "record": record})
    known = {include, *(sender.domain.spf_also if sender else ())} - {None}
    if include and not known & spf.includes:
        return failed("spf", "domain.spf_provider_missing", say("domain.spf_record", record=record),
                      params={**params, "record": spf_with(record, include)})
    return passed("spf", say("domain.spf_ok", record=record, count=spf.lookups),
                  details={"record": record, "lookups": spf.lookups})


def _dkim(domain: str, selectors: tuple[str, ...], keys: list[DkimKey],
          sender: Provider | None) -> ProbeResult:
    params: dict[str, object] = {"domain": domain, **_named(sender), "selectors": ", ".join(selectors)}
    if not selectors:
        return passed("dkim", say("domain.dkim_unknown"), warning="domain.dkim_selector_unknown",
                      params=params)
    usable = [k for k in keys if not k.revoked]
    if not usable:
        reason = "domain.dkim_revoked" if keys else "domain.dkim_missing"
        return failed("dkim", reason, say("domain.dkim_none", domain=domain, selectors=", ".join(selectors)),
                      params={**params, "name": f"{selectors[0]}._domainkey.{domain}"})
    key = usable[0]
    summary = say("domain.dkim_key", selector=key.selector, kind=key.key_type, bits=key.bits or "?")
    details: dict[str, object] = {"selector": key.selector, "key_type": key.key_type, "bits": key.bits or 0}
    if key.key_type == "rsa" and key.bits is not None and key.bits < WEAK_KEY_BITS:
        return passed("dkim", summary, warning="domain.dkim_weak_key",
                      params={**params, "bits": key.bits, "name": f"{key.selector}._domainkey.{domain}"},
                      details=details)
    return passed("dkim", summary, details=details)


def _dmarc(domain: str, at: str, records: list[str],
           known: tuple[Spf, list[DkimKey], tuple[str, ...]] | None,
           sender: Provider | None) -> ProbeResult:
    params: dict[str, object] = {"domain": domain, **_named(sender),
                                 "record": f"v=DMARC1; p=none; rua=mailto:dmarc-reports@{domain}",
                                 "name": f"_dmarc.{domain}"}
    if not records:
        return passed("dmarc", say("domain.dmarc_none", domain=domain), warning="domain.dmarc_missing",
                      params=params)
    if len(records) > 1:
        return failed("dmarc", "domain.dmarc_multiple", say("domain.dmarc_many", name=f"_dmarc.{at}"),
                      params={**params, "name": f"_dmarc.{at}"})
    tags = dmarc_tags(records[0])
    # RFC 7489 §6.3: a subdomain found through its organisational domain's record gets sp=;
    # a policy that is none of the three counts as none (§6.6.3).
    tag = "sp" if at != domain and "sp" in tags else "p"
    policy = tags.get(tag, "none").lower()
    policy = policy if policy in ("none", "quarantine", "reject") else "none"
    summary = say("domain.dmarc_sp" if tag == "sp" else "domain.dmarc", name=f"_dmarc.{at}", policy=policy,
                  rua=tags.get("rua", "—"))
    details: dict[str, object] = {"policy": policy, "rua": tags.get("rua", ""), "record": records[0]}
    if policy in ("quarantine", "reject") and sender is not None and known is not None:
        spf, keys, selectors = known
        strict = tags.get("aspf", "r").lower() == "s"
        envelope = _envelope_domain(domain, sender)
        # DKIM: the keys are looked up under the From domain itself, so their d= is the From
        # domain and aligns in strict and relaxed mode alike (adkim needs no more here). With
        # no selector to look up, whether a key signs is not known: nothing is claimed.
        if selectors and not (any(not k.revoked for k in keys) or _spf_aligned(domain, envelope, spf, sender,
                                                                               strict)):
            relaxed_only = envelope is not None and envelope != domain and _spf_aligned(
                domain, envelope, spf, sender, strict=False)
            why = ("§dmarc_why.strict" if relaxed_only else
                   "§dmarc_why.spf_fails" if envelope == domain else "§dmarc_why.other")
            return failed("dmarc", "domain.dmarc_unaligned", summary, params={
                **params, "policy": policy, "name": f"{selectors[0]}._domainkey.{domain}",
                "envelope": envelope or "", "why": why})
    if policy == "none":
        return passed("dmarc", summary, warning="domain.dmarc_monitoring", params=params, details=details)
    return passed("dmarc", summary, details=details)


def _envelope_domain(domain: str, sender: Provider) -> str | None:
    """The envelope sender's domain, the one SPF checks, where the provider fixes it: a
    mailbox sends with the user's own address, Resend with send.<domain>; other relays use
    their own bounce domain unless the account is set up otherwise (not knowable here)."""
    if sender.domain.spf_domain != "{domain}":
        return sender.domain.spf_domain.format(domain=domain)
    return domain if sender.kind == "mailbox" else None


def _spf_aligned(domain: str, envelope: str | None, spf: Spf, sender: Provider, strict: bool) -> bool:
    """SPF aligns (RFC 7489 §3.1.2) when the envelope domain's record lets the provider send
    and that domain is the From domain (aspf=s) or shares its organisational domain (aspf=r)."""
    allowed = {sender.domain.spf_include, *sender.domain.spf_also} - {None}
    if envelope is None or not allowed & spf.includes or spf.problem or spf.no_record or spf.unreadable:
        return False
    if strict:
        return envelope == domain
    return organisational_domain(envelope) == organisational_domain(domain)
