"""The settings as values: what was read, from where, and for which client. Plain frozen
data on the ground of the house, so a Report can carry them and every wing can read them;
reading and resolving them is ``config.settings``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

from smtpdoctor.config.families import FAMILY_BY_ID, URL_KEYS
from smtpdoctor.secret import Secret

# The values are NamedTuples, not frozen dataclasses: as immutable, read by attribute alike, and
# without the generated-code cost (about 1.5 ms a class on Python 3.11, paid by every command
# that reads settings, before it reads any).
CLIENT_NAMES = {
    "smtplib": "Python smtplib.SMTP()",
    "smtplib-ssl": "Python smtplib.SMTP_SSL()",
    "flask-mail": "Flask-Mail",
    "django": "Django",
    "laravel": "Laravel (Symfony Mailer)",
    "nodemailer": "nodemailer",
    "aiosmtplib": "aiosmtplib",
    "generic": "generic (the settings' own TLS words)",
}


class ClientChoice(NamedTuple):
    """Which client was chosen, from where (``--client``, ``pyproject.toml``,
    ``requirements.txt``, ``family``…), and why: a "why.*" phrase and what fills it."""

    id: str
    source: str
    reason: str = ""
    facts: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        return CLIENT_NAMES[self.id]

    @property
    def param(self) -> str:
        """The name as a finding's parameter: shown in the report's language."""
        return "§client.generic" if self.id == "generic" else self.name



class TlsWords(NamedTuple):
    """What the user's variables say about TLS, before any client reads them.
    ``None``: not said. ``scheme``: ``smtps``, ``smtp+tls``, ``smtp`` (URL or
    Laravel's MAIL_SCHEME)."""

    ssl: bool | None = None
    starttls: bool | None = None
    scheme: str | None = None

    @property
    def said(self) -> bool:
        return self.ssl is not None or self.starttls is not None or self.scheme is not None


class Connection(NamedTuple):
    """What the client will do: ``security`` is ssl, starttls or plain;
    ``starttls_optional`` means STARTTLS only when the server offers it."""

    security: str
    starttls_optional: bool = False


class OAuth2(NamedTuple):
    """An OAuth2 login as the app configures it. ``variables`` maps each role
    (``REFRESH_TOKEN``…) to the variable it was read from."""

    access_token: Secret | None = None
    client_id: str | None = None
    client_secret: Secret | None = None
    refresh_token: Secret | None = None
    tenant: str | None = None
    token_url: str | None = None
    scope: str | None = None
    variables: Mapping[str, str] = MappingProxyType({})

    @property
    def refresh_flow(self) -> bool:
        return self.refresh_token is not None

    def variable(self, role: str) -> str:
        """The variable to name in a fix, given or not: ``MAIL_OAUTH2_CLIENT_ID``."""
        if role in self.variables:
            return self.variables[role]
        prefix = next(iter(self.variables.values()), "SMTP_OAUTH2_X").split("OAUTH2_")[0]
        return f"{prefix}OAUTH2_{role}"

    def secrets(self) -> list[str]:
        return [s.reveal() for s in (self.access_token, self.client_secret, self.refresh_token) if s]


class Source(StrEnum):
    DOTENV = "dotenv"
    ENVIRONMENT = "environment"
    OPTION = "option"
    PROVIDER = "provider"
    DEFAULT = "default"
    DERIVED = "derived"
    APP_DEFAULT = "app default"
    APP_CODE = "app code"  # the value the app's own config code computes (config.py:14)
    TRIAL = "trial"  # a change smtpdoctor tries on the wire, never the user's
    ROW = "row"  # an --accounts row or the Python API's mapping: no .env, no environment


class Origin(NamedTuple):
    """Where a value came from: ``MAIL_SERVER (.env)``, ``--port (option)``…"""

    source: Source
    variable: str | None = None
    file: str | None = None
    # What a derived value came from when it is not a variable: "port" (465), "security" (ssl).
    word: str | None = None


class RawValue(NamedTuple):
    name: str
    value: str
    origin: Origin


class Options(NamedTuple):
    """Command-line overrides; ``port`` stays text so a bad value is a finding."""

    host: str | None = None
    port: str | None = None
    user: str | None = None
    sender: str | None = None
    security: str | None = None
    provider: str | None = None


class CodeRaises(Exception):
    """The app's own code raises while reading a value (``int('abc')``, ``os.environ[K]``
    with K unset): the app fails before it sends."""


class CodeReading(NamedTuple):
    """How the app's own code turns its environment into one setting its client reads.

    ``key`` is the known name the setting stands for (``MAIL_USE_TLS``, ``EMAIL_SECURE`` for
    nodemailer's ``secure``); ``variables`` the environment variables the code reads for it;
    ``source`` the code as written, at ``file:line``; ``language`` decides truthiness (an
    ``'false'`` string is true in Python and JavaScript, false in PHP). ``evaluate(env)``
    gives the value (str, int, bool…) or None, and raises CodeRaises where the app would."""

    key: str
    variables: tuple[str, ...]
    source: str
    file: str
    line: int
    language: str
    evaluate: Callable[[Mapping[str, str]], object]

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


class CodeNote(NamedTuple):
    """Code that reads a mail setting in a way smtpdoctor does not follow: said once, as
    information, and never allowed to change a verdict."""

    file: str
    line: int
    key: str
    source: str


class AppCode(NamedTuple):
    """What the app's mail-configuration code says, read and never run: a reading per
    setting, the variables the code never reads (so the app ignores them), what it does not
    follow, and the bound it was read within."""

    readings: Mapping[str, CodeReading] = MappingProxyType({})
    ignored: Mapping[str, str] = MappingProxyType({})  # variable → the file that sets the others
    notes: tuple[CodeNote, ...] = ()
    files: tuple[str, ...] = ()  # the files a reading came from
    scanned: int = 0  # files looked at within the bound
    bytes_read: int = 0
    skipped: tuple[str, ...] = ()  # languages present but not read ("javascript": no parser)


class AppProfile(NamedTuple):
    """What the app folder says about the code: its client, the defaults the
    code applies itself, and its own names for the known variables
    (known name → the app's name)."""

    client: ClientChoice | None = None
    defaults: Mapping[str, str] = MappingProxyType({})
    names: Mapping[str, str] = MappingProxyType({})
    file: str | None = None
    code: AppCode | None = None


class Settings(NamedTuple):
    host: str | None = None
    port: int | None = None
    security: str | None = None
    username: str | None = None
    password: Secret | None = None
    sender: str | None = None
    family: str | None = None
    provider_id: str | None = None
    origins: Mapping[str, Origin] = MappingProxyType({})
    # The TLS flag variables the user actually has, and whether any of them
    # (or a URL scheme) said the mode, rather than the port implying it.
    tls_variables: tuple[str, ...] = ()
    security_explicit: bool = False
    tls_words: TlsWords = TlsWords()
    starttls_optional: bool = False
    client: ClientChoice | None = None
    # The app's own names for known variables, from the project file.
    app_variables: Mapping[str, str] = MappingProxyType({})
    # An OAuth2 login the app's client will use instead of the password.
    oauth2: OAuth2 | None = None
    # Read from a mapping (an --accounts row, the Python API), not a .env and the environment:
    # a remedy says "in this account's row", not "in the .env file" or "pass --host".
    from_row: bool = False
    # What the app's own code makes of its variables, and the current values of the variables
    # it reads (never a password's), so a fix can be written in values the code reads right.
    app_code: AppCode | None = None
    code_env: Mapping[str, str] = MappingProxyType({})
    # The dotenv file read, as the user named it (``.env``, ``../.env``), or None; and where
    # smtpdoctor looked for one when none was named.
    dotenv_file: str | None = None
    looked_in: str | None = None

    @property
    def logs_in(self) -> bool:
        """Whether the app's client will log in: a token, or a username and a password."""
        return self.oauth2 is not None or bool(self.username and self.password)

    @property
    def login(self) -> str:
        """``oauth2`` or ``password``: what the auth step sends."""
        return "oauth2" if self.oauth2 is not None else "password"

    def variable(self, setting: str) -> str:
        """The name to tell the user to change for ``setting``: the variable
        the value came from, else the family's usual name, else the option."""
        origin = self.origins.get(setting)
        if origin and origin.source in (Source.DOTENV, Source.ENVIRONMENT, Source.ROW, Source.OPTION,
                                        Source.APP_DEFAULT, Source.TRIAL, Source.APP_CODE):
            return origin.variable or setting
        # With no family recognised, name the generic SMTP_* variables.
        family = FAMILY_BY_ID.get(self.family or "smtp")
        names = {
            "host": family.host if family else (),
            "port": family.port if family else (),
            "username": family.user if family else (),
            "password": family.password if family else (),
            "sender": family.sender if family else (),
        }.get(setting, ())
        if family and family.id == "url" and setting in ("host", "port", "username", "password"):
            # Everything lives in the one URL variable.
            host_origin = self.origins.get("host")
            return (host_origin.variable if host_origin and host_origin.variable in URL_KEYS
                    else URL_KEYS[0]) or URL_KEYS[0]
        option = {"username": "--user", "sender": "--from", "password": "the password variable"}
        return self.app_variables.get(names[0], names[0]) if names else option.get(setting, f"--{setting}")

    def app_names(self, changes: dict[str, str]) -> dict[str, str]:
        """``changes`` with each known variable renamed to the app's own name."""
        return {self.app_variables.get(k, k): v for k, v in changes.items()}

    def origins_from_variables(self) -> set[str]:
        """The settings the user's own variables gave (not defaults or presets)."""
        given = (Source.DOTENV, Source.ENVIRONMENT, Source.ROW)
        return {k for k, o in self.origins.items() if o.source in given
                or (o.source is Source.APP_CODE and o.variable in self.code_env)}
