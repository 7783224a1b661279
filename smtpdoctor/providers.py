"""The provider table (``providers.toml``) and matching settings against it."""

from __future__ import annotations

import datetime
import fnmatch
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from smtpdoctor.tables import load_table

SECURITY_MODES = ("ssl", "starttls", "plain")


class ReplyRule(NamedTuple):
    """A server reply text that means ``reason`` (matched case-insensitively)."""

    contains: str
    reason: str
    code: int | None = None
    # Only this provider sends this text, so it names the provider by itself.
    identifies: bool = False

    def matches(self, code: int | None, text: str) -> bool:
        if self.code is not None and code != self.code:
            return False
        return self.contains.casefold() in text.casefold()


class OAuth2Endpoint(NamedTuple):
    """Where a provider's OAuth2 tokens come from, and the scope an SMTP login needs.
    ``{tenant}`` in the URL is filled from the tenant variable, else ``tenant``."""

    token_url: str
    scope: str
    tenant: str | None = None

    def url(self, tenant: str | None) -> str:
        return self.token_url.replace("{tenant}", tenant or self.tenant or "common")


class SendingDomain(NamedTuple):
    """What a provider needs of the sender's domain: the MX names that mean it receives the
    domain's mail, the SPF include of the servers that send, and its DKIM selectors."""

    mx: tuple[str, ...] = ()
    spf_include: str | None = None
    spf_also: tuple[str, ...] = ()  # older includes that mean the same servers
    spf_domain: str = "{domain}"  # where the SPF record lives (Resend: send.{domain})
    dkim_selectors: tuple[str, ...] = ()


class DatedChange(NamedTuple):
    """A change a provider announced for a date, and the logins it ends (``password``: basic
    authentication with the password; ``oauth2``). ``what`` is its phrase key in phrases.toml
    (``what``.fix: the way off it); ``source`` where it was announced and ``read`` the day that
    source was last read, since announcements move. The days left are counted at run time."""

    what: str
    date: datetime.date
    affects: tuple[str, ...]
    source: str
    read: datetime.date
    # The failures the change brings once in force (a receiver's sender rules: the refusal
    # its servers send), named with the change as their likely cause.
    brings: tuple[str, ...] = ()

    def days_left(self, today: datetime.date) -> int:
        return (self.date - today).days


class Provider(NamedTuple):
    id: str
    name: str
    name_zh: str
    kind: str
    hosts: tuple[str, ...]
    host_patterns: tuple[str, ...]
    domains: tuple[str, ...]
    aliases: tuple[str, ...]
    ports: Mapping[int, str]
    default_port: int
    username: str
    password_kind: str
    sender_must_match_login: bool
    # False where the rule is believed but no source states it (Exmail).
    sender_rule_confirmed: bool = True
    credential_url: str | None = None
    help_url: str | None = None
    username_literal: str | None = None
    password_pattern: str | None = None
    notes: str | None = None
    replies: tuple[ReplyRule, ...] = ()
    remedies: Mapping[str, Mapping[str, str]] = MappingProxyType({})
    oauth2: OAuth2Endpoint | None = None
    domain: SendingDomain = SendingDomain()
    # Where the mailbox is served over IMAP (implicit TLS), for confirming delivery.
    imap: tuple[str, int] | None = None
    changes: tuple[DatedChange, ...] = ()

    @property
    def mx(self) -> tuple[str, ...]:
        return self.domain.mx

    @property
    def primary_host(self) -> str:
        return self.hosts[0] if self.hosts else self.host_patterns[0]

    def serves_host(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return host in self.hosts or any(fnmatch.fnmatch(host, p) for p in self.host_patterns)

    def display_name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name

    def named(self, key: str = "provider") -> dict[str, str]:
        """Template parameters naming this provider in each language (``key`` and ``key_zh``):
        a report in Chinese says 腾讯企业邮, not Tencent Exmail."""
        return {key: self.name, f"{key}_zh": self.name_zh}


class ProviderTable:
    """The providers, and answers by host and by domain kept: a fleet asks the same few a
    thousand times."""

    __slots__ = ("_memo", "providers")

    def __init__(self, providers: tuple[Provider, ...]) -> None:
        self.providers = providers
        self._memo: dict[tuple[str, str], Provider | str | None] = {}

    def __repr__(self) -> str:
        return f"ProviderTable({len(self.providers)} providers)"

    def get(self, provider_id: str) -> Provider | None:
        return next((p for p in self.providers if p.id == provider_id), None)

    def by_name(self, name: str) -> Provider | None:
        """Find by id or alias, the way nodemailer's ``service`` names are written."""
        wanted = _normalise_name(name)
        for provider in self.providers:
            names = (provider.id, provider.name, *provider.aliases)
            if wanted in {_normalise_name(n) for n in names}:
                return provider
        return None

    def by_host(self, host: str) -> Provider | None:
        key = ("host", host)
        if key not in self._memo:
            self._memo[key] = next((p for p in self.providers if p.serves_host(host)), None)
        found = self._memo[key]
        assert found is None or isinstance(found, Provider)
        return found

    def by_address(self, address: str) -> Provider | None:
        domain = address.rpartition("@")[2].lower().strip()
        if not domain:
            return None
        return next((p for p in self.providers if domain in p.domains), None)

    def all_hosts(self) -> list[str]:
        return [h for p in self.providers for h in p.hosts]

    def nearest_host(self, host: str) -> str | None:
        """The provider host a typo is closest to (smtp.qq.cm → smtp.qq.com), or None."""
        import difflib

        known = self.all_hosts()
        if host.lower() in known:
            return None
        match = difflib.get_close_matches(host.lower(), known, n=1, cutoff=0.8)
        return match[0] if match else None

    def nearest_domain(self, domain: str) -> str | None:
        """The provider mail domain a typo is one slip from (gmial.com → gmail.com, qq.con →
        qq.com, 163.cm → 163.com): one letter wrong, missing, extra or two swapped; or None."""
        name = domain.lower().rstrip(".")
        key = ("slip", name)
        if key not in self._memo:
            known = {d.lower() for p in self.providers for d in p.domains}
            close = [] if name in known else sorted(d for d in known if _one_slip(name, d))
            self._memo[key] = close[0] if len(close) == 1 else None
        found = self._memo[key]
        assert found is None or isinstance(found, str)
        return found

    def reply_rules(self, first: Provider | None, *, every: bool = False
                    ) -> list[tuple[Provider, ReplyRule]]:
        """The reply texts that apply: all of ``first``'s, then the ones that
        identify another provider by themselves (a generic "authentication
        failed" from some server is no NetEase reply). ``every``: all of them."""
        own = [(first, rule) for rule in first.replies] if first else []
        return own + [(p, rule) for p in self.providers if p is not first
                      for rule in p.replies if every or rule.identifies]


def _one_slip(a: str, b: str) -> bool:
    """Whether ``a`` is ``b`` with one substitution, insertion, deletion or adjacent swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def _normalise_name(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum() or ord(ch) > 127)


def _provider_from_toml(provider_id: str, raw: Mapping[str, Any], table: Mapping[str, Any]) -> Provider:
    replies_raw = list(raw.get("replies", []))
    if "inherit_replies" in raw:
        replies_raw += table[raw["inherit_replies"]].get("replies", [])
    remedies = dict(table[raw["inherit_replies"]].get("remedies", {})) if "inherit_replies" in raw else {}
    remedies.update(raw.get("remedies", {}))
    return Provider(
        id=provider_id,
        name=raw["name"],
        name_zh=raw.get("name_zh", raw["name"]),
        kind=raw["kind"],
        hosts=tuple(raw.get("hosts", ())),
        host_patterns=tuple(raw.get("host_patterns", ())),
        domains=tuple(raw.get("domains", ())),
        aliases=tuple(raw.get("aliases", ())),
        ports={int(port): mode for port, mode in raw["ports"].items()},
        default_port=int(raw["default_port"]),
        username=raw["username"],
        password_kind=raw["password_kind"],
        sender_must_match_login=bool(raw["sender_must_match_login"]),
        sender_rule_confirmed=raw["sender_must_match_login"] != "unconfirmed",
        credential_url=raw.get("credential_url"),
        help_url=raw.get("help_url"),
        username_literal=raw.get("username_literal"),
        password_pattern=raw.get("password_pattern"),
        notes=raw.get("notes"),
        replies=tuple(
            ReplyRule(contains=r["contains"], reason=r["reason"], code=r.get("code"),
                      identifies=bool(r.get("identifies", False)))
            for r in replies_raw
        ),
        remedies=remedies,
        oauth2=OAuth2Endpoint(raw["oauth2"]["token_url"], raw["oauth2"]["scope"], raw["oauth2"].get("tenant"))
        if "oauth2" in raw else None,
        imap=(raw["imap"]["host"], int(raw["imap"]["port"])) if "imap" in raw else None,
        # Dates are written as text ("2026-12-31"): the compiled JSON table has no date type.
        changes=tuple(DatedChange(c["what"], datetime.date.fromisoformat(c["date"]), tuple(c["affects"]),
                                  c["source"], datetime.date.fromisoformat(c["read"]),
                                  tuple(c.get("brings", ())))
                      for c in raw.get("changes", ())),
        domain=SendingDomain(
            mx=tuple(raw.get("domain", {}).get("mx", ())),
            spf_include=raw.get("domain", {}).get("spf_include"),
            spf_also=tuple(raw.get("domain", {}).get("spf_also", ())),
            spf_domain=raw.get("domain", {}).get("spf_domain", "{domain}"),
            dkim_selectors=tuple(raw.get("domain", {}).get("dkim_selectors", ())),
        ),
    )


def table_path() -> Path:
    here = Path(__file__).resolve().parent
    packaged = here / "providers.toml"  # the wheel puts it beside this module
    if packaged.is_file():
        return packaged
    # A source checkout (editable install): the table sits at the repository root.
    return here.parent / "providers.toml"


def parse_table(raw: dict[str, Any]) -> ProviderTable:
    return ProviderTable(tuple(_provider_from_toml(pid, body, raw) for pid, body in raw.items()))


@cache
def load_providers() -> ProviderTable:
    return parse_table(load_table(table_path()))
