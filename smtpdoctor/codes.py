"""The names the command line needs before anything else is imported: exit
codes, probe order, client ids. Kept free of heavier modules so that
`smtpdoctor --help` starts at the cost of click alone."""

from __future__ import annotations

from enum import IntEnum

# The one place of the version: --version, X-Mailer and the wheel (hatch reads it here).
__version__ = "0.1.0"


class ExitCode(IntEnum):
    """Process exit statuses; the first three are a contract (DESIGN.md)."""

    OK = 0
    PROBE_FAILED = 1
    CONFIG_ERROR = 2
    INTERNAL_ERROR = 3  # a bug in smtpdoctor, never a verdict on the settings


PROBE_ORDER = ("dns", "tcp", "tls", "smtp", "auth", "envelope")
SEND_PROBE_ORDER = (*PROBE_ORDER, "send")
# Every --client value but auto. ``generic`` is what smtpdoctor assumes when
# neither a manifest nor the family names a client: the settings' own words.
CLIENT_IDS = ("smtplib", "smtplib-ssl", "flask-mail", "django", "laravel", "nodemailer",
              "aiosmtplib", "generic")
