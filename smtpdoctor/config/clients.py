"""How the app opens the connection (its mail client), and which variable
changes that client can act on.

A family says where the values live (``MAIL_USE_TLS``); a client says what
the code does with them. Flask-Mail connects in plaintext when no flag is set,
an app that calls ``smtplib.SMTP()`` can never speak implicit TLS, nodemailer
without a ``service`` talks to localhost. Probing anything else than what the
client will do gives a green check where the app fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtpdoctor.codes import CLIENT_IDS
from smtpdoctor.config.families import FAMILY_BY_ID, MODE_SCHEMES, URL_KEYS, pick
from smtpdoctor.config.values import Connection, TlsWords

__all__ = ["CLIENT_IDS"]

if TYPE_CHECKING:
    from smtpdoctor.config.values import Settings

# The client an app of each family uses when nothing else says.
FAMILY_CLIENTS = {"flask-mail": "flask-mail", "django": "django", "laravel": "laravel",
                  "nodemailer": "nodemailer"}
PORT_MODES = {465: "ssl", 587: "starttls", 25: "starttls", 2525: "starttls"}


def default_port(client: str, words: TlsWords) -> int | None:
    """The port the client's code uses when the settings give none."""
    if client in ("smtplib", "flask-mail", "django"):
        return 25  # MAIL_PORT / EMAIL_PORT / SMTP() default, whatever the flags say
    if client == "smtplib-ssl":
        return 465
    if client == "nodemailer":
        return 465 if words.ssl else 587
    if client == "aiosmtplib":
        return 465 if words.ssl else 587 if words.starttls else 25
    if client == "laravel":
        return 2525  # config/mail.php (Laravel 11+): 'port' => env('MAIL_PORT', 2525)
    return None


def fallback_port(words: TlsWords) -> int:
    """A port for settings whose client gives none and whose provider is not known: the
    submission port their TLS words name (465 for implicit TLS, else 587)."""
    return 465 if words.ssl or words.scheme == "smtps" else 587


def connection(client: str, words: TlsWords, port: int, family: str | None,
               port_mode: str | None) -> Connection:
    """How ``client`` connects to ``port`` given the user's TLS words.
    ``port_mode`` is what the port conventionally speaks (provider table)."""
    ssl, starttls = bool(words.ssl), bool(words.starttls)
    if family == "tenant":
        return _tenant_connection(client, words, port, port_mode)
    match client:
        case "smtplib":
            # SMTP(host, port), then starttls() only when a TLS flag is true.
            return Connection("starttls" if starttls else "plain")
        case "smtplib-ssl":
            return Connection("ssl")
        case "flask-mail" | "django":
            return Connection("ssl" if ssl else "starttls" if starttls else "plain")
        case "laravel":
            # Symfony's EsmtpTransport: smtps:// or port 465 is implicit TLS;
            # anything else upgrades with STARTTLS when the server offers it.
            if words.scheme == "smtps" or port == 465:
                return Connection("ssl")
            return Connection("starttls", starttls_optional=True)
        case "nodemailer":
            # secure:true, or secure left undefined on port 465, is implicit TLS.
            if ssl or (words.ssl is None and port == 465):
                return Connection("ssl")
            return Connection("starttls", starttls_optional=True)
        case "aiosmtplib":
            if ssl:
                return Connection("ssl")
            return Connection("starttls", starttls_optional=not starttls)
    # generic: the flags, else the scheme, else what the port speaks.
    if ssl or words.scheme == "smtps":
        return Connection("ssl")
    if starttls or words.scheme == "smtp+tls":
        return Connection("starttls")
    unset_tls = FAMILY_BY_ID[family].unset_tls if family in FAMILY_BY_ID else None
    if words.ssl is False and words.starttls in (None, False) and unset_tls and words.said:
        return Connection("plain")
    if words.ssl is False:
        # SMTP_SECURE=false said so: not implicit TLS, whatever the port (nodemailer's secure:
        # false is a plain connect that upgrades when the server offers STARTTLS).
        return Connection("starttls", starttls_optional=True)
    return Connection(port_mode or PORT_MODES.get(port, "starttls"))


# security_protocol as each client reads it. The multi-tenant API's own code is
# aiosmtplib.SMTP(use_tls=security_protocol == "TLS"): TLS is implicit TLS there, and
# anything else (SSL included) is a plain connect that upgrades with STARTTLS when offered.
TENANT_WORDS = {"SSL": "ssl", "STARTTLS": "starttls", "NONE": "plain"}


def _tenant_connection(client: str, words: TlsWords, port: int, port_mode: str | None) -> Connection:
    word = (words.scheme or "").removeprefix("protocol:")
    if client == "aiosmtplib":
        # `use_tls=security_protocol == 'TLS'`: "tls" in lower case is a plain connect too.
        return Connection("ssl") if word == "TLS" else Connection("starttls", starttls_optional=True)
    word = word.upper()
    if word in TENANT_WORDS:
        return Connection(TENANT_WORDS[word])
    # No word, or the ambiguous TLS: what the port speaks (and a warning says so).
    return Connection(port_mode or PORT_MODES.get(port, "starttls"))


def _tenant_change(s: Settings, out: dict[str, str], security: str) -> dict[str, str] | None:
    client = s.client.id if s.client else "generic"
    word = (s.tls_words.scheme or "").removeprefix("protocol:")
    if client != "aiosmtplib":
        word = word.upper()
    if client == "aiosmtplib":
        if security == "plain":
            return None
        # The API stores TLS or SSL; its code reads anything but TLS as use_tls=False, a plain
        # connection that aiosmtplib upgrades with STARTTLS: in its vocabulary that is "SSL".
        wanted = "TLS" if security == "ssl" else "SSL"
        if (word == "TLS") != (security == "ssl"):
            out["security_protocol"] = wanted
    else:
        wanted = {"ssl": "SSL", "starttls": "STARTTLS", "plain": "NONE"}[security]
        if TENANT_WORDS.get(word) != security:
            out["security_protocol"] = wanted
    return out or None


def changes(s: Settings, port: int, security: str) -> dict[str, str] | None:
    """The variable changes that make the app's client connect to ``port`` with
    ``security``, or None when that client cannot be told to (smtplib never
    speaks implicit TLS; a nodemailer service preset fixes port and mode)."""
    client = s.client.id if s.client else "generic"
    family = FAMILY_BY_ID.get(s.family or "")
    if family is None or family.id == "resend":
        return None
    if family.id == "url":
        return _url_change(s, port, security)
    if family.id == "tenant":
        return _tenant_change(s, {s.variable("port"): str(port)} if port != s.port else {}, security)
    words = s.tls_words
    port_var = s.variable("port")
    out: dict[str, str] = {port_var: str(port)} if port != s.port else {}
    ssl_var = pick(family.ssl_flags, s.tls_variables)
    tls_var = pick(family.starttls_flags, s.tls_variables)
    match client:
        case "smtplib":
            if security == "ssl" or tls_var is None:
                return None
            want = security == "starttls"
            if bool(words.starttls) != want:
                out[tls_var] = _bool(want)
        case "smtplib-ssl":
            if security != "ssl":
                return None
        case "flask-mail" | "django" | "aiosmtplib":
            if ssl_var is None:
                return None
            if security == "ssl":
                out |= {ssl_var: "true"} if not words.ssl else {}
                out |= {tls_var: "false"} if tls_var and words.starttls else {}
            elif security == "starttls":
                out |= {ssl_var: "false"} if words.ssl else {}
                if client != "aiosmtplib" and tls_var and not words.starttls:
                    out[tls_var] = "true"
                elif client != "aiosmtplib" and not tls_var:
                    return None
            else:
                out |= {v: "false" for v, on in ((ssl_var, words.ssl), (tls_var, words.starttls))
                        if v and on}
        case "laravel":
            if security == "plain" or (security == "starttls" and port == 465):
                return None
            if security == "ssl" and port != 465 and words.scheme != "smtps":
                out["MAIL_SCHEME"] = "smtps"
            elif security == "starttls" and words.scheme == "smtps":
                out["MAIL_SCHEME"] = "smtp"
        case "nodemailer":
            if "host" not in s.origins_from_variables() or ssl_var is None or security == "plain":
                return None  # a service preset decides the port and mode
            secure_now = bool(words.ssl) or (words.ssl is None and port == 465)
            if (security == "ssl") != secure_now:
                out[ssl_var] = _bool(security == "ssl")
        case _:
            return _generic_change(s, out, security, ssl_var, tls_var)
    return in_app_terms(s, out)


def in_app_terms(s: Settings, out: dict[str, str]) -> dict[str, str] | None:
    """``out`` (known names) in the app's own variables and in values its code reads the way
    the change means (``MAIL_USE_TLS=true``, never ``yes``, for code that accepts only
    true/on/1); None when no value of those variables does it."""
    named = s.app_names(out)
    code = s.app_code
    if not named or code is None or not code.readings:
        return named or None
    if any(k in code.ignored for k in named):
        return None  # the app's code never reads it
    from smtpdoctor.config.appcode.evaluate import encode

    return encode(code, s.code_env, named)


def _generic_change(s: Settings, out: dict[str, str], security: str, ssl_var: str | None,
                    tls_var: str | None) -> dict[str, str] | None:
    family = FAMILY_BY_ID[s.family or ""]
    words = s.tls_words
    port = int(out.get(s.variable("port"), s.port or 0))
    if family.id == "default-email" or not (ssl_var or tls_var):
        # No TLS variable to set: only a port whose convention is the mode helps.
        return in_app_terms(s, out) if PORT_MODES.get(port) == security else None
    if not words.said and out and PORT_MODES.get(port) == security:
        # No TLS variable in the user's settings, and the port alone gives the mode (465 is
        # implicit TLS, 587 STARTTLS): the smallest change is the port; a new key is added only
        # when no change to the keys the user has would do.
        return in_app_terms(s, out)
    if security == "ssl" and ssl_var:
        out |= {ssl_var: "true"} if not words.ssl else {}
        out |= {tls_var: "false"} if tls_var and words.starttls else {}
    elif security == "starttls":
        out |= {ssl_var: "false"} if ssl_var and words.ssl else {}
        if tls_var and not words.starttls and (tls_var in s.tls_variables or not out):
            out[tls_var] = "true"
    return in_app_terms(s, out)


def _url_change(s: Settings, port: int, security: str) -> dict[str, str] | None:
    scheme = MODE_SCHEMES[security]
    origin = s.origins.get("host")
    name = origin.variable if origin and origin.variable in URL_KEYS else URL_KEYS[0]
    user = f"{s.username}:{MASK}@" if s.username else ""
    return {name or URL_KEYS[0]: f"{scheme}://{user}{s.host}:{port}"}


# The password's place in a URL fix; put back only when a trial run loads it.
MASK = "****"


def _bool(value: bool) -> str:
    return "true" if value else "false"
