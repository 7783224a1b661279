"""Read SMTP settings the way the user's app does.

``load_settings`` is a pure function of a parsed dotenv file, an environment
mapping and the command-line options. Precedence, low to high: provider
defaults < app defaults < dotenv file < environment < options — what
``python-dotenv``'s ``load_dotenv()`` gives an app, since it never overrides
variables that are already set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import quote, unquote, urlsplit

from smtpdoctor.config.clients import (
    FAMILY_CLIENTS,
    MASK,
    PORT_MODES,
    connection,
    default_port,
    fallback_port,
)
from smtpdoctor.config.dotenv_file import DotenvFile
from smtpdoctor.config.families import (
    FAMILIES,
    KNOWN_KEYS,
    MAIL_PREFIXES,
    Family,
    port_for,
)
from smtpdoctor.config.hygiene import domain_shape, dotenv_findings, hygiene, typo_findings
from smtpdoctor.config.oauth import oauth2_login
from smtpdoctor.config.reading import (
    Add,
    Partial,
    apply_service_preset,
    choose_primary,
    compare_families,
    read_family,
)
from smtpdoctor.config.values import (
    CLIENT_NAMES,
    AppProfile,
    ClientChoice,
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


class LoadResult(NamedTuple):
    settings: Settings
    provider: Provider | None
    findings: tuple[Finding, ...]



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
    if app.code is not None:
        from smtpdoctor.config.appcode.evaluate import code_variables

        own_names |= code_variables(app.code)
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
    code_env: Mapping[str, str] = {}
    if app.code is not None:
        from smtpdoctor.config.appcode.apply import apply_app_code

        merged, code_env = apply_app_code(merged, app, add)
    primary = _read_families(merged, dotenv, table, add)
    family = primary.family if primary else None
    client = app.client or _family_client(family)
    if primary and primary.conflict and client.id in ("flask-mail", "django", "aiosmtplib", "generic"):
        # These read both flags and refuse (Django, aiosmtplib) or break (Flask-Mail) on both.
        add(Severity.ERROR, "config.tls_flags_conflict", ssl_variable=primary.conflict[0],
            tls_variable=primary.conflict[1], family=client.param)
    values = _with_options(dict(primary.values) if primary else {}, options, add)
    provider = _named_provider(options, primary.provider if primary else None, table, add)
    if (primary is not None and primary.family.id == "nodemailer" and primary.provider is not None
            and client.id == "nodemailer"):
        apply_service_preset(values, primary, add)
    words = primary.words if primary else TlsWords()
    place = _place(values, client, words, provider, family, table, add)
    tls_variables = primary.tls_variables if primary else ()
    security, starttls_optional = _security(options, place, client, words, family, tls_variables,
                                            "password" in values, add)
    password_raw = values.get("password")
    settings = Settings(
        dotenv_file=dotenv.shown_path if dotenv else None,
        host=place.host or None,
        port=place.port,
        security=security,
        username=place.username or None,
        password=Secret(password_raw.value) if password_raw and password_raw.value else None,
        sender=_sender(values, place, add),
        family=family.id if family else None,
        provider_id=place.provider.id if place.provider else None,
        origins=place.origins,
        tls_variables=tls_variables,
        security_explicit=words.said or bool(options.security and options.security != "auto"),
        tls_words=words,
        starttls_optional=starttls_optional,
        client=client,
        app_variables=dict(app.names),
        oauth2=oauth2_login(merged, family.id if family else None, client, place.provider, add),
        from_row=environ_source is Source.ROW,
        app_code=app.code,
        code_env=code_env,
    )
    if family is None and not any(v is not None for v in (options.host, options.user, options.sender)) \
            and environ_source is not Source.ROW:
        # Nothing read is a mail setting: say so and where it looked, never a guessed family's
        # four "not set" errors (which, once filled in, the app would still not read).
        noise = {"config.tls_flags_missing", "config.no_credentials"}
        findings[:] = [f for f in findings if f.reason not in noise]
        add(Severity.ERROR, "config.no_mail_settings",
            looked="§looked.dotenv" if dotenv else "§looked.environment",
            file=dotenv.shown_path if dotenv else "", **family_names(client.id))
    else:
        _missing_findings(settings, family, findings, add)
    return LoadResult(settings, place.provider, tuple(findings))


# The families a client's app usually names its settings with, first in a list of names.
CLIENT_FAMILIES = {"flask-mail": "flask-mail", "smtplib": "flask-mail", "django": "django",
                   "laravel": "laravel", "nodemailer": "nodemailer"}


def family_names(client: str) -> dict[str, str]:
    """Each family's variable names, the one the app's client suggests first, as the finding's
    ``names`` (and ``names_zh``, with the families' Chinese names)."""
    first = CLIENT_FAMILIES.get(client, "smtp")
    order = [f for f in sorted(FAMILIES, key=lambda f: f.id != first)
             if f.host and f.id not in ("url", "tenant", "default-email")]

    def listed(zh: bool) -> str:
        return "; ".join(f"{(f.name_zh or f.name) if zh else f.name}: "
                         + ", ".join((f.host[0], *f.port[:1], *f.user[:1], *f.password[:1], *f.sender[:1]))
                         for f in order)
    return {"names": listed(False), "names_zh": listed(True)}


def _read_families(merged: Mapping[str, RawValue], dotenv: DotenvFile | None, table: ProviderTable,
                   add: Add) -> Partial | None:
    """Every family's reading of the variables; the one that says the most, with what the
    others and the file itself say about it as findings."""
    if dotenv:
        dotenv_findings(dotenv, add)
    partials = [p for f in FAMILIES if (p := read_family(f, merged, table, add)) is not None]
    primary = choose_primary(partials)
    typo_findings(merged, dotenv, primary, add)
    if primary and dotenv:
        for raw in primary.values.values():
            in_file = dotenv.values.get(raw.name)
            if raw.origin.source is Source.ENVIRONMENT and in_file is not None and in_file != raw.value:
                add(Severity.INFO, "config.env_overrides_dotenv", variable=raw.name, file=dotenv.shown_path)
    for other in partials:
        if primary and other is not primary:
            compare_families(primary, other, add)
    return primary


def _named_provider(options: Options, provider: Provider | None, table: ProviderTable,
                    add: Add) -> Provider | None:
    """--provider names the provider; else the family's own (a nodemailer service, Resend)."""
    if not options.provider:
        return provider
    named = table.by_name(options.provider)
    if named is None:
        add(Severity.ERROR, "config.unknown_provider", value=options.provider, variable="--provider")
    return named


def _family_client(family: Family | None) -> ClientChoice:
    """The client an app of this family uses when nothing in the folder says."""
    if family is None:
        return ClientChoice("generic", "family", "why.no_family")
    return ClientChoice(FAMILY_CLIENTS.get(family.id, "generic"), "family", "why.family",
                        (("family", family.name), ("family_zh", family.name_zh or family.name)))


def _with_options(values: dict[str, RawValue], options: Options, add: Add) -> dict[str, RawValue]:
    """Command-line options beat everything; then each value's own hygiene."""
    for key, flag, value in (("host", "--host", options.host), ("port", "--port", options.port),
                             ("username", "--user", options.user), ("sender", "--from", options.sender)):
        if value is not None:
            values[key] = RawValue(flag, value, Origin(Source.OPTION, flag))
    for setting, raw in values.items():
        hygiene(setting, raw, add)
    return values


@dataclass(eq=False, repr=False)
class _Place:
    """Where the client connects, who logs in, and the provider that says so."""

    host: str | None
    port: int | None
    username: str | None
    provider: Provider | None
    origins: dict[str, Origin]


def _place(values: dict[str, RawValue], client: ClientChoice, words: TlsWords, provider: Provider | None,
           family: Family | None, table: ProviderTable, add: Add) -> _Place:
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
    if port is None and host is not None and "port" not in values:
        # Never port 0: the submission port the settings' TLS words name.
        port = fallback_port(words)
        port_origin = Origin(Source.DEFAULT, str(port), word="submission")
    if port_origin:
        origins["port"] = port_origin
    return _Place(host, port, username, provider, origins)


def _security(options: Options, place: _Place, client: ClientChoice, words: TlsWords, family: Family | None,
              tls_variables: tuple[str, ...], has_password: bool, add: Add) -> tuple[str | None, bool]:
    """The TLS mode the client will use (``--security`` wins), and whether its STARTTLS is only
    when offered; derived from the client's reading of the TLS words and the port."""
    port, provider, origins = place.port, place.provider, place.origins
    if options.security and options.security != "auto":
        origins["security"] = Origin(Source.OPTION, "--security")
        return options.security, False
    if port is None:
        return None, False
    conn = connection(client.id, words, port, family.id if family else None,
                      provider.ports.get(port) if provider else None)
    origins["security"] = (Origin(Source.DERIVED, ", ".join(tls_variables)) if words.said
                           else Origin(Source.DERIVED, str(port), word="port"))
    if (family is not None and family.id == "tenant" and (words.scheme or "").upper() == "PROTOCOL:TLS"
            and client.id == "generic"):
        # The check follows the port; the multi-tenant API's own code (aiosmtplib) does not.
        api = connection("aiosmtplib", words, port, family.id, None).security
        add(Severity.WARNING, "config.tls_word_ambiguous", variable="security_protocol", port=port,
            api_verdict="§tls_word.api_agrees" if api == conn.security else "§tls_word.api_differs")
    conventional = (provider.ports.get(port) if provider else None) or PORT_MODES.get(port)
    if (conn.security == "plain" and not words.said and client.id in ("flask-mail", "django", "smtplib")
            and (conventional in ("ssl", "starttls") or has_password)):
        add(Severity.WARNING, "config.tls_flags_missing", family=client.param, port=port)
    return conn.security, conn.starttls_optional


def _sender(values: Mapping[str, RawValue], place: _Place, add: Add) -> str | None:
    """The envelope sender: the sender variable's address, else the login when it is one."""
    sender_raw = values["sender"].value.strip() if "sender" in values else None
    if sender_raw:
        from email.utils import parseaddr  # email.* (~8 ms) only for a sender to parse

        sender: str | None = parseaddr(sender_raw)[1]
    else:
        sender = None
    if sender_raw and (not sender or "@" not in sender or not domain_shape(sender.rpartition("@")[2])):
        # parseaddr("My App") gives "My": only something with an @ is an address.
        add(Severity.ERROR, "config.bad_sender", variable=values["sender"].name)
        sender = None
    if not sender and place.username and "@" in place.username:
        place.origins["sender"] = Origin(Source.DERIVED, values["username"].name)
        return place.username
    return sender or None


# Clients that log in only when both the username and the password are set: with one of
# them they send without AUTH (Flask-Mail's `if self.mail.username and self.mail.password`,
# Django's `if self.username and self.password`; tests/conformance runs both).
LOGIN_NEEDS_BOTH = frozenset({"flask-mail", "django"})


def _missing_findings(settings: Settings, family: Family | None, findings: list[Finding], add: Add) -> None:
    """What the settings lack. No credentials at all is no error: every client then sends
    without logging in, to a relay that lets it (localhost:25, a Docker or Kubernetes relay).
    A provider from the table always wants a login."""
    client = settings.client.id if settings.client else "generic"
    user, secret = settings.username, settings.password or settings.oauth2
    needed_now: list[tuple[object, str]] = [(settings.host, "config.missing_host")]
    if settings.provider_id is not None:
        needed_now += [(user, "config.missing_username"), (secret, "config.missing_password")]
    elif not user and not secret:
        add(Severity.INFO, "config.no_credentials", user_var=settings.variable("username"),
            password_var=settings.variable("password"))
    elif not (user and secret) and client in LOGIN_NEEDS_BOTH:
        add(Severity.WARNING, "config.credentials_incomplete", family=settings.client.param if settings.client
            else "", user_var=settings.variable("username"), password_var=settings.variable("password"))
    else:
        needed_now += [(user, "config.missing_username"), (secret, "config.missing_password")]
    for needed, reason in (*needed_now, (settings.sender, "config.missing_sender")):
        if not needed and not (reason == "config.missing_host" and any(
                f.reason == "config.nodemailer_no_service" for f in findings)):
            add(Severity.ERROR, reason, variable=settings.variable(reason.rsplit("_", 1)[1]),
                family=family.name if family else "")


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



def _resolve_port(
    raw: RawValue | None,
    client: str,
    words: TlsWords,
    provider: Provider | None,
    host: str | None,
    table: ProviderTable,
    add: Add,
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


