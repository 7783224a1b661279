"""``smtpdoctor explain CODE``: the matches ``classify.explain`` found, as text and JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from smtpdoctor.catalog import code_for, phrase
from smtpdoctor.classify import Match
from smtpdoctor.providers import Provider
from smtpdoctor.views.console import wrap
from smtpdoctor.views.words import Text, render

if TYPE_CHECKING:
    from smtpdoctor.config.values import Settings

VARIABLE_NAMES = ("host_var", "port_var", "user_var", "password_var", "sender_var")
# Words for explain when no settings are at hand: generic SMTP_* variable names.
EXPLAIN_CONTEXT = {
    "en": {"host_var": "SMTP_HOST", "port_var": "SMTP_PORT", "user_var": "SMTP_USER",
           "password_var": "SMTP_PASSWORD", "sender_var": "SMTP_FROM", "username": "the login",
           "sender": "the sender", "host": "the server", "provider": "the provider"},
    "zh": {"host_var": "SMTP_HOST", "port_var": "SMTP_PORT", "user_var": "SMTP_USER",
           "password_var": "SMTP_PASSWORD", "sender_var": "SMTP_FROM", "username": "登录账号",
           "sender": "发件人", "host": "该服务器", "provider": "服务商"},
}


def explain_text(match: Match, lang: str, settings: Settings | None = None,
                 provider: Provider | None = None) -> Text:
    """A match's text; with the user's settings, in the user's own variables."""
    params: dict[str, str] = {} if settings is not None else dict(EXPLAIN_CONTEXT[lang])
    if settings is None and match.provider is not None:
        del params["provider"]
    unset = ({k for k in ("host", "port", "username", "sender") if not getattr(settings, k)}
             if settings is not None else set())
    if unset:
        # A value the .env does not set is said in words ("the login"), never as a blank: "Set
        # SMTP_FROM=" is no fix; and the reason's general wording is used where it has one.
        params |= {k: EXPLAIN_CONTEXT[lang][k] for k in unset if k in EXPLAIN_CONTEXT[lang]}
    params |= match.params
    # The instance's own message when the pasted text gave what it needs (the
    # host of an ENOTFOUND), else the reason's general wording.
    known = match.provider or provider
    given = {*match.params, *VARIABLE_NAMES,
             *(("provider", "credential_url", "help_url") if known else ())}
    if settings is not None:
        given |= {"host", "port", "username", "sender"} - unset
    return render(match.reason, params, settings, match.provider or provider, lang,
                  explaining=frozenset(given), receiver=match.provider)


def explain_lines(matches: Sequence[Match], lang: str, width: int,
                  settings: Settings | None = None, provider: Provider | None = None,
                  query: str = "") -> list[str]:
    """What `smtpdoctor explain` prints: for a whole bounce, the replies read in it; per match,
    its code and reason, the meaning, and the fix, wrapped at ``width`` with their indentation kept."""
    from smtpdoctor.bounce import is_bounce, replies

    lines: list[str] = []
    for reply in replies(query) if is_bounce(query) else ():
        lines += wrap(phrase("explain.in_the_bounce", lang, reply=reply), width, "", "  ")
    # Providers whose entry says the same (NetEase 163, 126 and yeah.net on DT:SPM): one entry.
    entries: dict[tuple[str, str, str], list[Match]] = {}
    for match in matches:
        text = explain_text(match, lang, settings, provider)
        entries.setdefault((match.reason, text.message, text.remedy), []).append(match)
    for (reason, message, remedy), same in entries.items():
        title = f"{code_for(reason).value} {reason}"
        names = [m.provider.display_name(lang) for m in same if m.provider]
        if names:
            title += phrase("explain.provider", lang, provider=" / ".join(names))
        lines.append(title)
        lines += wrap(message, width, "  ", "  ")
        lines += wrap(remedy, width, "  → ", "    ")
    if settings is None:
        lines += wrap(phrase("explain.generic_names", lang), width, "", "")
    return lines


def explain_document(query: str, matches: Sequence[Match], lang: str, settings: Settings | None = None,
                     provider: Provider | None = None) -> dict[str, Any]:
    """`smtpdoctor explain --json`."""
    from smtpdoctor.bounce import is_bounce, replies

    return {"schema": 1, "query": query, "replies": replies(query) if is_bounce(query) else [], "matches": [
        {"reason": m.reason, "code": code_for(m.reason).value,
         "provider": m.provider.id if m.provider else None,
         **explain_text(m, lang, settings, provider)._asdict()}
        for m in matches
    ]}
