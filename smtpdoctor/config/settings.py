"""Read SMTP settings the way the user's app does.

``load_settings`` is a pure function of a parsed dotenv file, an environment
mapping and the command-line options. Precedence, low to high: provider
defaults < app defaults < dotenv file < environment < options — what
``python-dotenv``'s ``load_dotenv()`` gives an app, since it never overrides
variables that are already set.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Protocol
from urllib.parse import quote, unquote, urlsplit

from smtpdoctor.config.clients import FAMILY_CLIENTS, MASK, PORT_MODES, connection, default_port
from smtpdoctor.config.dotenv_file import DotenvFile
from smtpdoctor.config.families import (
    FAMILIES,
    FAMILY_BY_ID,
    KNOWN_KEYS,
    LARAVEL_TLS_KEYS,
    MAIL_PREFIXES,
    SCHEME_PORTS,
    URL_SCHEMES,
    Family,
    port_for,
)
from smtpdoctor.config.oauth import read_oauth2
from smtpdoctor.config.values import (
    CLIENT_NAMES,
    AppProfile,
    ClientChoice,
    OAuth2,
    Options,
    Origin,
    RawValue,
    Settings,
    Source,
    TlsWords,
)
from smtpdoctor.model import Finding, Severity, frozen_params
from smtpdoctor.providers import Provider, ProviderTable
from smtpdoctor.secret import Secret

TRUE_WORDS = frozenset({"true", "1", "yes", "on", "y", "t"})
FALSE_WORDS = frozenset({"false", "0", "no", "off", "n", "f", "", "none", "null"})


@dataclass(frozen=True)
class LoadResult:
    settings: Settings
    provider: Provider | None
    findings: tuple[Finding, ...]


def parse_bool(text: str) -> bool | None:
    word = text.strip().strip("\"'").lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


@dataclass
class _Partial:
    """What one family's variables say, before options and defaults."""

    family: Family
    values: dict[str, RawValue] = field(default_factory=dict)
    words: TlsWords = field(default_factory=TlsWords)
    tls_variables: tuple[str, ...] = ()
    provider: Provider | None = None  # a nodemailer service preset, or Resend
    conflict: tuple[str, str] | None = None  # an SSL flag and a STARTTLS flag both true


def merge_sources(dotenv: DotenvFile | None, environ: Mapping[str, str],
                  app: AppProfile | None = None,
                  overlay: Mapping[str, str] | None = None,
                  environ_source: Source = Source.ENVIRONMENT) -> dict[str, RawValue]:
    """Every variable the app would see: its own defaults, then the file, then
    the environment, then a trial change. Variables the app names its own way
    (the project file's map) are read under the known name they stand for."""
    merged: dict[str, RawValue] = {}
    app = app or AppProfile()
    own_names = set(app.names.values())
    for name, value in app.defaults.items():
        merged[name] = RawValue(name, value, Origin(Source.APP_DEFAULT, name, app.file))
    if dotenv:
        for name, value in dotenv.values.items():
            merged[name] = RawValue(name, value, Origin(Source.DOTENV, name, dotenv.shown_path))
    for name, value in environ.items():
        if (name in KNOWN_KEYS or name.startswith(MAIL_PREFIXES) or name == "FROM_EMAIL"
                or name in own_names):
            merged[name] = RawValue(name, value, Origin(environ_source, name))
    for name, value in (overlay or {}).items():
        merged[name] = RawValue(name, value, Origin(Source.TRIAL, name))
    for known, own in app.names.items():
        if own in merged:
            merged[known] = merged.pop(own)
    return merged


def load_settings(
    dotenv: DotenvFile | None,
    environ: Mapping[str, str],
    options: Options,
    table: ProviderTable,
    app: AppProfile | None = None,
    overlay: Mapping[str, str] | None = None,
    environ_source: Source = Source.ENVIRONMENT,
) -> LoadResult:
    """Resolve the settings as the app's client will use them. ``overlay``
    holds trial changes (known or app variable names) applied above the
    environment, so a fix is checked exactly as the app would read it.
    ``environ_source``: ``Source.ROW`` when ``environ`` is an account's row."""
    findings: list[Finding] = []
    app = app or AppProfile()

    def add(severity: Severity, reason: str, **params: object) -> None:
        findings.append(Finding(severity, reason, frozen_params(params)))

    overlay = _with_password(overlay, dotenv, environ, app)
    merged = merge_sources(dotenv, environ, app, overlay, environ_source)
    if dotenv:
        _dotenv_findings(dotenv, add)
    partials = [p for f in FAMILIES if (p := _read_family(f, merged, table, add)) is not None]
    primary = _choose_primary(partials)
    _typo_findings(merged, dotenv, primary, add)
    if primary and dotenv:
        for raw in primary.values.values():
            in_file = dotenv.values.get(raw.name)
            if raw.origin.source is Source.ENVIRONMENT and in_file is not None and in_file != raw.value:
                add(Severity.INFO, "config.env_overrides_dotenv", variable=raw.name, file=dotenv.shown_path)
    for other in partials:
        if primary and other is not primary:
            _compare_families(primary, other, add)

    values = dict(primary.values) if primary else {}
    family = primary.family if primary else None
    provider = primary.provider if primary else None
    words = primary.words if primary else TlsWords()
    tls_variables = primary.tls_variables if primary else ()
    client = app.client or ClientChoice(
        FAMILY_CLIENTS.get(family.id, "generic") if family else "generic", "family",
        "why.family" if family else "why.no_family",
        (("family", family.name), ("family_zh", family.name_zh or family.name)) if family else ())

    if primary and primary.conflict and client.id in ("flask-mail", "django", "aiosmtplib", "generic"):
        # These read both flags and refuse (Django, aiosmtplib) or break (Flask-Mail) on both.
        add(Severity.ERROR, "config.tls_flags_conflict", ssl_variable=primary.conflict[0],
            tls_variable=primary.conflict[1], family=client.param)

    # Options beat everything.
    option_values = {
        "host": ("--host", options.host),
        "port": ("--port", options.port),
        "username": ("--user", options.user),
        "sender": ("--from", options.sender),
    }
    for key, (flag, value) in option_values.items():
        if value is not None:
            values[key] = RawValue(flag, value, Origin(Source.OPTION, flag))

    for setting, raw in values.items():
        _hygiene(setting, raw, add)

    if options.provider:
        provider = table.by_name(options.provider)
        if provider is None:
            add(Severity.ERROR, "config.unknown_provider", value=options.provider, variable="--provider")

    if (primary is not None and primary.family.id == "nodemailer" and primary.provider is not None
            and client.id == "nodemailer"):
        _apply_service_preset(values, primary, add)
        words = primary.words
    host = values["host"].value.strip() if "host" in values else None
    port, port_origin = _resolve_port(values.get("port"), client.id, words, provider, host, table, add)
    origins: dict[str, Origin] = {k: v.origin for k, v in values.items()}

    # Provider: named explicitly, else by host, else by the login's domain.
    if provider is None and host:
        provider = table.by_host(host)
    username = values["username"].value.strip() if "username" in values else None
    if host is None and family is not None and family.id == "resend" and provider is not None:
        host = provider.primary_host
        origins["host"] = Origin(Source.PROVIDER, provider.id)
    if host is None and client.id == "nodemailer" and family is not None and family.id == "nodemailer":
        # createTransport({service: undefined, auth}) connects to localhost:587.
        guess = table.by_address(username) if username else None
        add(Severity.ERROR, "config.nodemailer_no_service", variable="EMAIL_PROVIDER",
            suggestion=guess.aliases[0] if guess and guess.aliases and not guess.id.isalnum()
            else (guess.id if guess else "qq"),
            provider_name=guess.name if guess else "")
    if provider is None and username and not host:
        provider = table.by_address(username)
    if port is None and provider is not None and host is not None:
        port = provider.default_port
        port_origin = Origin(Source.PROVIDER, provider.id)
    if port_origin:
        origins["port"] = port_origin

    security: str | None = None
    starttls_optional = False
    if options.security and options.security != "auto":
        security = options.security
        origins["security"] = Origin(Source.OPTION, "--security")
    elif port is not None:
        conn = connection(client.id, words, port, family.id if family else None,
                          provider.ports.get(port) if provider else None)
        security, starttls_optional = conn.security, conn.starttls_optional
        origins["security"] = (Origin(Source.DERIVED, ", ".join(tls_variables)) if words.said
                               else Origin(Source.DERIVED, str(port), word="port"))
        if (family is not None and family.id == "tenant" and words.scheme == "protocol:TLS"
                and client.id == "generic"):
            # The check follows the port; the multi-tenant API's own code (aiosmtplib) does not.
            api = connection("aiosmtplib", words, port, family.id, None).security
            add(Severity.WARNING, "config.tls_word_ambiguous", variable="security_protocol", port=port,
                api_verdict="§tls_word.api_agrees" if api == security else "§tls_word.api_differs")
        conventional = (provider.ports.get(port) if provider else None) or PORT_MODES.get(port)
        if (security == "plain" and not words.said and client.id in ("flask-mail", "django", "smtplib")
                and (conventional in ("ssl", "starttls") or "password" in values)):
            add(Severity.WARNING, "config.tls_flags_missing", family=client.param, port=port)

    sender_raw = values["sender"].value.strip() if "sender" in values else None
    sender = parseaddr(sender_raw)[1] if sender_raw else None
    if sender_raw and (not sender or "@" not in sender or not _domain_shape(sender.rpartition("@")[2])):
        # parseaddr("My App") gives "My": only something with an @ is an address.
        add(Severity.ERROR, "config.bad_sender", variable=values["sender"].name)
        sender = None
    if not sender and username and "@" in username:
        sender = username
        origins["sender"] = Origin(Source.DERIVED, values["username"].name)

    password_raw = values.get("password")
    oauth2 = _oauth2_login(merged, family.id if family else None, client, provider, add)
    settings = Settings(
        host=host or None,
        port=port,
        security=security,
        username=username or None,
        password=Secret(password_raw.value) if password_raw and password_raw.value else None,
        sender=sender or None,
        family=family.id if family else None,
        provider_id=provider.id if provider else None,
        origins=origins,
        tls_variables=tls_variables,
        security_explicit=words.said or bool(options.security and options.security != "auto"),
        tls_words=words,
        starttls_optional=starttls_optional,
        client=client,
        app_variables=dict(app.names),
        oauth2=oauth2,
        from_row=environ_source is Source.ROW,
    )
    for needed, reason in (
        (settings.host, "config.missing_host"),
        (settings.username, "config.missing_username"),
        (settings.password or settings.oauth2, "config.missing_password"),
        (settings.sender, "config.missing_sender"),
    ):
        if not needed and not (reason == "config.missing_host" and any(
                f.reason == "config.nodemailer_no_service" for f in findings)):
            add(Severity.ERROR, reason, variable=settings.variable(reason.rsplit("_", 1)[1]),
                family=family.name if family else "")
    return LoadResult(settings, provider, tuple(findings))


# Clients that can log in with an OAuth2 token: nodemailer (auth.type "OAuth2"), aiosmtplib
# (oauth_token_generator, 5.1+), Symfony Mailer's XOAuth2Authenticator (Laravel), and the
# generic reading. Flask-Mail, Django's SMTP backend and smtplib send a password only.
OAUTH2_CLIENTS = frozenset({"nodemailer", "aiosmtplib", "laravel", "generic"})


def _oauth2_login(merged: Mapping[str, RawValue], family: str | None, client: ClientChoice,
                  provider: Provider | None, add: _Add) -> OAuth2 | None:
    """The OAuth2 login the client will use, with what cannot work flagged first."""
    from smtpdoctor.config.oauth import (
        EXPIRING_SECONDS,
        is_loopback,
        is_url,
        jwt_claims,
        lacks_smtp_scope,
        seconds_left,
        token_scopes,
    )

    oauth2 = read_oauth2({name: raw.value for name, raw in merged.items()}, family)
    if oauth2 is None:
        return None
    first = next(iter(oauth2.variables.values()))
    if client.id not in OAUTH2_CLIENTS:
        add(Severity.WARNING, "config.oauth2_client_cannot", client=client.param, variable=first)
        return None
    endpoint = provider.oauth2 if provider else None
    if oauth2.refresh_flow:
        if not oauth2.client_id:
            add(Severity.ERROR, "config.oauth2_incomplete", variable=oauth2.variable("CLIENT_ID"),
                other=oauth2.variable("REFRESH_TOKEN"))
        if oauth2.token_url:
            if not is_url(oauth2.token_url):
                add(Severity.ERROR, "config.oauth2_bad_token_url", variable=oauth2.variable("TOKEN_URL"),
                    value=oauth2.token_url)
            elif urlsplit(oauth2.token_url).scheme != "https" and not is_loopback(oauth2.token_url):
                add(Severity.ERROR, "config.oauth2_insecure_token_url", variable=oauth2.variable("TOKEN_URL"),
                    value=oauth2.token_url)
        elif endpoint is None:
            add(Severity.ERROR, "config.oauth2_no_token_url", variable=oauth2.variable("TOKEN_URL"))
        if endpoint is not None:
            from dataclasses import replace

            oauth2 = replace(oauth2, token_url=oauth2.token_url or endpoint.url(oauth2.tenant),
                             scope=endpoint.scope)
    elif oauth2.access_token is not None:
        # A JWT says when it ends and what it may do; decoded here, sent nowhere else.
        claims = jwt_claims(oauth2.access_token.reveal())
        left = seconds_left(claims) if claims else None
        variable = oauth2.variable("ACCESS_TOKEN")
        if left is not None and left <= 0:
            add(Severity.WARNING, "config.oauth2_token_expired", variable=variable, minutes=-left // 60)
        elif left is not None and left < EXPIRING_SECONDS:
            add(Severity.WARNING, "config.oauth2_token_expiring", variable=variable, minutes=left // 60)
        if claims and lacks_smtp_scope(token_scopes(claims)):
            add(Severity.WARNING, "config.oauth2_token_scope", variable=variable, scopes=token_scopes(claims))
    return oauth2


def _with_password(overlay: Mapping[str, str] | None, dotenv: DotenvFile | None,
                   environ: Mapping[str, str], app: AppProfile) -> Mapping[str, str] | None:
    """A trial URL change carries ``****`` where the password goes: put the
    password of the URL it replaces back, so the trial logs in like the app."""
    if not overlay:
        return overlay
    out = dict(overlay)
    for name, value in overlay.items():
        if f":{MASK}@" not in value:
            continue
        current = environ.get(name) or (dotenv.values.get(name) if dotenv else None) or ""
        try:
            password = urlsplit(current.strip()).password or ""
        except ValueError:
            password = ""
        out[name] = value.replace(f":{MASK}@", f":{quote(unquote(password), safe='')}@")
    return out


def _apply_service_preset(values: dict[str, RawValue], partial: _Partial, add: _Add) -> None:
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


def _resolve_port(
    raw: RawValue | None,
    client: str,
    words: TlsWords,
    provider: Provider | None,
    host: str | None,
    table: ProviderTable,
    add: _Add,
) -> tuple[int | None, Origin | None]:
    if raw is not None:
        text = raw.value.strip()
        if text.isdigit() and 1 <= int(text) <= 65535:
            return int(text), raw.origin
        add(Severity.ERROR, "config.bad_port", variable=raw.name, value=raw.value)
        return None, None
    port = default_port(client, words)
    if port is not None:
        return port, Origin(Source.DEFAULT, CLIENT_NAMES[client])
    said = "ssl" if words.ssl or words.scheme == "smtps" else "starttls" if (
        words.starttls or words.scheme == "smtp+tls") else None
    if said and not (provider or (host and table.by_host(host))):
        return port_for(said), Origin(Source.DERIVED, said, word="security")
    return None, None


class _Add(Protocol):  # the `add` callback that collects findings
    def __call__(self, severity: Severity, reason: str, **params: object) -> None: ...


def _dotenv_findings(dotenv: DotenvFile, add: _Add) -> None:
    if dotenv.unparsable_lines:
        add(Severity.ERROR, "config.dotenv_unparsable", file=dotenv.shown_path,
            lines=", ".join(map(str, dotenv.unparsable_lines)))
    if dotenv.has_bom:
        first = next(iter(dotenv.key_lines), "")
        add(Severity.WARNING, "config.dotenv_bom", file=dotenv.shown_path,
            variable=first.lstrip("\ufeff"))
    for key, lines in dotenv.key_lines.items():
        if len(lines) > 1:
            add(Severity.WARNING, "config.duplicate_key", variable=key, file=dotenv.shown_path,
                lines=", ".join(map(str, lines)), line=lines[-1])
    if dotenv.others_can_read:
        add(Severity.WARNING, "config.dotenv_permissions", file=dotenv.shown_path)
    if dotenv.tracked_by_git:
        add(Severity.WARNING, "config.dotenv_tracked", file=dotenv.shown_path)


def _first(names: tuple[str, ...], merged: Mapping[str, RawValue]) -> RawValue | None:
    return next((merged[n] for n in names if n in merged and merged[n].value.strip()), None)


def _read_family(
    family: Family, merged: Mapping[str, RawValue], table: ProviderTable, add: _Add
) -> _Partial | None:
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
    partial = _Partial(family)
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
            partial.words = TlsWords(scheme=f"protocol:{raw.value.strip().upper()}")
    else:
        _read_tls_flags(partial, merged, add)
    return partial


def _read_tls_flags(partial: _Partial, merged: Mapping[str, RawValue], add: _Add) -> None:
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


def _read_laravel_tls(partial: _Partial, merged: Mapping[str, RawValue]) -> None:
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


def _read_url(partial: _Partial, add: _Add) -> None:
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


def _choose_primary(partials: list[_Partial]) -> _Partial | None:
    """The family that says the most wins; ties go to the order of FAMILIES."""
    if not partials:
        return None
    order = {f.id: i for i, f in enumerate(FAMILIES)}
    return max(partials, key=lambda p: (("host" in p.values or p.provider is not None),
                                        len(p.values), -order[p.family.id]))


def _compare_families(primary: _Partial, other: _Partial, add: _Add) -> None:
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


def _typo_findings(
    merged: Mapping[str, RawValue], dotenv: DotenvFile | None, primary: _Partial | None, add: _Add
) -> None:
    known = sorted(KNOWN_KEYS)
    for name, raw in merged.items():
        if name in KNOWN_KEYS or not name.startswith(MAIL_PREFIXES) or "_OAUTH2_" in name:
            continue
        # A cut-short name is the likeliest typo (MAIL_USER → MAIL_USERNAME); otherwise the
        # closest spelling with the same prefix (MAIL_USER is not EMAIL_USER).
        prefix = name.split("_", 1)[0] + "_"
        same_prefix = [k for k in known if k.startswith(prefix)] or known
        match = [k for k in same_prefix if k.startswith(name)][:1] or difflib.get_close_matches(
            name, same_prefix, n=1, cutoff=0.75)
        if not match or match[0] in merged:
            continue
        from_file = raw.origin.source is Source.DOTENV
        # The process environment holds many unrelated variables: only hint at
        # names the family in use would read.
        if not from_file and not (primary and match[0] in primary.family.variables()):
            continue
        add(Severity.WARNING, "config.key_typo", variable=name, suggestion=match[0],
            where=_where(raw.origin))


def _domain_shape(domain: str) -> bool:
    """Labels of 1–63 characters, at most 253 in all: "x..y" and "example.com." are no
    address's domain (the full check is dnspython's, for `domain`; this one costs nothing)."""
    labels = domain.split(".")
    return len(domain) <= 253 and all(0 < len(label) <= 63 for label in labels)


def _where(origin: Origin) -> str:
    """Where a variable was set, for messages that already name the variable: the file, or a
    phrase (§) the report shows in its own language."""
    if origin.source is Source.DOTENV:
        return origin.file or ".env"
    return f"§where.{origin.source.value}"


# A line break in these goes into an SMTP command or a header: never a warning.
INJECTABLE = frozenset({"host", "username", "sender"})


def _hygiene(setting: str, raw: RawValue, add: _Add) -> None:
    value = raw.value
    where = _where(raw.origin)
    if any(ch in value for ch in "\r\n\t\x00") or any(ord(ch) < 32 for ch in value):
        # A trailing \r from a Windows editor is stripped before use; one inside the
        # value would split the MAIL FROM command or the From header.
        inside = any(ord(ch) < 32 or ch == "\x7f" for ch in value.strip())
        severity = Severity.ERROR if setting in INJECTABLE and inside else Severity.WARNING
        add(severity, "config.value_control_char", variable=raw.name, where=where)
    elif value != value.strip():
        add(Severity.WARNING, "config.value_whitespace", variable=raw.name, where=where)
    stripped = value.strip()
    if len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "\"'":
        add(Severity.WARNING, "config.value_quoted", variable=raw.name, where=where)
