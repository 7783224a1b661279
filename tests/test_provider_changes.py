"""Dated provider changes (providers.toml [[id.changes]]): a setting a change will end gets a
finding with the days left, counted from today at run time, or, once the date has come, the
change named as the likely cause of a refused login."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from smtpdoctor.catalog import LANGS, catalog, phrases
from smtpdoctor.config import lint
from smtpdoctor.config.preflight import resolve
from smtpdoctor.config.values import Options
from smtpdoctor.providers import load_providers
from smtpdoctor.views.words import render

M365 = ("SMTP_HOST=smtp.office365.com\nSMTP_PORT=587\nSMTP_USER=ops@contoso.com\n"
        "SMTP_PASSWORD=Correct-Horse-9\nSMTP_FROM=ops@contoso.com\n")
CHANGES = ("config.provider_change_soon", "config.provider_change_passed")


def on(monkeypatch: pytest.MonkeyPatch, day: date) -> None:
    monkeypatch.setattr(lint, "today", lambda: day)


def shown(tmp_path: Path, text: str, lang: str = "en") -> dict[str, tuple[str, str, str]]:
    """reason → (severity, message, remedy), as the report says them."""
    path = tmp_path / ".env"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    pre = resolve(str(path), {}, Options())
    out = {}
    for f in pre.findings:
        words = render(f.reason, f.params, pre.settings, pre.provider, lang)
        out[f.reason] = (f.severity.value, " ".join(words.message.split()), " ".join(words.remedy.split()))
    return out


def test_a_microsoft_365_password_login_is_told_the_days_left(tmp_path, monkeypatch):
    on(monkeypatch, date(2026, 12, 1))
    severity, message, remedy = shown(tmp_path, M365)["config.provider_change_soon"]
    assert severity == "warning"
    assert message.startswith("Microsoft announced (Exchange Team Blog, 2026-01-27; message center MC786329) "
                              "that SMTP AUTH with basic authentication")
    assert "at the end of December 2026" in message
    assert message.endswith("Days left: 30 (counted to 2026-12-31).")
    # The way off names the app's own variables, and the source with the day it was read.
    assert "SMTP_OAUTH2_CLIENT_ID, SMTP_OAUTH2_REFRESH_TOKEN and SMTP_OAUTH2_TENANT" in remedy
    assert ("https://techcommunity.microsoft.com/blog/exchange/updated-exchange-online-smtp-auth-basic-"
            "authentication-deprecation-timeline/4489835, as read on 2026-12-01") in remedy


def test_the_days_are_counted_from_the_clock_not_written_in_the_text(tmp_path, monkeypatch):
    on(monkeypatch, date(2026, 12, 30))
    assert shown(tmp_path, M365)["config.provider_change_soon"][1].endswith("Days left: 1 (counted to 2026-12-31).")
    on(monkeypatch, date(2026, 6, 1))
    assert "Days left: 213 " in shown(tmp_path, M365)["config.provider_change_soon"][1]


@pytest.mark.parametrize("day", [date(2026, 12, 31), date(2027, 2, 1)])
def test_once_the_date_has_come_the_change_is_the_likely_cause(tmp_path, monkeypatch, day):
    on(monkeypatch, day)
    found = shown(tmp_path, M365)
    assert "config.provider_change_soon" not in found
    severity, message, remedy = found["config.provider_change_passed"]
    assert severity == "warning"
    assert message.endswith("That date has come (smtpdoctor counts it from 2026-12-31): if the server refuses "
                            "the login now, this change is the likely cause.")
    assert "SMTP_OAUTH2_CLIENT_ID" in remedy


def test_in_chinese(tmp_path, monkeypatch):
    on(monkeypatch, date(2026, 12, 1))
    _, message, remedy = shown(tmp_path, M365, "zh")["config.provider_change_soon"]
    assert "2026 年 12 月底" in message and message.endswith("剩余天数：30（计至 2026-12-31）。")
    assert "SMTP_OAUTH2_CLIENT_ID" in remedy and "读取于 2026-12-01" in remedy


def test_an_oauth2_login_or_no_login_is_not_affected(tmp_path, monkeypatch):
    on(monkeypatch, date(2026, 12, 1))
    oauth2 = M365.replace("SMTP_PASSWORD=Correct-Horse-9\n", "SMTP_OAUTH2_ACCESS_TOKEN=eyJ0eXAi.abc.def\n")
    relay = "SMTP_HOST=smtp.office365.com\nSMTP_PORT=25\nSMTP_FROM=ops@contoso.com\n"
    for text in (oauth2, relay):
        assert not set(CHANGES) & set(shown(tmp_path, text)), text


def test_outlook_com_keeps_its_own_finding_and_gets_no_dated_one(tmp_path, monkeypatch):
    """Personal Outlook.com accounts lost password login in 2024 (config.oauth2_only): no
    countdown to a date that is not theirs."""
    on(monkeypatch, date(2026, 12, 1))
    text = ("SMTP_HOST=smtp-mail.outlook.com\nSMTP_PORT=587\nSMTP_USER=me@outlook.com\n"
            "SMTP_PASSWORD=Correct-Horse-9\n")
    found = shown(tmp_path, text)
    assert "config.oauth2_only" in found and not set(CHANGES) & set(found)


def test_config_json_carries_the_finding_and_still_exits_0(smtpdoctor, env_file, monkeypatch):
    on(monkeypatch, date(2026, 12, 1))
    env = env_file(M365)
    out = smtpdoctor("config", "--env-file", env, "--json")
    doc = json.loads(out.stdout)
    [finding] = [f for f in doc["findings"] if f["reason"] == "config.provider_change_soon"]
    assert finding["severity"] == "warning" and "Days left: 30" in finding["message"]
    assert out.exit_code == 0 and doc["exit_code"] == 0


def test_every_dated_change_is_whole():
    """Each change names its phrases in both languages, a source and the day that was read."""
    changes = [(p, c) for p in load_providers().providers for c in p.changes]
    assert changes
    table = phrases()
    for provider, change in changes:
        for key in (change.what, f"{change.what}.fix"):
            assert set(table[key]) == set(LANGS), key
        assert change.source.startswith("https://"), provider.id
        assert set(change.affects) <= {"password", "oauth2", "receiving"} and change.affects, provider.id
        # A receiver's rule ends no login: what it brings is the refusal it is named with.
        assert ("receiving" in change.affects) == bool(change.brings), provider.id
        assert set(change.brings) <= set(catalog()), provider.id
        assert change.read <= date.today(), provider.id


def test_an_account_row_is_told_what_its_own_code_must_do(smtpdoctor, tmp_path, monkeypatch):
    """A row of the tenant table has no field for an OAuth2 token: no variables to set there."""
    on(monkeypatch, date(2026, 12, 1))
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"smtp_host": "smtp.office365.com", "smtp_port": 587, "smtp_username": "ops@contoso.com",
                                "smtp_password": "Correct-Horse-9", "from_email": "ops@contoso.com",
                                "security_protocol": "STARTTLS", "tenant_id": "t1"}) + "\n")
    doc = json.loads(smtpdoctor("config", "--accounts", str(rows), "--json").stdout)
    [finding] = [f for f in doc["accounts"][0]["findings"] if f["reason"] == "config.provider_change_soon"]
    assert finding["remedy"].startswith("A row of the tenant table has no field for another login")
    assert "OAUTH2_CLIENT_ID" not in finding["remedy"] and "as read on 2026-12-01" in finding["remedy"]


GMAIL_5_7_26 = ("550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires "
                "all senders to authenticate with either SPF or DKIM.")


def test_a_receivers_rule_in_force_is_named_with_the_refusal_it_brings(monkeypatch):
    from smtpdoctor import api
    from smtpdoctor.views.explain import explain_lines

    on(monkeypatch, date(2026, 12, 1))
    matches, _ = api.explain(GMAIL_5_7_26)
    said = " ".join(" ".join(explain_lines(matches, "en", 100)).split())
    assert "This is Gmail's sender rule: since 2024-02-01, every sender to personal Gmail accounts" in said
    assert ("The rule has applied for 1,034 days (source: https://support.google.com/a/answer/81126, "
            "as read on 2026-12-01).") in said
    on(monkeypatch, date(2026, 12, 2))
    assert "applied for 1,035 days" in " ".join(" ".join(explain_lines(api.explain(GMAIL_5_7_26)[0], "en", 100)).split())
    on(monkeypatch, date(2024, 2, 2))
    assert "applied since yesterday" in " ".join(" ".join(explain_lines(api.explain(GMAIL_5_7_26)[0], "en", 100)).split())
    on(monkeypatch, date(2024, 2, 1))
    assert "The rule applies from today" in " ".join(
        " ".join(explain_lines(api.explain(GMAIL_5_7_26)[0], "en", 100)).split())
    # Before its date the rule was not yet the cause: nothing is said of it.
    on(monkeypatch, date(2024, 1, 31))
    assert "sender rule" not in " ".join(explain_lines(api.explain(GMAIL_5_7_26)[0], "en", 100))


def test_outlooks_rule_is_named_for_5_7_515_in_chinese(monkeypatch):
    from smtpdoctor import api
    from smtpdoctor.views.explain import explain_lines

    on(monkeypatch, date(2026, 12, 1))
    reply = ("550 5.7.515 Access denied, sending domain example.com does not meet the required "
             "authentication level.")
    said = "".join("".join(explain_lines(api.explain(reply)[0], "zh", 100)).split())
    assert "这正是Outlook.com对大批量发件人的规则：自2025-05-05起" in said
    assert "。该规则已实施575天（来源：https://support.microsoft.com/" in said


@pytest.mark.parametrize("provider", [None, "sendgrid"])
def test_a_send_refused_by_gmails_rule_names_it_through_any_relay(monkeypatch, smtp_server, good_tls, ca_file,
                                                                    smtpdoctor, env_file, provider):
    """The refusal is Gmail's, and so is the rule, whether the settings name no provider or
    another one (SendGrid relaying to a Gmail recipient)."""
    from tests.servers import PASSWORD, USER, Recorder

    on(monkeypatch, date(2026, 12, 1))
    server = smtp_server("starttls", good_tls, handler=Recorder(data_reply=GMAIL_5_7_26.replace("550-", "550 ")))
    env = env_file(SMTP_HOST="localhost", SMTP_PORT=server.port, SMTP_USER=USER, SMTP_PASSWORD=PASSWORD)
    out = smtpdoctor("send-test", "friend@gmail.com", "--env-file", env, "--ca-file", ca_file,
                     "--alt-ports", "none", "--json", *(["--provider", provider] if provider else []))
    assert out.exit_code == 1
    send = next(p for p in json.loads(out.stdout)["probes"] if p["name"] == "send")
    assert send["error"]["reason"] == "message.sender_unauthenticated"
    assert "This is Gmail's sender rule: since 2024-02-01" in send["error"]["message"]
    assert "The rule has applied for 1,034 days" in " ".join(send["error"]["message"].split())


def test_outlooks_own_5_7_515_text_in_a_send_names_its_rule(monkeypatch, smtp_server, good_tls, ca_file,
                                                              smtpdoctor, env_file):
    from tests.servers import PASSWORD, USER, Recorder

    on(monkeypatch, date(2026, 12, 1))
    reply = "550 5.7.515 Access denied, sending domain example.com does not meet the required authentication level."
    server = smtp_server("starttls", good_tls, handler=Recorder(data_reply=reply))
    env = env_file(SMTP_HOST="localhost", SMTP_PORT=server.port, SMTP_USER=USER, SMTP_PASSWORD=PASSWORD)
    out = smtpdoctor("send-test", "friend@outlook.com", "--env-file", env, "--ca-file", ca_file,
                     "--alt-ports", "none", "--json")
    send = next(p for p in json.loads(out.stdout)["probes"] if p["name"] == "send")
    assert send["error"]["reason"] == "message.sender_unauthenticated"
    assert "This is Outlook.com's rule for high-volume senders: since 2025-05-05" in send["error"]["message"]


@pytest.mark.parametrize("reply", [
    # RFC 7372's X.7.26 is every server's: not Gmail's unless its reply says so.
    "550 5.7.26 Multiple authentication checks failed",
    # Another server's words, whatever provider the settings name.
    "550 5.7.1 Sender is unauthenticated (client 10.5.7.26)",
])
def test_no_rule_is_named_for_a_reply_that_is_not_that_providers(monkeypatch, reply):
    from smtpdoctor import api
    from smtpdoctor.views.explain import explain_lines

    on(monkeypatch, date(2026, 12, 1))
    matches, _ = api.explain(reply)
    assert [m.reason for m in matches] == ["message.sender_unauthenticated"]
    assert all(m.provider is None for m in matches)
    said = " ".join(explain_lines(matches, "en", 100, provider=load_providers().get("outlook")))
    assert "rule" not in said
