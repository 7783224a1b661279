"""The sending domain: which provider its MX names, and whether its SPF, DKIM and DMARC
records let the provider that really sends the mail through. Lookups with dnspython
(honouring --dns-server); the records are parsed here (see the note in probes/domain.py)."""

from __future__ import annotations

import base64
import fnmatch
import re
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from smtpdoctor.providers import Provider, ProviderTable
from smtpdoctor.wire.dns import Lookup, UnreadableAnswer

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

    from smtpdoctor.probes.session import Session

# RFC 7208 §4.6.4: at most 10 terms that cause DNS lookups, and 2 that find nothing.
MAX_LOOKUPS = 10
MAX_VOID_LOOKUPS = 2
LOOKUP_TERMS = frozenset({"include", "a", "mx", "ptr", "exists", "redirect"})
WEAK_KEY_BITS = 2048


def provider_by_mx(table: ProviderTable, exchanges: list[str]) -> Provider | None:
    for host in exchanges:
        for provider in table.providers:
            if any(fnmatch.fnmatch(host, pattern) for pattern in provider.mx):
                return provider
    return None


async def mail_domain_provider(session: Session, name: str) -> Provider | None:
    """The provider ``name``'s MX names, when ``name`` is a mail domain rather than a host
    (SMTP_HOST=acme-corp.cn, whose MX is mxbiz1.qq.com), or a login's custom domain. A lookup
    that fails just finds nothing: this only improves a fix."""
    import ipaddress

    try:
        ipaddress.ip_address(name)
        return None
    except ValueError:
        pass
    if not name or free_mail_provider(session.table, name) is not None:
        return None
    try:
        lookup = Lookup(session.dns_server, min(2.0, session.remaining()))
        return provider_by_mx(session.table, await lookup.records(name, "MX"))
    except Exception:
        return None


async def mail_domain_params(session: Session, host: str) -> dict[str, object]:
    """For a fix's parameters: the provider whose submission host replaces a mail domain."""
    provider = await mail_domain_provider(session, host)
    if provider is None:
        return {}
    return {"suggestion": provider.primary_host, **provider.named("mx_provider"), "mail_domain": host}


def free_mail_provider(table: ProviderTable, domain: str) -> Provider | None:
    """The provider whose own domain this is (qq.com, gmail.com…): its records are the provider's."""
    return next((p for p in table.providers if domain.lower() in p.domains), None)


# --- SPF ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class SpfProblem:
    """What makes a record a permerror: the term, why (a phrase key under ``spf_why.``, said in
    the report's language) and that phrase's parameters."""

    term: str
    why: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass
class Spf:
    records: list[str] = field(default_factory=list)
    lookups: int = 0
    voids: int = 0
    # Every include:/redirect= domain met, recursively.
    includes: set[str] = field(default_factory=set)
    # What makes the record a permerror (RFC 7208 §4.6, §5.2, §6): a term that is not one
    # ("-all moo": "moo"), and the include:/redirect= targets with no SPF record of their own.
    problem: SpfProblem | None = None
    no_record: list[str] = field(default_factory=list)
    # A TXT answer on the walk that dnspython refused to read (a record with no strings).
    unreadable: UnreadableAnswer | None = None

    @property
    def record(self) -> str | None:
        return self.records[0] if len(self.records) == 1 else None

    @property
    def all_term(self) -> str | None:
        record = self.record or ""
        return next((t for t in record.split()[1:] if t.lstrip("+-~?").lower() == "all"), None)


def spf_records(texts: list[str]) -> list[str]:
    """The SPF records among TXT strings: those that begin with "v=spf1" and end there or at a
    space (§4.5), case-insensitive; trailing spaces are allowed (§12), leading ones are not."""
    return [t.rstrip(" ") for t in texts if t.rstrip(" ").lower() == "v=spf1"
            or t.lower().startswith("v=spf1 ")]


async def read_spf(lookup: Lookup, domain: str) -> Spf:
    """The domain's SPF record(s), walked as a receiver evaluates them (RFC 7208): the syntax
    of every term, the DNS lookups and void lookups counted through every include, redirect,
    a, mx and exists (§4.6.4), includes and redirects that find no SPF record (§5.2, §6.1);
    the walk stops at the first permerror or past the limit."""
    try:
        spf = Spf(records=spf_records(await lookup.records(domain, "TXT")))
    except UnreadableAnswer as exc:
        return Spf(unreadable=exc)
    if spf.record is not None:
        try:
            await _walk(lookup, spf.record, domain, spf, depth=0)
        except UnreadableAnswer as exc:
            spf.unreadable = exc
    return spf


async def _walk(lookup: Lookup, record: str, domain: str, spf: Spf, depth: int) -> None:
    problem = spf_syntax_problem(record)
    if problem:
        spf.problem = spf.problem or problem
        return
    terms = record.split()[1:]
    # A record with an all mechanism never reaches its redirect (§6.1): it is not followed.
    has_all = any(t.lstrip("+-~?").lower() == "all" for t in terms)
    for term in terms:
        if spf.lookups > MAX_LOOKUPS or depth > MAX_LOOKUPS or spf.problem or spf.no_record:
            return
        bare = term.lstrip("+-~?").lower()
        name = re.split(r"[:=/]", bare, maxsplit=1)[0]
        if name not in LOOKUP_TERMS or (name == "redirect" and has_all):
            continue
        if bool(re.match(r"[a-z][a-z0-9\-_.]*=", bare)) != (name == "redirect"):
            continue  # "include=x" is an unknown modifier (§6), not the include mechanism
        spf.lookups += 1
        named = re.split(r"[:=]", bare, maxsplit=1)
        target = named[1].split("/", 1)[0] if len(named) > 1 else domain
        if "%" in target:
            continue  # a macro names the domain per message: nothing to look up here
        if name in ("include", "redirect"):
            spf.includes.add(target)
            texts = await lookup.records(target, "TXT")
            found = spf_records(texts)
            if not texts:
                spf.voids += 1
            if len(found) != 1:
                spf.no_record.append(target)  # permerror, whatever the other terms say
                return
            await _walk(lookup, found[0], target, spf, depth + 1)
        elif name in ("a", "mx", "exists"):
            answers = await lookup.records(target, "MX" if name == "mx" else "A")
            if not answers and name == "a":
                answers = await lookup.records(target, "AAAA")
            if not answers:
                spf.voids += 1
            elif name == "mx" and len(answers) > MAX_LOOKUPS:
                # §4.6.4: an mx mechanism may look up at most 10 hosts; past that, permerror.
                spf.problem = SpfProblem(term, "mx_hosts", {"count": len(answers)})
                return


# RFC 7208 §7.1 and §12 (ABNF): macros, domain-specs, the mechanisms and the modifiers, all
# case-insensitive. In a domain-spec a macro names s, l, o, d, i, p, h or v; c, r and t belong to
# exp= text only. Every pattern is linear in the record's length (a TXT record can be 64 KB):
# the toplabel's "has a letter" rule is checked on the last label in Python (_toplabel_ok),
# not with a regex that backtracks over every place a letter could be.
_MACRO = r"(?:%\{[slodiphv]\d*r?[.\-+,/_=]*\}|%%|%_|%-)"
_LABEL = r"[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?"
_DOMAIN_SPEC = rf"(?:(?:[\x21-\x24\x26-\x7e]|{_MACRO})*(?:\.{_LABEL}\.?|{_MACRO}))"
_CIDR = r"(?:/(?:[0-9]|[12][0-9]|3[0-2]))?(?://(?:[0-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))?"
_MECHANISMS = {name: re.compile(pattern, re.IGNORECASE) for name, pattern in {
    "all": r"all",
    "include": rf"include:({_DOMAIN_SPEC})",
    "a": rf"a(?::({_DOMAIN_SPEC}))?{_CIDR}",
    "mx": rf"mx(?::({_DOMAIN_SPEC}))?{_CIDR}",
    "ptr": rf"ptr(?::({_DOMAIN_SPEC}))?",
    "exists": rf"exists:({_DOMAIN_SPEC})",
}.items()}
_ANY_MACRO = r"(?:%\{[slodiphcrtv]\d*r?[.\-+,/_=]*\}|%%|%_|%-)"
_MODIFIER = re.compile(rf"([a-z][a-z0-9\-_.]*)=((?:[\x21-\x24\x26-\x7e]|{_ANY_MACRO})*)", re.IGNORECASE)
_DOMAIN = re.compile(_DOMAIN_SPEC, re.IGNORECASE)
# ip4-cidr-length and ip6-cidr-length: no leading zeros, at most 32 and 128.
_PREFIX = {"ip4": re.compile(r"0|[1-9][0-9]?"), "ip6": re.compile(r"0|[1-9][0-9]{0,2}")}


def _toplabel_ok(domain: str | None) -> bool:
    """§7.1: a domain-spec that ends in a name ends in a toplabel, which holds a letter or
    an inner hyphen (so "a:111.222.33.44" names no domain); one that ends in a macro is free."""
    if not domain or domain.endswith("}") or domain[-2:] in ("%%", "%_", "%-"):
        return True
    last = domain.rstrip(".").rsplit(".", 1)[-1]
    return not last.isdigit()


def spf_syntax_problem(record: str) -> SpfProblem | None:
    """The first term that makes ``record`` a permerror, and why; None for a valid record."""
    if not record.isascii():
        return SpfProblem(record, "non_ascii")
    if any(ch in record for ch in "\r\n\t"):
        return SpfProblem(record, "line_break")
    seen: set[str] = set()
    for term in record.split(" ")[1:]:
        if not term:
            continue
        modifier = _MODIFIER.fullmatch(term)
        if modifier:
            name = modifier.group(1).lower()
            if name in ("redirect", "exp"):
                if name in seen:
                    return SpfProblem(term, "twice", {"modifier": name})
                seen.add(name)
                value = modifier.group(2)
                if not (_DOMAIN.fullmatch(value) and _toplabel_ok(value)):
                    return SpfProblem(term, "needs_domain", {"modifier": name})
            continue
        bare = term[1:] if term[:1] in "+-~?" else term
        kind = re.split(r"[:/]", bare, maxsplit=1)[0].lower()
        if kind in ("ip4", "ip6"):
            if not _network(kind, bare[len(kind):]):
                return SpfProblem(term, "bad_network", {"mechanism": kind})
            continue
        pattern = _MECHANISMS.get(kind)
        if pattern is None:
            return SpfProblem(term, "unknown")
        matched = pattern.fullmatch(bare)
        if not matched or not _toplabel_ok(matched.group(1) if matched.groups() else None):
            return SpfProblem(term, "bad_mechanism", {"mechanism": kind})
    return None


def _network(kind: str, value: str) -> bool:
    """Whether ``value`` (":1.2.3.0/24") is an ip4/ip6 mechanism's network, to §5.6's grammar."""
    import ipaddress

    if not value.startswith(":"):
        return False
    address, _, prefix = value[1:].partition("/")
    widest = 32 if kind == "ip4" else 128
    if "/" in value[1:] and not (_PREFIX[kind].fullmatch(prefix) and int(prefix) <= widest):
        return False
    if "%" in address:
        return False  # a zone ID (fe80::1%eth0) is no ip6-network
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return parsed.version == (4 if kind == "ip4" else 6) and (kind == "ip6" or address.count(".") == 3)


def spf_with(record: str | None, include: str) -> str:
    """``record`` with ``include:`` added before its all term: the record to publish."""
    if record is None:
        return f"v=spf1 include:{include} ~all"
    terms = record.split()
    at = next((i for i, t in enumerate(terms) if t.lstrip("+-~?").lower() == "all"), len(terms))
    terms.insert(at, f"include:{include}")
    return " ".join(terms)


def merged_spf(records: list[str]) -> str:
    """Several SPF records as one: every mechanism once, then ``-all`` if they all said so,
    else the softer ``~all`` (a merge must not start rejecting mail that passed before)."""
    terms: list[str] = []
    endings = set()
    for record in records:
        for term in record.split()[1:]:
            if term.lstrip("+-~?").lower() == "all":
                endings.add(term.lower())
            elif term not in terms:
                terms.append(term)
    return " ".join(["v=spf1", *terms, "-all" if endings == {"-all"} else "~all"])


# --- DKIM --------------------------------------------------------------------------------

@dataclass(frozen=True)
class DkimKey:
    selector: str
    key_type: str
    bits: int | None  # None: not an RSA key we could read, or revoked (empty p=)
    revoked: bool = False


def parse_dkim(selector: str, text: str) -> DkimKey | None:
    tags = dict(part.strip().split("=", 1) for part in text.split(";") if "=" in part)
    tags = {k.strip().lower(): v.strip().replace(" ", "") for k, v in tags.items()}
    if "p" not in tags:
        return None
    key_type = tags.get("k", "rsa").lower()
    if not tags["p"]:
        return DkimKey(selector, key_type, None, revoked=True)
    if key_type == "ed25519":
        return DkimKey(selector, key_type, 256)
    return DkimKey(selector, key_type, rsa_bits(tags["p"]))


def rsa_bits(p: str) -> int | None:
    """The modulus size of a DKIM RSA key: SubjectPublicKeyInfo, or a bare RSAPublicKey."""
    try:
        body, _ = _der(base64.b64decode(p, validate=True), 0x30)
        if body[0] == 0x30:  # SubjectPublicKeyInfo: the algorithm, then the key in a BIT STRING
            _, rest = _der(body, 0x30)
            key, _ = _der(rest, 0x03)
            body, _ = _der(key[1:], 0x30)  # past the unused-bits byte: RSAPublicKey
        modulus, _ = _der(body, 0x02)
        return int.from_bytes(modulus, "big").bit_length() or None
    except (ValueError, IndexError):
        return None


def _der(data: bytes, tag: int | None) -> tuple[bytes, bytes]:
    """One DER element: (its content, what follows). ``tag`` checks the element's tag."""
    if tag is not None and data[0] != tag:
        raise ValueError("unexpected DER tag")
    length, at = data[1], 2
    if length & 0x80:
        count = length & 0x7F
        length, at = int.from_bytes(data[2:2 + count], "big"), 2 + count
    return data[at:at + length], data[at + length:]


# --- DMARC -------------------------------------------------------------------------------

def organisational_domain(domain: str) -> str:
    """The registrable domain (mail.acme-corp.com.cn → acme-corp.com.cn) by the ICANN section
    of the public suffix list publicsuffixlist ships with; it never fetches the list."""
    return _suffix_list().privatesuffix(domain) or domain


@cache
def _suffix_list() -> PublicSuffixList:
    # Built once per process (about 50 ms): a fleet's thousand domains share it. The ICANN
    # section only, as DMARC receivers read it (github.io is a suffix of its private section).
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList(only_icann=True)


def dmarc_tags(record: str) -> dict[str, str]:
    return {k.strip().lower(): v.strip() for k, v in
            (part.split("=", 1) for part in record.split(";") if "=" in part)}


def dmarc_records(texts: list[str]) -> list[str]:
    return [t.strip() for t in texts if t.strip().lower().replace(" ", "").startswith("v=dmarc1")]
