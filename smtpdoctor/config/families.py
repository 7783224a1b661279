"""How frameworks name their mail settings, and how to phrase a change in
each family's own variables (``MAIL_USE_SSL=true``, ``MAIL_ENCRYPTION=tls``…)."""

from __future__ import annotations

from typing import NamedTuple


class Family(NamedTuple):
    """One convention for naming mail settings (Flask-Mail, Django, …)."""

    id: str
    name: str
    host: tuple[str, ...] = ()
    port: tuple[str, ...] = ()
    user: tuple[str, ...] = ()
    password: tuple[str, ...] = ()
    sender: tuple[str, ...] = ()
    ssl_flags: tuple[str, ...] = ()
    starttls_flags: tuple[str, ...] = ()
    # Keys that only this family uses: their presence selects it.
    markers: tuple[str, ...] = ()
    # The name in Chinese, where it has words to translate ("generic").
    name_zh: str | None = None
    # The port the app uses when none is set, and what it speaks with no TLS
    # flags: Flask-Mail and Django connect without TLS unless told otherwise.
    default_port: int | None = None
    unset_tls: str | None = None

    def variables(self) -> tuple[str, ...]:
        return (
            *self.host, *self.port, *self.user, *self.password, *self.sender,
            *self.ssl_flags, *self.starttls_flags, *self.markers,
        )


URL_KEYS = ("SMTP_URL", "MAIL_URL", "EMAIL_URL")
# A URL's scheme in its spellings → the scheme it means; each meant scheme's TLS mode and
# default port; and the scheme a fix writes for a mode. One table for reading and writing.
URL_SCHEMES = {"smtps": "smtps", "smtp+ssl": "smtps", "smtp+tls": "smtp+tls", "smtp+starttls": "smtp+tls",
               "smtp": "smtp"}
SCHEME_PORTS = {"smtps": 465, "smtp+tls": 587, "smtp": 25}
MODE_SCHEMES = {"ssl": "smtps", "starttls": "smtp+tls", "plain": "smtp"}
FAMILIES: tuple[Family, ...] = (
    Family("url", "URL", host=URL_KEYS, sender=("SMTP_FROM", "MAIL_FROM", "EMAIL_FROM"),
           markers=URL_KEYS),
    Family("resend", "Resend", password=("RESEND_API_KEY",), sender=("FROM_EMAIL",),
           markers=("RESEND_API_KEY",)),
    # nodemailer apps name a `service` (EMAIL_PROVIDER), or give EMAIL_HOST and
    # EMAIL_SECURE themselves; EMAIL_USER/EMAIL_PASS are theirs, not Django's.
    Family("nodemailer", "nodemailer", host=("EMAIL_HOST",), port=("EMAIL_PORT",),
           user=("EMAIL_USER",), password=("EMAIL_PASSWORD", "EMAIL_PASS"), sender=("EMAIL_FROM",),
           ssl_flags=("EMAIL_SECURE",),
           markers=("EMAIL_PROVIDER", "EMAIL_SERVICE", "EMAIL_USER", "EMAIL_PASS", "EMAIL_PASSWORD",
                    "EMAIL_SECURE", "EMAIL_FROM")),
    # The multi-tenant table's columns (seed 004): one row per tenant's account, read with
    # --accounts. security_protocol is SSL, STARTTLS, NONE, or TLS (which depends on the client).
    Family("tenant", "multi-tenant fields", host=("smtp_host",), port=("smtp_port",),
           user=("smtp_username",), password=("smtp_password",), sender=("from_email",),
           # Any field of the tenant table marks it: a row missing its host is still that table's.
           markers=("smtp_host", "smtp_port", "smtp_username", "smtp_password", "security_protocol",
                    "from_email", "tenant_id", "setting_name")),
    Family("default-email", "account-style", host=("SMTP_HOST",), port=("SMTP_PORT",),
           user=("DEFAULT_EMAIL_ACCOUNT",), password=("DEFAULT_EMAIL_PASSWORD",),
           sender=("FROM_EMAIL",), markers=("DEFAULT_EMAIL_ACCOUNT", "DEFAULT_EMAIL_PASSWORD")),
    Family("smtp", "generic SMTP_*", name_zh="通用 SMTP_*",
           host=("SMTP_HOST", "SMTP_SERVER"), port=("SMTP_PORT",),
           user=("SMTP_USER", "SMTP_USERNAME"), password=("SMTP_PASSWORD", "SMTP_PASS"),
           sender=("SMTP_FROM",), ssl_flags=("SMTP_SECURE", "SMTP_SSL", "SMTP_USE_SSL"),
           starttls_flags=("SMTP_TLS", "SMTP_USE_TLS")),
    Family("flask-mail", "Flask-Mail", host=("MAIL_SERVER",), port=("MAIL_PORT",),
           user=("MAIL_USERNAME",), password=("MAIL_PASSWORD",), sender=("MAIL_DEFAULT_SENDER",),
           ssl_flags=("MAIL_USE_SSL",), starttls_flags=("MAIL_USE_TLS",),
           markers=("MAIL_SERVER", "MAIL_USE_SSL", "MAIL_USE_TLS", "MAIL_DEFAULT_SENDER"),
           default_port=25, unset_tls="plain"),
    Family("laravel", "Laravel", host=("MAIL_HOST",), port=("MAIL_PORT",),
           user=("MAIL_USERNAME",), password=("MAIL_PASSWORD",), sender=("MAIL_FROM_ADDRESS",),
           markers=("MAIL_HOST", "MAIL_ENCRYPTION", "MAIL_SCHEME", "MAIL_FROM_ADDRESS",
                    "MAIL_MAILER")),
    Family("django", "Django", host=("EMAIL_HOST",), port=("EMAIL_PORT",),
           user=("EMAIL_HOST_USER",), password=("EMAIL_HOST_PASSWORD",),
           sender=("DEFAULT_FROM_EMAIL",), ssl_flags=("EMAIL_USE_SSL",),
           starttls_flags=("EMAIL_USE_TLS",), default_port=25, unset_tls="plain"),
)
FAMILY_BY_ID = {f.id: f for f in FAMILIES}
LARAVEL_TLS_KEYS = ("MAIL_SCHEME", "MAIL_ENCRYPTION")
KNOWN_KEYS = (frozenset(k for f in FAMILIES for k in f.variables()) | set(LARAVEL_TLS_KEYS)
              | {"security_protocol"})
# The keys that hold a secret: their values, and the code that computes them, are never shown.
PASSWORD_KEYS = frozenset(k for f in FAMILIES for k in f.password)
# Prefixes of keys that are mail settings; other unknown keys are none of our business.
MAIL_PREFIXES = ("SMTP_", "MAIL_", "EMAIL_", "DEFAULT_EMAIL_", "RESEND_")


def pick(names: tuple[str, ...], present: tuple[str, ...]) -> str | None:
    return next((n for n in names if n in present), names[0] if names else None)


def port_for(security: str) -> int:
    return 465 if security == "ssl" else 587
