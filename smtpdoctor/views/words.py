"""Messages and remedies: ``reasons.toml`` plus provider overrides, in en or zh."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, NamedTuple

from smtpdoctor.basics import printable
from smtpdoctor.catalog import PHRASE_MARK, Blank, catalog, join_text, phrase, phrases, placeholders, tidy
from smtpdoctor.config.families import PASSWORD_KEYS

if TYPE_CHECKING:
    from smtpdoctor.config.values import ClientChoice, CodeReading, Origin, Settings
    from smtpdoctor.model import ProbeResult
    from smtpdoctor.outcomes import FixSearch
    from smtpdoctor.providers import Provider

MODE_NAMES = {
    "en": {"ssl": "implicit TLS (SSL)", "starttls": "STARTTLS", "plain": "no TLS"},
    "zh": {"ssl": "SSL（隐式 TLS）", "starttls": "STARTTLS", "plain": "不加密"},
}
MODE_PARAMS = ("configured", "expected", "actual", "security", "alt_mode")


class Text(NamedTuple):
    message: str
    remedy: str



def said_text(key: str, params: Mapping[str, str], lang: str) -> str:
    """A probe summary in ``lang``: § params name phrases, protocol steps are translated."""
    table = phrases()
    values = dict(params)
    for name, value in params.items():
        if value.startswith(PHRASE_MARK):
            values[name] = phrase(value[1:], lang, **params)
        elif name == "step" and f"step.{value}" in table:
            values[name] = table[f"step.{value}"][lang]
    return printable(phrase(key, lang, **values))


def summary_in(probe: ProbeResult, lang: str) -> str:
    """What a probe says, in ``lang`` (results made before the catalogue keep their text)."""
    if not probe.summary_key:
        return ""
    return said_text(probe.summary_key, probe.summary_params, lang)


def context(settings: Settings | None, provider: Provider | None, lang: str) -> dict[str, str]:
    """The values every template may use: the user's settings and variable names."""
    out: dict[str, str] = {}
    if settings is not None:
        out |= {
            "host": settings.host or "",
            "port": str(settings.port or ""),
            "security": settings.security or "",
            "username": settings.username or "",
            "sender": settings.sender or "",
            "host_var": settings.variable("host"),
            "port_var": settings.variable("port"),
            "user_var": settings.variable("username"),
            "password_var": settings.variable("password"),
            "sender_var": settings.variable("sender"),
            # Where the app's OAuth2 variables go: beside its password variable.
            "oauth_prefix": _oauth_prefix(settings),
        }
    if provider is not None:
        out |= {
            "provider": provider.display_name(lang),
            "credential_url": provider.credential_url or "",
            "help_url": provider.help_url or provider.credential_url or "",
        }
    return out


def _oauth_prefix(settings: Settings) -> str:
    if settings.oauth2 is not None:
        return settings.oauth2.variable("X").removesuffix("OAUTH2_X")
    from smtpdoctor.config.oauth import PREFIXES

    password_var = settings.variable("password")
    return next((p for p in PREFIXES if password_var.startswith(p)), "SMTP_")


def render(
    reason: str,
    params: Mapping[str, str],
    settings: Settings | None,
    provider: Provider | None,
    lang: str,
    *,
    explaining: frozenset[str] | None = None,
    receiver: Provider | None = None,
) -> Text:
    """The message and remedy of ``reason``. ``explaining``: for `explain`,
    the names it has values for; a text that needs others takes the reason's
    general wording (``explain``, ``explain_remedy``) instead. ``receiver``: the provider
    whose reply it is by its own code or words (Gmail refusing what SendGrid relayed): only its
    dated rules are named, never the settings' provider's for another server's reply."""
    entry = catalog()[reason][lang]

    def general(key: str, template: str) -> bool:
        return explaining is not None and key in entry and not placeholders(template) <= explaining

    values = _filled_values(reason, params, settings, provider, lang)
    remedy_template = _remedy_template(reason, entry, values, settings, provider, lang, general)
    general_message = general("explain", entry["message"])
    message_template = entry["explain"] if general_message else entry["message"]
    message = message_template.format_map(values).strip()
    if general_message and re.match(r"[a-z]+ ", message):
        # "the provider …" opens a sentence; "security_protocol=TLS …" is a name and stays.
        message = message[:1].upper() + message[1:]
    remedy = remedy_template.format_map(values)
    if values.get("fix") and "{fix}" not in remedy_template:
        # What the fix engine tried for a reason whose advice does not name a fix (a mail domain
        # as the host): said after the advice, never instead of it.
        remedy = join_text(remedy, values["fix"])
    # A fix that found nothing ends with the reason's own advice.
    remedy = remedy.replace("{nofix}", entry.get("nofix", "").format_map(values)).strip()
    if values.get("mx_provider"):
        # A host lookup that failed on a mail domain: the generic advice ("use smtp.<domain>")
        # is the wrong one; the provider, and what was verified or tried with its host, is it.
        mail_domain = phrase("fix.mail_domain", lang, host=values.get("mail_domain", ""),
                             provider=values["mx_provider"], suggestion=values.get("suggestion", ""))
        remedy = join_text(mail_domain, values.get("fix", "") if reason.startswith("dns.") else remedy)
    link = values.get("credential_url") if reason.startswith("auth.") else ""
    if link and link not in remedy:
        remedy += f"（{link}）" if lang == "zh" else f" ({link})"
    rule = rule_in_force(reason, receiver, lang)
    if rule:
        message = join_text(message, rule)
    return Text(tidy(message, lang), tidy(remedy, lang))


def rule_in_force(reason: str, provider: Provider | None, lang: str) -> str:
    """The provider's dated change that brings ``reason`` and whose date has come (Gmail's
    sender rules for a 5.7.26), said with its date and source; "" when there is none. Counted
    from today's date (config.lint.today), never from a date written into a message."""
    if provider is None:
        return ""
    from smtpdoctor.config.lint import today

    now = today()
    for change in provider.changes:
        if reason in change.brings and change.days_left(now) <= 0:
            said = phrase(change.what, lang, date=change.date.isoformat())
            days = -change.days_left(now)
            key = {0: "change.in_force_today", 1: "change.in_force_one"}.get(days, "change.in_force")
            return phrase(key, lang, change=said, days=f"{days:,}", url=change.source,
                          read=change.read.isoformat())
    return ""


def _filled_values(reason: str, params: Mapping[str, str], settings: Settings | None,
                   provider: Provider | None, lang: str) -> Blank:
    """What the templates are filled with: the settings' words, then the parameters, each in
    ``lang`` (NAME_zh fills NAME in Chinese, § names a phrase, modes by their names)."""
    values = Blank(context(settings, provider, lang))
    # Where a change gets verified: `check` (said in `config`), or the checks below (said in a
    # run that makes them: the runner passes §check_tries.check).
    values["check_tries"] = phrase("check_tries.config", lang)
    values.update(params)
    if reason.startswith("domain.") and not values.get("provider"):
        # A sending domain whose provider smtpdoctor does not know: "your provider", never a hole.
        values["provider"] = phrase("provider.yours", lang)
    suffix = f"_{lang}"
    for key, value in params.items():
        if key.endswith(suffix):
            values[key[: -len(suffix)]] = value
    marked = {key: value[1:] for key, value in params.items() if value.startswith(PHRASE_MARK)}
    for _ in range(2 if len(marked) > 1 else 1):  # a phrase may hold another (a reach, its how)
        for key, name in marked.items():  # a phrase, filled like the template around it
            values[key] = phrase(name, lang, **values)
    if not values.get("mx_provider") and values.get("suggestion") and reason.startswith("dns."):
        values["suggestion_text"] = phrase("fix.suggest_host", lang, suggestion=values["suggestion"],
                                           host_var=values.get("host_var") or "SMTP_HOST")
    names = MODE_NAMES[lang]
    for key in MODE_PARAMS:
        if values.get(key) in names:
            values[key] = names[values[key]]
    return values


def _remedy_template(reason: str, entry: Mapping[str, str], values: Mapping[str, str],
                     settings: Settings | None, provider: Provider | None, lang: str,
                     general: Callable[[str, str], bool]) -> str:
    """Which remedy text applies: a row's, `explain`'s general one, the no-fix one, the
    provider's own, or the verified fix alone."""
    template = entry["remedy"]
    if settings is not None and settings.from_row and "remedy_row" in entry:
        template = entry["remedy_row"]  # an account's row: no .env, no --host to pass
    if general("explain_remedy", template):
        template = entry["explain_remedy"]
    if "{fix}" in template and "fix" not in values:
        # No fix engine ran (explain, or a step it does not cover): say what to check.
        template = entry.get("nofix", template.replace("{fix}", ""))
    if provider is not None and reason in provider.remedies:
        template = provider.remedies[reason][lang]
    if values.get("fix_verified") and "{fix}" not in template:
        template = "{fix}"  # a verified fix replaces the general advice
    return template


def origin_text(origin: Origin, lang: str = "en") -> str:
    """Where a value came from: ``MAIL_SERVER (.env)``, ``--port (option)``…"""
    variable = origin.variable
    if origin.word:
        variable = phrase(f"origin.word.{origin.word}", lang, value=origin.variable)
    return phrase(f"origin.{origin.source.value}", lang, variable=variable, file=origin.file or "")


# A password's code is never shown: it may hold a literal password (`… or 'hunter2'`).


def code_source(reading: CodeReading) -> str:
    """The code that computes a setting, as written; a password's is left out."""
    return "…" if reading.key in PASSWORD_KEYS else reading.source


def client_name(choice: ClientChoice | None, lang: str) -> str:
    if choice is None:
        return ""
    return phrase("client.generic", lang) if choice.id == "generic" else choice.name


def client_source(choice: ClientChoice, lang: str) -> str:
    """Where the choice came from: a file or an option as written; the family in words."""
    return phrase("field.family", lang) if choice.source == "family" else choice.source


def client_why(choice: ClientChoice, lang: str = "en") -> str:
    return phrase(choice.reason, lang, **dict(choice.facts)) if choice.reason else ""


def changes_text(changes: Mapping[str, str]) -> str:
    """``SMTP_PORT=465, SMTP_SECURE=true``: a fix as the lines to write."""
    # An option's value came from the command line: the change is to run with it.
    return ", ".join(f"{k} {v}" if k.startswith("--") else f"{k}={v}" for k, v in changes.items())


def fix_text(search: FixSearch, client: ClientChoice | None, lang: str) -> str:
    """What the fix engine verified (the change, the port and mode, what the login did), or
    what it tried and why each failed, in ``lang``."""
    if search.verified:
        best = search.verified[0]
        login = phrase(f"fix.login_{best.login}", lang) if best.login else ""
        if best.host:
            text = phrase("fix.verified_host", lang, changes=changes_text(best.changes), host=best.host,
                          login=login)
        elif best.port:
            text = phrase("fix.verified_port", lang, changes=changes_text(best.changes), port=best.port,
                          mode=phrase(f"mode.{best.mode}", lang), login=login)
        else:
            text = phrase("fix.verified_sender", lang, changes=changes_text(best.changes))
        for other in search.verified[1:]:
            text += phrase("fix.also", lang, changes=changes_text(other.changes))
        return text
    name = client_name(client, lang)

    def what(key: str, params: Mapping[str, str]) -> str:
        filled = {k: phrase(v[1:], lang) if v.startswith(PHRASE_MARK) else v for k, v in params.items()}
        return phrase(key, lang, client=name, **filled)

    items = [phrase("fix.tried_item", lang, port=t.where, what=what(t.what, t.params)) if t.where
             else what(t.what, t.params) for t in search.tried]
    tried = phrase("fix.tried", lang, items=", ".join(items) if lang == "en" else "、".join(items)) \
        if items else ""
    return phrase("fix.none", lang, client=name, tried=tried, hint="{nofix}")
