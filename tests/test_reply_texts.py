"""Replies read by what their text says (issue 20): Microsoft 365's 5.7.139 when the tenant's
sign-in policy (security defaults, MFA) refuses a password is not "basic authentication disabled",
and QQ's "Mail content denied" is its spam filter refusing the content. Through `explain --json`
and through the loopback SMTP server answering with those replies."""

from __future__ import annotations

import json

import pytest

from tests.servers import Recorder

SECURITY_DEFAULTS = ("535 5.7.139 Authentication unsuccessful, user is locked by your organization's security "
                     "defaults policy. Contact your administrator. [BN9PR03CA0716.namprd03.prod.outlook.com "
                     "2026-07-01T01:57:31.695Z 08DED6A3FAA75B29]")
CRITERIA = ("535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated "
            "successfully. Contact your administrator. [BN9PR03CA0716.namprd03.prod.outlook.com]")
QQ_CONTENT = "550 Mail content denied. http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000726"


@pytest.mark.parametrize("reply", [SECURITY_DEFAULTS, CRITERIA])
def test_a_sign_in_policy_refusal_is_not_basic_auth_disabled(smtpdoctor, reply):
    out = smtpdoctor("explain", reply, "--json")
    matches = json.loads(out.stdout)["matches"]
    assert [(m["reason"], m["provider"]) for m in matches] == [("auth.sign_in_policy", "office365")]
    remedy = " ".join(matches[0]["remedy"].split())
    assert "Log in with OAuth2 (XOAUTH2, the *_OAUTH2_* variables)" in remedy
    assert "security defaults are on or off for the whole tenant" in remedy and "Conditional Access" in remedy


def test_a_bare_5_7_139_offers_the_sign_in_policy_too(smtpdoctor):
    """The code alone does not say which of its three causes it is; the text does (above)."""
    matches = json.loads(smtpdoctor("explain", "5.7.139", "--json").stdout)["matches"]
    assert [(m["reason"], m["provider"]) for m in matches] == [
        ("auth.basic_auth_disabled", "outlook"), ("auth.smtp_auth_disabled", "office365"),
        ("auth.sign_in_policy", "office365")]


def test_the_sign_in_policy_refusal_in_chinese(smtpdoctor):
    out = smtpdoctor("explain", SECURITY_DEFAULTS, "--json", "--lang", "zh")
    [match] = json.loads(out.stdout)["matches"]
    assert match["message"].startswith("Microsoft 365 因组织的登录策略拒绝了密码登录")
    assert "条件访问策略" in match["remedy"]


def test_qq_content_denied_is_its_spam_filter_with_its_help_page(smtpdoctor):
    out = smtpdoctor("explain", QQ_CONTENT, "--json")
    [match] = json.loads(out.stdout)["matches"]
    assert (match["reason"], match["provider"], match["code"]) == ("message.content_rejected", "qq", "EMESSAGE")
    assert "https://service.mail.qq.com/detail/122/171" in match["remedy"]


def test_a_login_the_sign_in_policy_refuses_fails_with_its_own_reason(check, account, smtp_server, good_tls):
    server = smtp_server("starttls", good_tls, auth_reply=SECURITY_DEFAULTS, password="not-the-one-sent")
    out = check(account(server.port))
    auth = out.probe("auth")
    assert (auth["status"], auth["error"]["code"], auth["error"]["reason"]) == ("fail", "EAUTH", "auth.sign_in_policy")
    assert auth["error"]["reply"].startswith("535 5.7.139 Authentication unsuccessful, user is locked")
    remedy = " ".join(auth["remedy"].split())
    assert "set SMTP_OAUTH2_CLIENT_ID, SMTP_OAUTH2_REFRESH_TOKEN and SMTP_OAUTH2_TENANT" in remedy


def test_qq_content_denied_at_data_brings_qqs_remedy(smtpdoctor, account, smtp_server, good_tls, ca_file):
    server = smtp_server("starttls", good_tls, handler=Recorder(data_reply=QQ_CONTENT))
    out = smtpdoctor("send-test", "friend@qq.com", "--env-file", account(server.port), "--ca-file", ca_file,
                     "--alt-ports", "none", "--timeout", "2", "--json")
    assert out.exit_code == 1
    send = out.probe("send")
    assert (send["status"], send["error"]["code"], send["error"]["reason"]) == (
        "fail", "EMESSAGE", "message.content_rejected")
    assert send["error"]["reply"] == QQ_CONTENT
    remedy = " ".join(send["remedy"].split())
    assert remedy.startswith("QQ Mail's spam filter refused this message for its content.")
    assert "https://service.mail.qq.com/detail/122/171" in remedy


def test_brevos_454_invalid_password_is_a_wrong_login_not_a_retry(check, account, smtp_server, good_tls):
    """smtp-relay.brevo.com answers a wrong SMTP key with a 4xx (ProjectSidewalk/SidewalkWebpage#3411):
    its text says no retry cures it."""
    server = smtp_server("starttls", good_tls, auth_reply="454 4.7.0 Invalid password", password="not-the-one-sent")
    out = check(account(server.port), "--provider", "brevo")
    auth = out.probe("auth")
    assert (auth["error"]["code"], auth["error"]["reason"]) == ("EAUTH", "auth.bad_credentials")
    assert "an API key does not work" in " ".join(auth["remedy"].split())
