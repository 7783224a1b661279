"""Findings about the values themselves, whatever the family: the dotenv file's own
problems, near-miss variable names, quoting, whitespace and characters that do not belong."""

from __future__ import annotations

from collections.abc import Mapping

from smtpdoctor.config.dotenv_file import DotenvFile
from smtpdoctor.config.families import KNOWN_KEYS, MAIL_PREFIXES
from smtpdoctor.config.reading import Add, Partial
from smtpdoctor.config.values import Origin, RawValue, Source
from smtpdoctor.model import Severity


def dotenv_findings(dotenv: DotenvFile, add: Add) -> None:
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
    if dotenv.others_can_read and _holds_secret(dotenv.values):
        add(Severity.WARNING, "config.dotenv_permissions", file=dotenv.shown_path)
    if dotenv.tracked_by_git:
        add(Severity.WARNING, "config.dotenv_tracked", file=dotenv.shown_path)



def _close_matches(name: str, known: list[str]) -> list[str]:
    import difflib  # only for a mail-prefixed name no family knows

    return difflib.get_close_matches(name, known, n=1, cutoff=0.75)


def typo_findings(
    merged: Mapping[str, RawValue], dotenv: DotenvFile | None, primary: Partial | None, add: Add
) -> None:
    known = sorted(KNOWN_KEYS)
    for name, raw in merged.items():
        if name in KNOWN_KEYS or not name.startswith(MAIL_PREFIXES) or "_OAUTH2_" in name:
            continue
        # A cut-short name is the likeliest typo (MAIL_USER → MAIL_USERNAME); otherwise the
        # closest spelling with the same prefix (MAIL_USER is not EMAIL_USER).
        prefix = name.split("_", 1)[0] + "_"
        same_prefix = [k for k in known if k.startswith(prefix)] or known
        match = [k for k in same_prefix if k.startswith(name)][:1] or _close_matches(name, same_prefix)
        if not match or match[0] in merged:
            continue
        from_file = raw.origin.source is Source.DOTENV
        # The process environment holds many unrelated variables: only hint at
        # names the family in use would read.
        if not from_file and not (primary and match[0] in primary.family.variables()):
            continue
        add(Severity.WARNING, "config.key_typo", variable=name, suggestion=match[0],
            where=_where(raw.origin))


def domain_shape(domain: str) -> bool:
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


def hygiene(setting: str, raw: RawValue, add: Add) -> None:
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
    if setting in PLACEHOLDER_SETTINGS and is_placeholder(stripped.strip("\"'")):
        # An example's value left in: never a server to ask, nor a login to try. The password's
        # is not shown, even a placeholder.
        shown = "§placeholder.password" if setting == "password" else stripped
        add(Severity.ERROR, "config.placeholder", variable=raw.name, where=where, shown=shown)


PLACEHOLDER_SETTINGS = frozenset({"host", "username", "password", "sender"})
# What .env.example files and setup guides put where a real value goes (the seeds' guides among
# them): "your_email@qq.com", "your_app_password", "your_company_smtp_server", "xxx@qq.com".
PLACEHOLDER_WORDS = ("your", "yours", "你的", "xxx", "xxxx", "changeme", "change_me", "placeholder", "todo")
PLACEHOLDER_DOMAINS = ("yourdomain.com", "your-domain.com", "yourcompany.com", "domain.com")


def is_placeholder(value: str) -> bool:
    """A value an example left in: it opens with "your"/"xxx"…, sits in <angle brackets>, or
    names a made-up domain (yourdomain.com). RFC 2606's example.com is not among them yet: it is
    also what loopback test setups use."""
    import re

    text = value.strip().lower()
    if not text:
        return False
    if text.startswith("<") and text.endswith(">"):
        return True
    first = re.split(r"[_\-.@\s]", text, maxsplit=1)[0]
    if first in PLACEHOLDER_WORDS or text.startswith("你的"):
        return True
    domain = text.rpartition("@")[2] if "@" in text else text
    return any(domain == d or domain.endswith(f".{d}") for d in PLACEHOLDER_DOMAINS)


SECRET_NAME = ("PASS", "SECRET", "TOKEN", "KEY", "CREDENTIAL")


def _holds_secret(values: Mapping[str, str]) -> bool:
    """A variable whose name says it is a secret, with a value (the permissions finding says
    "holds a password")."""
    return any(value and any(word in name.upper() for word in SECRET_NAME) for name, value in values.items())
