"""The remedy catalog and provider table are data; these keep them whole."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smtpdoctor.catalog import CJK, LANGS, catalog, phrases, placeholders
from smtpdoctor.model import ErrorCode
from smtpdoctor.providers import load_providers

PACKAGE = Path(__file__).resolve().parent.parent / "smtpdoctor"
# say("tls.failed", …) names a summary phrase ("said.tls.failed"), not a reason.
REASON_LITERAL = re.compile(
    r"(?<!say\()[\"']((?:config|dns|tcp|tls|smtp|auth|envelope|message|internal)\.[a-z0-9_]+)[\"']")
# Everything a template may name: the user's settings (remedies.context) and
# the parameters the code passes.
KNOWN_PLACEHOLDERS = {
    "host", "port", "security", "username", "sender", "provider", "host_var", "port_var", "crashed",
    "silent", "working", "working_family", "prefer", "version", "cipher", "reach", "other_port",
    "cloud", "evidence", "ehlo", "whose", "name_fix", "mesh", "ports", "mesh_fix", "proxy", "target", "term", "why", "kind", "cause",
    "user_var", "password_var", "sender_var", "credential_url", "help_url", "fix", "file",
    "detail", "lines", "line", "variable", "suggestion", "where", "value", "family",
    "other_family", "differences", "ssl_variable", "tls_variable", "configured", "expected",
    "actual", "user_provider", "host_provider", "literal", "length", "recipient",
    "timeout", "suggestion_text", "symptom", "days", "before_tls", "mechanisms", "service",
    "client", "option", "addresses",
    # Certificates the client does not check: what was wrong, how to make the app check.
    "problem", "how", "shown", "resolver_said", "known_provider",
    # OAuth2: the app's variables for each role, the token endpoint's answer.
    "oauth_prefix", "other", "minutes", "scopes", "scope", "url", "status", "error", "refresh_var",
    "client_id_var", "secret_var", "tenant_var", "url_var", "challenge",
    "account", "source",
    # The sending domain.
    "domain", "record", "count", "include", "selectors", "name", "bits", "policy",
    "folder", "seconds", "verdicts", "user", "failing", "advice", "free_provider", "api_verdict",
    # The app's own configuration code.
    "key", "variables", "mailer", "read_as", "languages",
    # What a certificate that failed the check was observed to be.
    "documented", "provider_ports", "change", "offline", "check_tries", "looked", "names", "files", "extra", "library",
    "cert_said", "cert_advice", "names_said", "subject", "issuer", "cert_names", "interceptor",
    # A dated provider change: the way off it, its date, the day its source was read.
    "way_off", "date", "read",
}


def reasons_in_code() -> set[str]:
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        found |= set(REASON_LITERAL.findall(path.read_text(encoding="utf-8")))
    found |= {rule.reason for p in load_providers().providers for rule in p.replies}
    return found


def test_every_reason_the_code_can_report_has_text_in_both_languages():
    missing = reasons_in_code() - set(catalog())
    assert not missing


@pytest.mark.parametrize("reason", sorted(catalog()))
def test_reason_entry_is_complete(reason):
    entry = catalog()[reason]
    assert ErrorCode(entry["code"])
    for lang in LANGS:
        assert entry[lang]["message"].strip() and entry[lang]["remedy"].strip()
        used = set().union(*(placeholders(entry[lang].get(k, "")) for k in ("message", "remedy", "nofix")))
        assert used <= KNOWN_PLACEHOLDERS, used - KNOWN_PLACEHOLDERS
        # A remedy that waits for a verified fix says what to check when none was found.
        assert ("{fix}" in entry[lang]["remedy"]) == ("nofix" in entry[lang]), lang
    assert placeholders(entry["en"]["remedy"]) == placeholders(entry["zh"]["remedy"])
    # An account row's own wording (remedy_row) comes in both languages or neither.
    assert ("remedy_row" in entry["en"]) == ("remedy_row" in entry["zh"])
    assert placeholders(entry["en"].get("remedy_row", "")) == placeholders(entry["zh"].get("remedy_row", ""))


SAID_LITERAL = re.compile(r"say\(\s*[\"']([a-z0-9_.]+)[\"']")


def test_every_summary_the_code_says_is_in_both_languages_with_the_same_placeholders():
    said = set()
    for path in PACKAGE.rglob("*.py"):
        said |= {f"said.{key}" for key in SAID_LITERAL.findall(path.read_text(encoding="utf-8"))}
    assert len(said) > 40
    table = phrases()
    assert said <= set(table), said - set(table)
    for key, texts in table.items():
        assert set(texts) == set(LANGS), key
        assert placeholders(texts["en"]) == placeholders(texts["zh"]), key


def test_chinese_text_has_no_stray_spaces_between_chinese_characters():
    """"而 QQ 邮箱 不允许": a space belongs between Chinese and Latin text, never between two
    Chinese characters or next to full-width punctuation."""
    stray = re.compile(f"{CJK} +{CJK}")
    texts = [t["zh"] for t in phrases().values()]
    for entry in catalog().values():
        texts += [v for v in entry["zh"].values() if isinstance(v, str)]
    for provider in load_providers().providers:
        texts += [t["zh"] for t in provider.remedies.values()]
    bad = [t for t in texts if stray.search(t)]
    assert not bad, bad[:5]


def test_every_provider_override_names_a_real_reason_in_both_languages():
    for provider in load_providers().providers:
        for reason, texts in provider.remedies.items():
            assert reason in catalog(), (provider.id, reason)
            assert set(texts) == set(LANGS), (provider.id, reason)
            for text in texts.values():
                assert placeholders(text) <= KNOWN_PLACEHOLDERS


def test_issue_providers_are_all_in_the_table():
    ids = {p.id for p in load_providers().providers}
    assert ids >= {"qq", "gmail", "163", "126", "yeah", "outlook", "office365", "exmail", "aliyun",
                   "sina", "yahoo", "icloud", "zoho", "sendgrid", "mailgun", "ses", "resend",
                   "postmark", "brevo", "mailtrap"}


def test_a_generic_reply_from_an_unknown_server_lends_no_providers_remedy():
    from smtpdoctor.classify import classify_reply

    table = load_providers()
    assert classify_reply(535, "535 5.7.8 Authentication credentials invalid", table, None) is None
    assert classify_reply(535, "535 Error: authentication failed", table, None) is None
    assert classify_reply(535, "535 Error: authentication failed", table, table.get("163")) == (
        "auth.authorization_code_required", "163")
    assert classify_reply(535, "535 Login Fail. Please enter your authorization code", table, None) == (
        "auth.authorization_code_required", "qq")


def test_provider_facts_are_consistent():
    for p in load_providers().providers:
        assert p.default_port in p.ports, p.id
        assert set(p.ports.values()) <= {"ssl", "starttls", "plain"}, p.id
        assert p.hosts or p.host_patterns, p.id
        assert p.username in ("address", "literal", "login"), p.id
        assert (p.username == "literal") == (p.username_literal is not None), p.id
        if p.password_pattern:
            re.compile(p.password_pattern)


def test_every_configuration_finding_has_a_test_of_its_own():
    tests = "".join(p.read_text(encoding="utf-8") for p in Path(__file__).parent.glob("test_*.py")
                    if p.name != "test_catalog.py")
    untested = [r for r in catalog() if r.startswith("config.") and f'"{r}"' not in tests]
    assert not untested
