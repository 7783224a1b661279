"""`smtpdoctor explain` on what users paste from their own logs, phrased in
their own variables when a .env is at hand, never with a hole in the text."""

from __future__ import annotations

import json
import re

import pytest

from smtpdoctor.catalog import LANGS, catalog
from smtpdoctor.classify import Match
from smtpdoctor.views.explain import explain_text

GBK_QQ = ("smtplib.SMTPAuthenticationError: (535, b'Error: \\xc7\\xeb\\xca\\xb9\\xd3\\xc3\\xca\\xda"
          "\\xc8\\xa8\\xc2\\xeb\\xb5\\xc7\\xc2\\xbc\\xa1\\xa3\\xcf\\xea\\xc7\\xe9\\xc7\\xeb\\xbf\\xb4: "
          "http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=28&&no=1001256')")


@pytest.mark.parametrize(("pasted", "reason", "provider"), [
    # Python smtplib / ssl / socket
    (GBK_QQ, "auth.authorization_code_required", "qq"),
    ("smtplib.SMTPAuthenticationError: (535, b'5.7.8 Username and Password not accepted. Learn more at\\n"
     "5.7.8  https://support.google.com/mail/?p=BadCredentials x1-20020a - gsmtp')", "auth.bad_credentials",
     "gmail"),
    ("socket.timeout: timed out", "tcp.timeout", None),
    ("TimeoutError: timed out", "tcp.timeout", None),
    ("smtplib.SMTPServerDisconnected: Connection unexpectedly closed: timed out", "tls.wrong_mode", None),
    ("ssl.SSLError: [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)", "tls.wrong_mode", None),
    ("ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
     "self-signed certificate in certificate chain (_ssl.c:1006)", "tls.cert_untrusted", None),
    ("ConnectionRefusedError: [Errno 111] Connection refused", "tcp.refused", None),
    ("socket.gaierror: [Errno -2] Name or service not known", "dns.nxdomain", None),
    # nodemailer
    ("Error: Invalid login: 535 Login Fail. Please enter your authorization code to login. More "
     "information in http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=28&&no=1001256",
     "auth.authorization_code_required", "qq"),
    ("Error: Greeting never received", "tls.wrong_mode", None),
    ("Error: Connection timeout", "tcp.timeout", None),
    ("Error: getaddrinfo ENOTFOUND smtp.qq.cm", "dns.nxdomain", None),
    ("Error: self signed certificate in certificate chain", "tls.cert_untrusted", None),
    ('Error: Missing credentials for "PLAIN"', "config.missing_password", None),
    ("Error: Message failed: 554 DT:SPM 163 smtp10,xxx,please see http://mail.163.com/help/help_spam_16.htm",
     "message.spam", "163"),
    # PHPMailer
    ("SMTP Error: Could not authenticate.", "auth.bad_credentials", None),
    ("SMTP Error: Could not connect to SMTP host. Failed to connect to server", "tcp.refused", None),
    ("SMTP ERROR: Failed to connect to server: Connection timed out (110)", "tcp.timeout", None),
    ("Connection failed. Error #2: stream_socket_enable_crypto(): SSL operation failed with code 1. "
     "OpenSSL Error messages: error:0A00010B:SSL routines::wrong version number", "tls.wrong_mode", None),
    ("SMTP Error: The following From address failed: noreply@example.com : MAIL FROM command failed,"
     "mail from address must be same as authorization user", "envelope.sender_not_login", "qq"),
    # aiosmtplib
    ("aiosmtplib.errors.SMTPConnectTimeoutError: Timed out waiting for server ready message",
     "tls.wrong_mode", None),
    ("SMTPConnectError: Error connecting to smtp.qq.com on port 587: [SSL: WRONG_VERSION_NUMBER] "
     "wrong version number (_ssl.c:1006)", "tls.wrong_mode", None),
    ("SMTPException: The SMTP AUTH extension is not supported by this server. Try connecting via TLS "
     "(or STARTTLS).", "auth.not_offered", None),
])
def test_pasted_client_errors_lead_with_their_reason(smtpdoctor, pasted, reason, provider):
    out = smtpdoctor("explain", pasted, "--json")
    assert out.exit_code == 0, out.stderr
    first = json.loads(out.stdout)["matches"][0]
    assert (first["reason"], first["provider"]) == (reason, provider)


def test_gbk_reply_is_decoded(smtpdoctor):
    out = smtpdoctor("explain", GBK_QQ, "--lang", "zh")
    assert "QQ 邮箱只接受 16 位授权码登录" in out.stdout


def test_a_host_typo_gets_the_nearest_provider_host(smtpdoctor):
    out = smtpdoctor("explain", "Error: getaddrinfo ENOTFOUND smtp.qq.cm")
    assert "The host name smtp.qq.cm does not exist" in out.stdout
    assert "Did you mean smtp.qq.com? Set SMTP_HOST=smtp.qq.com." in out.stdout


def test_with_a_dotenv_the_fix_names_its_variables(smtpdoctor, tmp_path):
    (tmp_path / ".env").write_text("MAIL_SERVER=smtp.qq.cm\nMAIL_PORT=465\nMAIL_USE_SSL=true\n")
    out = smtpdoctor("explain", "Error: getaddrinfo ENOTFOUND smtp.qq.cm")
    assert "Set MAIL_SERVER=smtp.qq.com." in out.stdout
    assert "SMTP_HOST" not in out.stdout
    other = tmp_path / "prod.env"
    other.write_text("EMAIL_HOST=smtp.qq.com\nEMAIL_HOST_PASSWORD=x\n")
    out = smtpdoctor("explain", "535 Login Fail", "--env-file", str(other))
    assert "put the code in EMAIL_HOST_PASSWORD" in out.stdout


HOLES = re.compile(r"[{}‹]|<(port|host|login)>|  | \.(\s|$)|\(\)|（）|Set \.|请设置 。")


@pytest.mark.parametrize("reason", sorted(catalog()))
def test_no_explanation_has_a_hole(reason):
    for lang in LANGS:
        text = explain_text(Match(reason), lang)
        for part in (text.message, text.remedy):
            assert part.strip(), (reason, lang)
            # A call in code (starttls(), smtplib.SMTP_SSL()) is no hole left by a missing value.
            cleaned = re.sub(r"[\w.]+\(\)|\{service: undefined\}", "X", part)
            assert not HOLES.search(cleaned), (reason, lang, part)


def test_a_sentence_that_opens_with_a_variable_keeps_its_case():
    """"the provider …" is capitalised to open a sentence; "security_protocol=TLS …" is a name."""
    assert explain_text(Match("config.tls_word_ambiguous"), "en").message.startswith("security_protocol=TLS is")
    assert explain_text(Match("config.missing_host"), "en").message[:1].isupper()


def test_providers_that_say_the_same_are_one_entry(smtpdoctor):
    out = smtpdoctor("explain", "DT:SPM")
    assert out.stdout.count("message.spam") == 1
    assert "(NetEase 163 Mail / NetEase 126 Mail / NetEase yeah.net)" in out.stdout


def test_beside_a_dotenv_without_a_sender_no_fix_has_an_empty_value(smtpdoctor, tmp_path):
    (tmp_path / ".env").write_text("SMTP_HOST=smtp.qq.com\nSMTP_PORT=465\nSMTP_PASSWORD=abcdefghijklmnop\n")
    out = smtpdoctor("explain", "501 Mail from address must be same as authorization user")
    said = " ".join(out.stdout.split())
    assert "SMTP_FROM=." not in said and "SMTP_FROM= " not in said and "()" not in said
    assert "Set SMTP_FROM=the login" in said


@pytest.mark.parametrize(("pasted", "reasons"), [
    # Yahoo's 5.7.9 is sender authentication; Gmail's 534-5.7.9 is an app password.
    ("550 5.7.9 This mail has been blocked because the sender is unauthenticated. Yahoo requires all senders "
     "to authenticate with either SPF or DKIM.", ["message.sender_unauthenticated"]),
    ("550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders "
     "to authenticate with either SPF or DKIM.", ["message.sender_unauthenticated"]),
    ("550 5.7.26 [1.2.3.4] gsmtp", ["message.sender_unauthenticated"]),
    ("550 5.7.515 Access denied, sending domain example.com does not meet the required authentication level.",
     ["message.sender_unauthenticated"]),
    ("550-5.7.1 Unauthenticated email from mydomain.com is not accepted due to domain's DMARC policy.",
     ["message.sender_unauthenticated"]),
    # Microsoft 365's 5.2.0 NDR exceptions: a quota and an outbound-spam block, not SendAs.
    ("554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message",
     ["message.quota_exceeded"]),
    ("554 5.2.0 STOREDRV.Submission.Exception:OutboundSpamException; WASCL UserAction verdict is not None",
     ["message.account_blocked_spam"]),
    ("550 5.7.60 SMTP; Client does not have permissions to send as this sender", ["message.send_as_denied"]),
    ("550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.",
     ["message.ip_blocked"]),
    ("432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded", ["smtp.connection_limit"]),
    ("552 5.3.4 Message size exceeds fixed maximum message size", ["message.too_big"]),
    # SES's throttle is a sending rate, not a temporary authentication failure.
    ("454 Throttling failure: Maximum sending rate exceeded.", ["message.rate_limited"]),
    ("454 Throttling failure: Daily message quota exceeded.", ["message.rate_limited"]),
    ("530 5.7.57 Client was not authenticated to send anonymous mail during MAIL FROM",
     ["envelope.auth_required"]),
    ("535 5.7.139 Authentication unsuccessful, the user credentials were incorrect.", ["auth.bad_credentials"]),
    ("535 5.7.0 Mailgun is not loving your login or password", ["auth.bad_credentials"]),
    ("550 The mail may contain inappropriate words or content.", ["message.content_rejected"]),
    ("550 5.7.60 SMTP; Client does not have permission to send as this sender", ["message.send_as_denied"]),
    ("421 4.7.0 Daily user sending quota exceeded. 42sm smtp.gmail.com", ["message.rate_limited"]),
    # A bare 550 no longer offers NetEase's "SMTP service disabled".
    ("550 Requested action not taken: mailbox unavailable", ["envelope.recipient_rejected"]),
])
def test_the_reply_text_decides_before_the_code(smtpdoctor, pasted, reasons):
    out = smtpdoctor("explain", pasted, "--json")
    assert [m["reason"] for m in json.loads(out.stdout)["matches"]] == reasons


def test_a_sender_authentication_refusal_points_to_the_domain_check(smtpdoctor):
    out = smtpdoctor("explain", "550 5.7.26 This mail has been blocked because the sender is unauthenticated.")
    assert "`smtpdoctor domain <the sender's domain>` shows which record is missing" in " ".join(out.stdout.split())
    zh = smtpdoctor("explain", "550 5.7.26 This mail has been blocked because the sender is unauthenticated.",
                    "--lang", "zh")
    assert "会指出缺少哪条记录" in zh.stdout
