"""Provider facts held to their sources: what is unconfirmed says so, ambiguous replies are
not read as proof, and the reply texts of the research are recognised."""

from __future__ import annotations

import pytest

from smtpdoctor.providers import load_providers
from tests.servers import PASSWORD, USER


def reasons(out) -> dict[str, str]:
    return {f["reason"]: f["severity"] for f in out.doc["findings"]}


def test_exmail_sender_rule_is_unconfirmed_so_it_is_information(smtpdoctor, env_file):
    env = env_file(SMTP_HOST="smtp.exmail.qq.com", SMTP_USER="ops@acme-corp.cn", SMTP_PASSWORD=PASSWORD,
                   SMTP_FROM="noreply@acme-corp.cn")
    out = smtpdoctor("config", "--env-file", env, "--json")
    assert reasons(out)["config.sender_not_login_maybe"] == "info"
    assert "config.sender_not_login" not in reasons(out)
    finding = next(f for f in out.doc["findings"] if f["reason"] == "config.sender_not_login_maybe")
    assert "may refuse" in finding["message"] and "no published source" in finding["message"]


def test_qq_sender_rule_stays_a_warning(smtpdoctor, env_file):
    env = env_file(SMTP_HOST="smtp.qq.com", SMTP_USER="123456@qq.com", SMTP_PASSWORD=PASSWORD,
                   SMTP_FROM="other@qq.com")
    assert reasons(smtpdoctor("config", "--env-file", env, "--json"))["config.sender_not_login"] == "warning"


def test_mailtrap_sending_logs_in_as_api_and_the_sandbox_on_2525():
    table = load_providers()
    live, sandbox = table.by_host("live.smtp.mailtrap.io"), table.by_host("sandbox.smtp.mailtrap.io")
    assert live is not None and (live.username, live.username_literal) == ("literal", "api")
    assert sandbox is not None and sandbox.id == "mailtrap-sandbox" and sandbox.default_port == 2525


def test_the_port_25_lint_names_the_clouds_whose_own_pages_say_so(smtpdoctor, env_file):
    # docs/network-path.md: each cloud's page; Tencent's and Baidu's could not be checked.
    out = smtpdoctor("explain", "config.port_25_blocked")
    text = " ".join(out.stdout.split())
    assert "AWS EC2 throttles it" in text and "DigitalOcean" in text and "Alibaba Cloud ECS" in text
    assert "Baidu" not in text and "Tencent" not in text


def test_outlook_5_7_3_is_not_proof_that_basic_auth_is_off(good_tls, check, account, smtp_server):
    reply = "535 5.7.3 Authentication unsuccessful [SN4PR0201CA0065.namprd02.prod.outlook.com]"
    server = smtp_server("starttls", good_tls, auth_reply=reply, password="other")
    out = check(account(server.port), "--provider", "outlook")
    probe = out.probe("auth")
    assert probe["error"]["reason"] == "auth.microsoft_refused"
    assert "three causes" in probe["error"]["message"]
    assert "SMTP_OAUTH2_CLIENT_ID" in probe["remedy"] and "-SmtpClientAuthenticationDisabled" in probe["remedy"]


@pytest.mark.parametrize(("reply", "reason"), [
    ("550 5.4.5 Daily user sending limit exceeded. For more information on Gmail sending limits go to …",
     "message.rate_limited"),
    ("554 Transaction failed: Recipient count exceeds 50.", "message.too_many_recipients"),
])
def test_reply_texts_from_the_research_are_recognised(smtpdoctor, reply, reason):
    out = smtpdoctor("explain", reply)
    assert out.stdout.splitlines()[0].split()[1] == reason


def test_gmail_app_password_spaces_are_sent_as_given_and_said(good_tls, check, account, smtp_server):
    """Google shows the app password in groups of four; smtpdoctor sends it exactly as the app
    will (spaces included) and says so, rather than fixing it silently."""
    spaced = "abcd efgh ijkl mnop"
    server = smtp_server("starttls", good_tls, password=spaced)
    out = check(account(server.port, SMTP_PASSWORD=spaced), "--provider", "gmail")
    assert out.exit_code == 0
    assert reasons(out)["config.app_password_spaces"] == "info"
    assert server.handler.logins == [USER]


def test_every_mailbox_provider_names_its_imap_server(smtpdoctor):
    """For confirming delivery (issue 12): each mailbox is served over IMAP with implicit TLS."""
    mailboxes = [p for p in load_providers().providers if p.kind == "mailbox"]
    assert mailboxes and all(p.imap is not None and p.imap[1] == 993 for p in mailboxes), \
        [p.id for p in mailboxes if p.imap is None]
    doc = smtpdoctor("providers", "--json").doc
    qq = next(p for p in doc["providers"] if p["id"] == "qq")
    assert qq["imap"] == {"host": "imap.qq.com", "port": 993, "security": "ssl"}
    assert next(p for p in doc["providers"] if p["id"] == "sendgrid")["imap"] is None
