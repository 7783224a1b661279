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
from dataclasses import replace

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
from smtpdoctor.wire.dns import Lookup, NoAnswer

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
    except (NoAnswer, TimeoutError) as exc:
        detail = str(exc) or "timeout"
        said = say("domain.lookup_failed", domain=domain, detail=detail)
        results = [failed(name, "domain.lookup_failed", said, params={"domain": domain, "detail": detail})
                   for name in DOMAIN_PROBES]
    # The lookups ran side by side: each probe took the time of the whole.
    elapsed = (time.perf_counter() - started) * 1000
    return [replace(r, duration_ms=elapsed) for r in results]


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
    organisation = organisational_domain(domain)
    asked, asked_org = query_name(domain), query_name(organisation)  # shown as given, asked in ASCII
    mx, at_domain, at_org = await asyncio.gather(
        lookup.records(asked, "MX"), lookup.records(f"_dmarc.{asked}", "TXT"),
        lookup.records(f"_dmarc.{asked_org}", "TXT") if organisation != domain else _none())
    by_mx = provider_by_mx(session.table, mx)
    sender = _sending_provider(session.provider, by_mx)
    session.sending_provider = sender  # for the report to name
    spf_domain = sender.domain.spf_domain.format(domain=domain) if sender else domain
    wanted = selectors or (sender.domain.dkim_selectors if sender else ())
    spf, keys = await asyncio.gather(read_spf(lookup, query_name(spf_domain)),
                                     _dkim_keys(lookup, asked, wanted))
    dmarc = dmarc_records(at_domain) or dmarc_records(at_org)
    dmarc_at = domain if dmarc_records(at_domain) else organisation
    return [_mx(domain, mx, by_mx), _spf(spf_domain, spf, sender), _dkim(domain, wanted, keys, sender),
            _dmarc(domain, dmarc_at, dmarc, spf, keys, sender)]


async def _none() -> list[str]:
    return []


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
        term, why = spf.problem
        return failed("spf", "domain.spf_syntax", say("domain.spf_record", record=record),
                      params={**params, "term": term, "why": why})
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


def _dmarc(domain: str, at: str, records: list[str], spf: Spf, keys: list[DkimKey],
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
    policy = tags.get("p", "none").lower()
    summary = say("domain.dmarc", name=f"_dmarc.{at}", policy=policy, rua=tags.get("rua", "—"))
    details: dict[str, object] = {"policy": policy, "rua": tags.get("rua", ""), "record": records[0]}
    # Alignment: a mailbox provider sends with the user's own address as envelope sender, so a
    # passing SPF with its include aligns; DKIM aligns when the domain publishes the key.
    include = sender.domain.spf_include if sender else None
    spf_aligned = bool(sender and sender.kind == "mailbox" and include and include in spf.includes)
    dkim_aligned = any(not k.revoked for k in keys)
    if policy in ("quarantine", "reject") and sender is not None and not (spf_aligned or dkim_aligned):
        selector = sender.domain.dkim_selectors[0] if sender.domain.dkim_selectors else "<selector>"
        return failed("dmarc", "domain.dmarc_unaligned", summary, params={
            **params, "policy": policy, "name": f"{selector}._domainkey.{domain}"})
    if policy == "none":
        return passed("dmarc", summary, warning="domain.dmarc_monitoring", params=params, details=details)
    return passed("dmarc", summary, details=details)
