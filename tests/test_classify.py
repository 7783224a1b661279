"""The classifier, table-driven: every reply text in providers.toml, the provider texts
sourced in research/providers.md, the common MTAs' texts, what users paste into `explain`,
and the structural signals (certificate verify codes, connect errors, time limits)."""

from __future__ import annotations

import errno
import socket

import pytest

from smtpdoctor.catalog import catalog
from smtpdoctor.classify import (
    AADSTS_REASONS,
    MTA_REPLIES,
    TIMEOUT_REASONS,
    TOKEN_ERRORS,
    certificate_reason,
    classify_mta_reply,
    classify_refusal,
    classify_reply,
    connect_reason,
    decode_reply,
    enhanced_code,
    explain,
)
from smtpdoctor.codes import SEND_PROBE_ORDER
from smtpdoctor.providers import load_providers

TABLE = load_providers()
RULES = [(p.id, rule) for p in TABLE.providers for rule in p.replies]


def reply_for(rule_code: int | None, contains: str) -> tuple[int, str]:
    code = rule_code or 550
    return code, f"{code} {contains} (as the server says it)"


@pytest.mark.parametrize(("provider_id", "rule"), RULES, ids=[f"{p}:{r.contains[:30]}" for p, r in RULES])
def test_every_reply_text_in_the_provider_table_means_its_reason(provider_id, rule):
    code, text = reply_for(rule.code, rule.contains)
    assert rule.reason in catalog()
    assert classify_reply(code, text, TABLE, TABLE.get(provider_id)) == (rule.reason, provider_id)
    # In other case the same: servers vary it.
    assert classify_reply(code, text.upper(), TABLE, TABLE.get(provider_id))[0] == rule.reason
    if rule.identifies:
        # The text names its provider by itself: a custom-domain account still gets its remedy
        # (one of the providers that send that text: 163/126/yeah, Outlook/Microsoft 365).
        senders = {p for p, r in RULES if (r.contains, r.reason) == (rule.contains, rule.reason)}
        reason, owner = classify_reply(code, text, TABLE, None) or ("", "")
        assert reason == rule.reason and owner in senders


# Reply texts as users met them, each sourced in research/providers.md (provider, code, text,
# the step's reason prefix, the reason).
SOURCED = [
    ("qq", 535, "535 Login Fail. Please enter your authorization code to login. More information in "
     "http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=28&&no=1001256", "auth.", "auth.authorization_code_required"),
    (None, 535, "535 Login Fail. Please enter your authorization code to login. More information in "
     "http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=28&&no=1001256", "auth.", "auth.authorization_code_required"),
    (None, 535, "535 Error: 请使用授权码登录。详情请看: http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=28&&no=1001256",
     "auth.", "auth.authorization_code_required"),
    ("qq", 501, "501 mail from address must be same as authorization user", "envelope.", "envelope.sender_not_login"),
    ("qq", 501, "501 Mail from address must be same as authorization user.", "envelope.", "envelope.sender_not_login"),
    ("exmail", 535, "535 Error: authentication failed, system busy", "auth.", "auth.client_password_required"),
    ("gmail", 534, "534-5.7.9 Application-specific password required. Learn more at\n534 5.7.9  "
     "https://support.google.com/mail/?p=InvalidSecondFactor - gsmtp", "auth.", "auth.app_password_required"),
    ("gmail", 535, "535-5.7.8 Username and Password not accepted. Learn more at\n535 5.7.8  "
     "https://support.google.com/mail/?p=BadCredentials - gsmtp", "auth.", "auth.bad_credentials"),
    ("163", 535, "535 Error: authentication failed", "auth.", "auth.authorization_code_required"),
    ("163", 550, "550 User has no permission", "auth.", "auth.smtp_service_disabled"),
    ("163", 553, "553 Mail from must equal authorized user", "envelope.", "envelope.sender_not_login"),
    ("163", 553, "553 Local user only,163 smtp5,abc 1700000000", "envelope.", "envelope.sender_not_login"),
    ("163", 554, "554 DT:SPM 163 smtp10,abc,please see http://mail.163.com/help/help_spam_16.htm?ip=1.2.3.4",
     "message.", "message.spam"),
    ("office365", 535, "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
     "Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.", "auth.", "auth.smtp_auth_disabled"),
    ("outlook", 535, "535 5.7.139 Authentication unsuccessful, basic authentication is disabled. "
     "[PH7P220CA0132.NAMP220.PROD.OUTLOOK.COM]", "auth.", "auth.basic_auth_disabled"),
    ("outlook", 535, "535 5.7.3 Authentication unsuccessful [X.PROD.OUTLOOK.COM]", "auth.", "auth.microsoft_refused"),
    ("office365", 554, "554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; "
     "Failed to process message due to a permanent exception with message Cannot submit message.",
     "message.", "message.send_as_denied"),
    ("office365", 550, "550 5.7.30 Basic authentication is not supported for Client Submission.",
     "auth.", "auth.basic_auth_disabled"),
    ("sendgrid", 535, "535 Authentication failed: Bad username / password", "auth.", "auth.bad_credentials"),
    ("sendgrid", 550, "550 The from address does not match a verified Sender Identity. Mail cannot be sent "
     "until this error is resolved.", "envelope.", "envelope.sender_unverified"),
    ("ses", 535, "535 Authentication Credentials Invalid", "auth.", "auth.bad_credentials"),
    # Microsoft 365's 5.7.139 when the tenant's sign-in policy (security defaults, MFA) refuses a
    # password login: not basic authentication switched off (providers.toml cites them).
    ("office365", 535, "535 5.7.139 Authentication unsuccessful, user is locked by your organization's "
     "security defaults policy. Contact your administrator. [BN9PR03CA0716.namprd03.prod.outlook.com]",
     "auth.", "auth.sign_in_policy"),
    (None, 535, "535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be "
     "authenticated successfully. Contact your administrator. [BN9PR03CA0716.namprd03.prod.outlook.com]",
     "auth.", "auth.sign_in_policy"),
    # QQ's spam filter refusing a message for its content, at DATA.
    ("qq", 550, "550 Mail content denied. http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000726",
     "message.", "message.content_rejected"),
    (None, 550, "550 Mail content denied [MJ8vvB3Z9HILDyk+wodtP4MX11azy2kRSERV7gfPvneArAnaGVv31DttVmD2vtJv1Q== "
     "IP: 1.2.3.4]. https://service.mail.qq.com/detail/122/171.", "message.", "message.content_rejected"),
    # Postfix and Exim, whichever server sends them.
    (None, 550, "550 5.7.1 <a@b.c>: Sender address rejected: not owned by user a@b.c", "envelope.",
     "envelope.sender_not_login"),
    (None, 553, "553 5.7.1 <a@b.c>: Sender address rejected: not logged in", "envelope.", "envelope.auth_required"),
    (None, 554, "554 5.7.1 <x@y.z>: Relay access denied", "envelope.", "envelope.relay_denied"),
    (None, 535, "535 5.7.8 Error: authentication failed: authentication failure", "auth.", "auth.bad_credentials"),
    # What the step says when no text matches: by code.
    (None, 530, "530 5.7.0 Must issue a STARTTLS command first.", "auth.", "auth.tls_required"),
]


@pytest.mark.parametrize(("provider_id", "code", "text", "prefix", "reason"), SOURCED,
                         ids=[f"{p or '-'}:{t[:40]}" for p, _, t, _, _ in SOURCED])
def test_sourced_provider_replies_mean_what_their_provider_says(provider_id, code, text, prefix, reason):
    from smtpdoctor.classify import auth_reason_by_code

    provider = TABLE.get(provider_id) if provider_id else None
    fallback = auth_reason_by_code(code, text) if prefix == "auth." else f"{prefix}fallback"
    assert classify_refusal(code, text, TABLE, provider, (prefix,), fallback)[0] == reason


def test_a_gbk_reply_is_decoded_before_it_is_matched():
    raw = "535 Error: 请使用授权码登录。".encode("gbk").decode("utf-8", "surrogateescape")
    assert decode_reply(raw) == "535 Error: 请使用授权码登录。"


@pytest.mark.parametrize(("code", "text"), [(999, "999 what"), (-1, "2x0 odd"), (250, "250 OK")])
def test_a_refusal_that_is_not_4xx_or_5xx_is_the_server_breaking_the_protocol(code, text):
    assert classify_refusal(code, text, TABLE, None, ("auth.",), "auth.bad_credentials") == (
        "smtp.protocol_error", None)


def test_a_temporary_code_never_takes_a_permanent_mta_reason():
    """A 4xx "authentication failed" is a busy server, not wrong credentials."""
    assert classify_refusal(454, "454 4.7.0 Temporary authentication failure", TABLE, None, ("auth.",),
                            "auth.temporary") == ("auth.temporary", None)


@pytest.mark.parametrize(("needle", "reason"), MTA_REPLIES)
def test_every_mta_text_is_read_wherever_it_stands(needle, reason):
    assert reason in catalog()
    assert classify_mta_reply(f"550 5.7.1 <a@b.c>: {needle.upper()} here") == reason


@pytest.mark.parametrize(("text", "code"), [
    ("535 5.7.8 Username and Password not accepted", "5.7.8"), ("550-5.7.26 unauthenticated", "5.7.26"),
    ("554 5.2.252 SendAsDenied", "5.2.252"), ("535 Login Fail", None), ("5.7.1000 x", None),
])
def test_the_enhanced_status_code_is_read_from_the_reply(text, code):
    assert enhanced_code(text) == code


@pytest.mark.parametrize(("verify_code", "reason"), [
    (10, "tls.cert_expired"), (9, "tls.cert_expired"), (62, "tls.cert_name_mismatch"),
    (64, "tls.cert_name_mismatch"), (18, "tls.cert_untrusted"), (19, "tls.cert_untrusted"),
    (20, "tls.cert_untrusted"), (None, "tls.cert_untrusted"),
])
def test_a_refused_certificate_is_read_from_its_verify_code(verify_code, reason):
    assert certificate_reason(verify_code) == reason


def test_connect_errors_are_read_from_the_exception_raised_by_a_real_socket():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, not listening: the kernel refuses
        with pytest.raises(OSError) as refused:
            socket.create_connection(("127.0.0.1", port), timeout=2)
    assert connect_reason(refused.value) == "tcp.refused"
    assert connect_reason(TimeoutError()) == "tcp.timeout"
    assert connect_reason(ConnectionResetError(errno.ECONNRESET, "reset")) == "tcp.refused"
    assert connect_reason(OSError(errno.ENETUNREACH, "Network is unreachable")) == "tcp.unreachable"


def test_every_step_has_a_timeout_reason_in_the_catalogue():
    for step in (*SEND_PROBE_ORDER, "oauth", "delivery"):
        assert TIMEOUT_REASONS[step] in catalog()


def test_every_token_error_names_a_reason_in_the_catalogue():
    assert {*TOKEN_ERRORS.values(), *AADSTS_REASONS.values()} <= set(catalog())


@pytest.mark.parametrize(("pasted", "first"), [
    ("invalid_grant", ("oauth.invalid_grant", None)),
    ("AADSTS7000215: Invalid client secret provided", ("oauth.invalid_client", None)),
    ("ssl.SSLError: [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)", ("tls.wrong_mode", None)),
    ("Error: getaddrinfo ENOTFOUND smtp.qq.cm", ("dns.nxdomain", None)),
    ("connect ECONNREFUSED 127.0.0.1:465", ("tcp.refused", None)),
    ("ETIMEDOUT", ("tcp.timeout", None)),
    ("smtplib.SMTPNotSupportedError: SMTP AUTH extension not supported by server.", ("auth.not_offered", None)),
    ("certificate verify failed: self signed certificate", ("tls.cert_untrusted", None)),
    ("5.7.8", ("auth.bad_credentials", "gmail")),
    ("DT:SPM", ("message.spam", "163")),
    ("tls.wrong_mode", ("tls.wrong_mode", None)),
    ("smtplib.SMTPAuthenticationError: (535, b'Login Fail. Please enter your authorization code to login.')",
     ("auth.authorization_code_required", "qq")),
])
def test_what_users_paste_is_read_as_its_cause_first(pasted, first):
    found = explain(pasted, TABLE)
    assert (found[0].reason, found[0].provider.id if found[0].provider else None) == first
    assert len({(m.reason, m.provider.id if m.provider else None) for m in found}) == len(found)  # no repeats
