"""What each settings family's variables say, before options and defaults: the values it
names, its TLS words (flags, a URL scheme, Laravel's scheme), and how families compare."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import unquote, urlsplit

from smtpdoctor.config.families import (
    FAMILIES,
    FAMILY_BY_ID,
    LARAVEL_TLS_KEYS,
    SCHEME_PORTS,
    URL_SCHEMES,
    Family,
)
from smtpdoctor.config.values import Origin, RawValue, Source, TlsWords
from smtpdoctor.model import Severity
from smtpdoctor.providers import Provider, ProviderTable

TRUE_WORDS = frozenset({"true", "1", "yes", "on", "y", "t"})
FALSE_WORDS = frozenset({"false", "0", "no", "off", "n", "f", "", "none", "null"})



def parse_bool(text: str) -> bool | None:
    word = text.strip().strip("\"'").lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None



class Add(Protocol):  # the `add` callback that collects findings
    def __call__(self, severity: Severity, reason: str, **params: object) -> None: ...



@dataclass(eq=False, repr=False)
class Partial:
    """What one family's variables say, before options and defaults."""

    family: Family
    values: dict[str, RawValue] = field(default_factory=dict)
    words: TlsWords = field(default_factory=TlsWords)
    tls_variables: tuple[str, ...] = ()
    provider: Provider | None = None  # a nodemailer service preset, or Resend
    conflict: tuple[str, str] | None = None  # an SSL flag and a STARTTLS flag both true



def apply_service_preset(values: dict[str, RawValue], partial: Partial, add: Add) -> None:
    """nodemailer's ``service`` preset wins over host, port and secure."""
    provider = partial.provider
    assert provider is not None
    for setting in ("host", "port"):
        given = values.get(setting)
        if given is not None and given.origin.source is not Source.OPTION:
            add(Severity.WARNING, "config.service_overrides", variable=given.name,
                service=provider.id, value=provider.primary_host if setting == "host"
                else str(provider.default_port))
            del values[setting]
    origin = Origin(Source.PROVIDER, provider.id)
    values.setdefault("host", RawValue("EMAIL_PROVIDER", provider.primary_host, origin))
    values.setdefault("port", RawValue("EMAIL_PROVIDER", str(provider.default_port), origin))
    mode = provider.ports[provider.default_port]
    partial.words = TlsWords(ssl=mode == "ssl")



def _first(names: tuple[str, ...], merged: Mapping[str, RawValue]) -> RawValue | None:
    return next((merged[n] for n in names if n in merged and merged[n].value.strip()), None)


def read_family(
    family: Family, merged: Mapping[str, RawValue], table: ProviderTable, add: Add
) -> Partial | None:
    present = [k for k in family.variables() if k in merged]
    if family.markers and not any(k in merged for k in family.markers):
        return None
    # Families without markers of their own (generic, Django) count once any of
    # their variables is set: SMTP_PORT alone still deserves its findings.
    # SMTP_HOST also serves the account-style family; generic needs its own user or password.
    account_style = any(k in merged for k in FAMILY_BY_ID["default-email"].markers)
    if family.id == "smtp" and account_style and not any(
            k in merged for k in (*family.user, *family.password)):
        return None
    if not present:
        return None
    partial = Partial(family)
    for setting, names in (("host", family.host), ("port", family.port), ("username", family.user),
                           ("password", family.password), ("sender", family.sender)):
        raw = _first(names, merged)
        if raw is not None:
            partial.values[setting] = raw
    if family.id == "url":
        _read_url(partial, add)
    elif family.id == "resend":
        partial.provider = table.get("resend")
        partial.values["username"] = RawValue("resend", "resend", Origin(Source.PROVIDER, "resend"))
    elif family.id == "nodemailer":
        raw = _first(("EMAIL_PROVIDER", "EMAIL_SERVICE"), merged)
        if raw is not None:
            partial.provider = table.by_name(raw.value.strip())
            if partial.provider is None:
                add(Severity.ERROR, "config.unknown_provider", value=raw.value.strip(), variable=raw.name)
        _read_tls_flags(partial, merged, add)
    elif family.id == "laravel":
        _read_laravel_tls(partial, merged)
    elif family.id == "tenant":
        raw = merged.get("security_protocol")
        if raw is not None and raw.value.strip():
            partial.tls_variables = ("security_protocol",)
            # As written: seed 004's API compares security_protocol == 'TLS' case-sensitively.
            partial.words = TlsWords(scheme=f"protocol:{raw.value.strip()}")
    else:
        _read_tls_flags(partial, merged, add)
    return partial


def _read_tls_flags(partial: Partial, merged: Mapping[str, RawValue], add: Add) -> None:
    family = partial.family
    said: dict[str, bool] = {}
    for name in (*family.ssl_flags, *family.starttls_flags):
        if name not in merged:
            continue
        raw = merged[name]
        text = raw.value.strip().lower()
        # PHPMailer-style SMTP_SECURE=tls|ssl names the mode instead of a boolean.
        if name == "SMTP_SECURE" and text in ("ssl", "smtps", "tls", "starttls"):
            said[name] = text in ("ssl", "smtps")
            if text in ("tls", "starttls"):
                said["SMTP_TLS"] = True
        else:
            value = parse_bool(raw.value)
            if value is None:
                add(Severity.WARNING, "config.bad_boolean", variable=name, value=raw.value)
                value = False
            said[name] = value
    partial.tls_variables = tuple(n for n in (*family.ssl_flags, *family.starttls_flags) if n in merged)
    ssl_said = [said[n] for n in family.ssl_flags if n in said]
    tls_said = [said[n] for n in (*family.starttls_flags, "SMTP_TLS") if n in said]
    ssl_on = [n for n in family.ssl_flags if said.get(n)]
    tls_on = [n for n in family.starttls_flags if said.get(n)]
    if ssl_on and tls_on:
        partial.conflict = (ssl_on[0], tls_on[0])
    partial.words = TlsWords(ssl=any(ssl_said) if ssl_said else None,
                             starttls=any(tls_said) if tls_said else None)


def _read_laravel_tls(partial: Partial, merged: Mapping[str, RawValue]) -> None:
    partial.tls_variables = tuple(k for k in LARAVEL_TLS_KEYS if k in merged)
    scheme = merged["MAIL_SCHEME"].value.strip().lower() if "MAIL_SCHEME" in merged else ""
    encryption = merged["MAIL_ENCRYPTION"].value.strip().lower() if "MAIL_ENCRYPTION" in merged else ""
    port_raw = partial.values.get("port")
    port465 = port_raw is not None and port_raw.value.strip() == "465"
    # Laravel's MailManager turns encryption=tls on port 465 into smtps; with
    # Symfony Mailer, MAIL_ENCRYPTION=ssl elsewhere changes nothing.
    if not scheme and encryption == "tls":
        scheme = "smtps" if port465 else "smtp"
    partial.words = TlsWords(ssl=encryption == "ssl" if encryption else None,
                             starttls=encryption == "tls" if encryption else None,
                             scheme=scheme or None)


def _read_url(partial: Partial, add: Add) -> None:
    raw = partial.values.pop("host")
    try:
        parts = urlsplit(raw.value.strip())
        port = parts.port
    except ValueError:
        add(Severity.ERROR, "config.bad_url", variable=raw.name)
        return
    scheme = parts.scheme.lower()
    if scheme not in URL_SCHEMES or not parts.hostname:
        add(Severity.ERROR, "config.bad_url", variable=raw.name)
        return
    origin = raw.origin
    partial.values["host"] = RawValue(raw.name, parts.hostname, origin)
    if port is not None:
        partial.values["port"] = RawValue(raw.name, str(port), origin)
    if parts.username:
        partial.values["username"] = RawValue(raw.name, unquote(parts.username), origin)
    if parts.password:
        partial.values["password"] = RawValue(raw.name, unquote(parts.password), origin)
    partial.words = TlsWords(scheme=URL_SCHEMES[scheme])
    if port is None:
        default = SCHEME_PORTS[URL_SCHEMES[scheme]]
        partial.values["port"] = RawValue(raw.name, str(default), Origin(Source.DEFAULT, f"{scheme}://"))


def choose_primary(partials: list[Partial]) -> Partial | None:
    """The family that says the most wins; ties go to the order of FAMILIES."""
    if not partials:
        return None
    order = {f.id: i for i, f in enumerate(FAMILIES)}
    return max(partials, key=lambda p: (("host" in p.values or p.provider is not None),
                                        len(p.values), -order[p.family.id]))


def compare_families(primary: Partial, other: Partial, add: Add) -> None:
    differences = []
    for setting in ("host", "port", "username", "password"):
        mine, theirs = primary.values.get(setting), other.values.get(setting)
        if mine is None or theirs is None or mine.name == theirs.name:
            continue
        if mine.value.strip() != theirs.value.strip():
            differences.append(f"{setting} ({mine.name} vs {theirs.name})")
    if differences:
        add(Severity.WARNING, "config.families_disagree", family=primary.family.name,
            other_family=other.family.name, differences=", ".join(differences))


