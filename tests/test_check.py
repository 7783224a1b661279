"""`smtpdoctor check` against real servers on loopback: each failure class is
found at the right probe, with the right code, and a fix in the user's variables."""

from __future__ import annotations

import re
import ssl
import time

import pytest
import trustme

from tests.conftest import Outcome, failure, server_context
from tests.servers import (
    PASSWORD,
    USER,
    DNSServer,
    DroppingPort,
    Recorder,
    ScriptedServer,
    SilentServer,
    SMTPServer,
    closed_port,
)

FLASK = ("MAIL_SERVER=localhost\nMAIL_PORT={port}\n{flags}MAIL_USERNAME=" + USER +
         "\nMAIL_PASSWORD=" + PASSWORD + "\n")


def failed_at(out: Outcome) -> tuple[str, str, str]:
    """(probe, code, reason) of the one failed probe: what the user reads first."""
    probe = failure(out)
    return probe["name"], probe["error"]["code"], probe["error"]["reason"]


# --- everything works -------------------------------------------------------

@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_a_working_server_passes_every_probe(check, account, good_tls, mode, smtp_server):
    server = smtp_server(mode, good_tls)
    out = check(account(server.port, SMTP_SECURE="true" if mode == "ssl" else None))
    assert out.exit_code == 0, out.stdout
    assert out.doc["ok"] is True
    assert out.statuses() == {n: "pass" for n in ("dns", "tcp", "tls", "smtp", "auth", "envelope")}
    tls = out.probe("tls")
    assert tls["details"]["protocol"].startswith("TLSv1.")
    assert int(tls["details"]["days_left"]) > 21
    assert "AUTH LOGIN PLAIN" in out.probe("smtp")["summary"]
    assert server.handler.logins == [USER]
    assert server.handler.received == []  # check sends nothing


def test_human_report_lists_every_probe_and_the_verdict(smtpdoctor, account, starttls_server, ca_file):
    out = smtpdoctor("check", "--env-file", account(starttls_server.port), "--ca-file", ca_file)
    assert out.exit_code == 0
    for name in ("dns", "tcp", "tls", "smtp", "auth", "envelope"):
        assert f"✓ {name}" in out.stdout
    assert out.stdout.rstrip().endswith("✓ All checks passed")


def test_piped_output_has_no_trailing_whitespace(smtpdoctor, account):
    out = smtpdoctor("check", "--env-file", account(closed_port()), "--alt-ports", "none")
    assert out.exit_code == 1
    assert all(line == line.rstrip() for line in out.stdout.splitlines())


@pytest.mark.parametrize("flag", ["--quiet", "-q"])
def test_quiet_prints_nothing_on_success(smtpdoctor, account, starttls_server, ca_file, flag):
    out = smtpdoctor("check", "--env-file", account(starttls_server.port), "--ca-file", ca_file, flag)
    assert (out.exit_code, out.stdout, out.stderr) == (0, "", "")


def test_quiet_failure_shows_only_the_failing_step_and_its_fix(smtpdoctor, account, good_tls, ca_file, smtp_server):
    server = smtp_server("starttls", good_tls, password="other")
    out = smtpdoctor("check", "--env-file", account(server.port), "--ca-file", ca_file, "--quiet")
    assert out.exit_code == 1
    lines = out.stdout.strip().splitlines()
    assert lines[0].lstrip().startswith("✗ auth")
    assert any("→ fix: Check SMTP_USER" in line for line in lines)
    assert "dns" not in out.stdout and "envelope" not in out.stdout


def test_until_smtp_never_logs_in(check, account, starttls_server):
    out = check(account(starttls_server.port), "--until", "smtp")
    assert out.exit_code == 0
    assert out.statuses()["auth"] == "skip" and out.statuses()["envelope"] == "skip"
    assert out.probe("auth")["summary"] == "skipped: --until smtp"
    assert starttls_server.handler.logins == []


# --- dns ----------------------------------------------------------------------

def test_dns_server_option_resolves_there_and_connects_to_its_answer(check, env_file, starttls_server):
    with DNSServer({"smtp.test": ["127.0.0.1"]}) as dns:
        env = env_file(SMTP_HOST="smtp.test", SMTP_PORT=starttls_server.port, SMTP_USER=USER,
                       SMTP_PASSWORD=PASSWORD)
        out = check(env, "--dns-server", dns.address)
    assert out.exit_code == 0, out.doc["probes"]
    assert out.probe("dns")["summary"] == f"smtp.test → 127.0.0.1 (via {dns.address})"
    assert "smtp.test A" in dns.queries


def test_nxdomain_suggests_the_provider_host_the_typo_is_closest_to(check, env_file):
    with DNSServer(nxdomain={"smtp.qq.cm"}) as dns:
        env = env_file(FLASK.format(port=465, flags="MAIL_USE_SSL=true\n").replace("localhost", "smtp.qq.cm"))
        out = check(env, "--dns-server", dns.address)
    assert out.exit_code == 1
    dns_probe = failure(out)
    assert (dns_probe["name"], dns_probe["error"]["code"], dns_probe["error"]["reason"]) == (
        "dns", "EDNS", "dns.nxdomain")
    assert "Did you mean smtp.qq.com? Set MAIL_SERVER=smtp.qq.com." in dns_probe["remedy"]
    assert [p["status"] for p in out.doc["probes"][1:]] == ["skip"] * 5


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_providers_own_host_that_does_not_resolve_is_the_dns_not_a_typo(check, env_file, lang):
    """smtp.qq.com exists: a resolver that says NXDOMAIN for it (a broken container DNS, a
    filtering resolver) is the cause, and no remedy says to check the name for a typo."""
    with DNSServer(nxdomain={"smtp.qq.com"}) as dns:
        env = env_file(FLASK.format(port=465, flags="MAIL_USE_SSL=true\n").replace("localhost", "smtp.qq.com"))
        out = check(env, "--dns-server", dns.address, "--lang", lang)
    probe = failure(out)
    assert (probe["name"], probe["error"]["reason"]) == ("dns", "dns.provider_host_unresolved")
    if lang == "en":
        assert "smtp.qq.com is QQ Mail's own server name, so it exists" in probe["error"]["message"]
        assert "it does not exist (NXDOMAIN)" in probe["error"]["message"]
        assert "typo" not in probe["remedy"] and "/etc/resolv.conf" in probe["remedy"]
    else:
        assert "smtp.qq.com 是 QQ 邮箱自己的服务器域名" in probe["error"]["message"]
        assert "拼写" not in probe["remedy"]


def test_name_without_address(check, env_file):
    with DNSServer() as dns:
        out = check(env_file(SMTP_HOST="example.test", SMTP_PORT=587, SMTP_USER=USER,
                             SMTP_PASSWORD=PASSWORD), "--dns-server", dns.address)
    assert failure(out)["error"]["reason"] == "dns.no_address"
    assert "SMTP_HOST must be the SMTP server's name" in failure(out)["remedy"]


def test_silent_resolver_times_out_within_the_limit(check, env_file):
    with DNSServer(silent={"smtp.slow.test"}) as dns:
        started = time.monotonic()
        out = check(env_file(SMTP_HOST="smtp.slow.test", SMTP_PORT=587, SMTP_USER=USER,
                             SMTP_PASSWORD=PASSWORD), "--dns-server", dns.address, timeout="1")
        took = time.monotonic() - started
    assert failed_at(out) == ("dns", "EDNS", "dns.timeout")
    assert took < 1 + 1.0


def test_system_resolver_nxdomain(check, env_file):
    out = check(env_file(SMTP_HOST="no-such-host.invalid", SMTP_PORT=587, SMTP_USER=USER,
                         SMTP_PASSWORD=PASSWORD))
    assert failure(out)["error"]["reason"] in ("dns.nxdomain", "dns.timeout", "dns.error")
    assert failure(out)["error"]["code"] == "EDNS"


# --- tcp ----------------------------------------------------------------------

def test_refused_port(check, account):
    out = check(account(closed_port()))
    assert failed_at(out) == ("tcp", "ECONNECTION", "tcp.refused")


def test_dropped_port_is_etimedout_within_the_limit(check, account):
    with DroppingPort() as dropped:
        started = time.monotonic()
        out = check(account(dropped.port), timeout="1")
        took = time.monotonic() - started
    assert failed_at(out) == ("tcp", "ETIMEDOUT", "tcp.timeout")
    assert took < 1 + 1.0


def test_dropped_port_offers_the_alternative_that_answers_with_its_mode(
        check, env_file, good_tls):
    with DroppingPort() as dropped, SMTPServer("ssl", good_tls) as implicit, \
            SMTPServer("starttls", good_tls) as upgrade, DroppingPort() as also_dropped:
        env = env_file(FLASK.format(port=dropped.port, flags="MAIL_USE_TLS=true\n"))
        started = time.monotonic()
        out = check(env, timeout="1.5",
                    alt_ports=f"{implicit.port},{upgrade.port},{also_dropped.port},{closed_port()}")
        took = time.monotonic() - started
    probe = failure(out)
    assert probe["error"]["reason"] == "tcp.timeout"
    # The smaller change first: the STARTTLS port needs only MAIL_PORT, as the
    # app already says MAIL_USE_TLS=true; both were logged in to.
    assert probe["remedy"] == (
        f"Set MAIL_PORT={upgrade.port}. Verified in this run: port {upgrade.port} answered with "
        f"STARTTLS and accepted the login. Also verified: MAIL_PORT={implicit.port}, "
        "MAIL_USE_SSL=true, MAIL_USE_TLS=false.")
    assert out.doc["fixes"][0]["changes"] == {"MAIL_PORT": str(upgrade.port)}
    assert [p["status"] for p in out.doc["fixes"][0]["probes"]] == ["pass"] * 6
    assert out.exit_code == 1  # the settings as given still fail
    # All alternatives were tried at once: one limit, not one per port.
    assert took < 1.5 + 1.0


def test_a_working_port_knocks_on_no_other(check, account, starttls_server):
    with SilentServer() as other:
        out = check(account(starttls_server.port), alt_ports=str(other.port))
        time.sleep(0.2)
    assert out.exit_code == 0
    assert other.held == []


def test_every_port_refusing_points_at_the_host_and_port_settings(check, account):
    first, second = closed_port(), closed_port()
    out = check(account(closed_port()), alt_ports=f"{first},{second}")
    remedy = failure(out)["remedy"]
    assert f"Tried: {first} (no answer), {second} (no answer)." in remedy
    assert "Check SMTP_HOST and SMTP_PORT against the provider's settings" in remedy
    assert out.doc["fixes"] == []


def test_every_port_dropping_points_at_the_firewall(check, account):
    with DroppingPort() as configured, DroppingPort() as other:
        out = check(account(configured.port), alt_ports=str(other.port), timeout="1")
    assert f"Tried: {other.port} (no answer)." in failure(out)["remedy"]
    assert "firewall" in failure(out)["remedy"]


# --- tls ----------------------------------------------------------------------

def test_implicit_tls_settings_against_a_starttls_port(check, env_file, starttls_server):
    out = check(env_file(FLASK.format(port=starttls_server.port, flags="MAIL_USE_SSL=true\n")))
    probe = failure(out)
    assert failed_at(out) == ("tls", "ETLS", "tls.wrong_mode")
    assert "speaks STARTTLS" in probe["error"]["message"]
    assert "wrong version number" in probe["error"]["message"]
    assert probe["remedy"] == ("Set MAIL_USE_SSL=false, MAIL_USE_TLS=true. Verified in this run: "
                               f"port {starttls_server.port} answered with STARTTLS and accepted the login.")


def test_starttls_settings_against_an_implicit_tls_port_is_found_fast(check, env_file, ssl_server):
    started = time.monotonic()
    out = check(env_file(FLASK.format(port=ssl_server.port, flags="MAIL_USE_TLS=true\n")), timeout="5")
    took = time.monotonic() - started
    probe = failure(out)
    assert (probe["name"], probe["error"]["reason"]) == ("tls", "tls.wrong_mode")
    assert "speaks implicit TLS (SSL)" in probe["error"]["message"]
    assert "Greeting never received" in probe["error"]["message"]
    assert probe["remedy"].startswith("Set MAIL_USE_SSL=true, MAIL_USE_TLS=false. Verified in this run")
    assert took < 3  # not the 5 s greeting wait: a second connection found out


def test_wrong_mode_remedy_in_chinese(check, env_file, starttls_server):
    out = check(env_file(FLASK.format(port=starttls_server.port, flags="MAIL_USE_SSL=true\n")), "--lang", "zh")
    assert failure(out)["remedy"] == ("请设置 MAIL_USE_SSL=false, MAIL_USE_TLS=true。已在本次运行中验证："
                                      f"{starttls_server.port} 端口以 STARTTLS 应答并接受了登录。")


@pytest.mark.parametrize("mode", ["ssl", "starttls"])
@pytest.mark.parametrize(("context", "reason", "remedy_words"), [
    ("expired_tls", "tls.cert_expired", "renew"),
    ("untrusted_tls", "tls.cert_untrusted", "--ca-file"),
    ("wrong_name_tls", "tls.cert_name_mismatch", "Set SMTP_HOST to a name the certificate is valid for"),
])
def test_certificate_problems(request, check, account, mode, context, reason, remedy_words, smtp_server):
    server = smtp_server(mode, request.getfixturevalue(context))
    out = check(account(server.port, SMTP_SECURE="true" if mode == "ssl" else None))
    probe = failure(out)
    assert failed_at(out) == ("tls", "ETLS", reason)
    assert remedy_words in probe["remedy"]
    assert out.exit_code == 1


def test_an_untrusted_certificate_is_described_as_observed(check, account, untrusted_tls, other_ca,
                                                          smtp_server):
    """Fetched again unchecked after the check failed: the issuer and names it holds, and a
    CA this machine does not trust is said to be that, never "interception"."""
    server = smtp_server("ssl", untrusted_tls)
    out = check(account(server.port, SMTP_SECURE="true"))
    probe = failure(out)
    issuer = probe["details"]["issuer"]
    assert issuer.startswith("O=trustme")
    assert probe["details"]["names"] == ["localhost"] and probe["details"]["self_signed"] is False
    assert f"by {issuer}, a CA this machine does not trust" in probe["error"]["message"]
    assert f"If {issuer} is your own or your organisation's CA, pass it with --ca-file" in probe["remedy"]
    assert "antivirus" not in probe["remedy"] and "intercept" not in probe["error"]["message"]


def test_a_self_signed_certificate_is_said_to_be_one(check, account, other_ca, smtp_server, tmp_path):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    other_ca.cert_pem.write_to_path(str(cert))
    other_ca.private_key_pem.write_to_path(str(key))
    context.load_cert_chain(str(cert), str(key))  # the CA's own certificate: issuer = subject
    server = smtp_server("starttls", context)
    out = check(account(server.port))
    probe = failure(out)
    assert probe["details"]["self_signed"] is True
    assert "self-signed: O=trustme" in probe["error"]["message"] and "issued it to itself" in probe["error"]["message"]
    assert "no public provider's server presents one" in probe["remedy"]
    zh = failure(check(account(server.port), "--lang", "zh"))
    assert "自签名的：O=trustme" in zh["error"]["message"]


def test_an_interception_products_ca_is_named(check, account, smtp_server):
    kaspersky = trustme.CA(organization_name="Kaspersky Anti-Virus Personal Root Certificate")
    server = smtp_server("ssl", server_context(kaspersky, "localhost"))
    out = check(account(server.port, SMTP_SECURE="true"))
    probe = failure(out)
    assert probe["details"]["interceptor"] == "Kaspersky"
    assert "a CA of Kaspersky's, which intercepts TLS on this machine or network" in probe["error"]["message"]
    assert "Turn off Kaspersky's SSL or mail scanning for SMTP" in probe["remedy"]


def test_a_wrong_name_certificate_says_which_names_it_holds(check, account, wrong_name_tls, smtp_server):
    server = smtp_server("ssl", wrong_name_tls)
    probe = failure(check(account(server.port, SMTP_SECURE="true")))
    assert probe["details"]["names"] == ["mail.elsewhere.test"]
    assert "The certificate is not valid for localhost: it is valid for mail.elsewhere.test" in probe["error"]["message"]


def test_ssl_cert_file_is_honoured(smtpdoctor, account, ssl_server, ca_file):
    out = smtpdoctor("check", "--env-file", account(ssl_server.port, SMTP_SECURE="true"), "--json",
                     "--alt-ports", "none", env={"SSL_CERT_FILE": ca_file})
    assert out.exit_code == 0, out.doc["probes"]


def test_certificate_about_to_expire_warns_but_passes(check, account, expiring_tls, smtp_server):
    server = smtp_server("starttls", expiring_tls)
    out = check(account(server.port))
    assert out.exit_code == 0
    tls = out.probe("tls")
    assert tls["status"] == "warn"
    assert tls["warning"]["reason"] == "tls.cert_expiring"
    assert "expires in 4 days" in tls["warning"]["message"] or "expires in 5 days" in tls["warning"]["message"]


def test_starttls_not_offered(check, account, plain_server):
    out = check(account(plain_server.port, SMTP_TLS="true"))
    probe = failure(out)
    assert failed_at(out) == ("tls", "ETLS", "tls.starttls_not_offered")
    # Nothing else answered with TLS: no port is guessed at.
    assert not re.search(r"\b465\b", probe["remedy"])  # (the loopback port may contain the digits)
    assert f"Tried: {plain_server.port} (no TLS at all, not a fix for a password login)." in probe["remedy"]
    assert "sending the password without TLS is not a fix" in probe["remedy"]


def test_plain_mode_with_a_password_warns(check, env_file, plain_server):
    out = check(env_file(FLASK.format(port=plain_server.port,
                                      flags="MAIL_USE_SSL=false\nMAIL_USE_TLS=false\n")))
    assert out.exit_code == 0
    tls = out.probe("tls")
    assert (tls["status"], tls["warning"]["reason"]) == ("warn", "tls.not_encrypted")


# --- smtp ---------------------------------------------------------------------

def test_server_that_never_greets_is_etimedout_within_the_limit(check, account):
    with SilentServer() as silent:
        started = time.monotonic()
        out = check(account(silent.port), timeout="1.5")
        took = time.monotonic() - started
    assert failed_at(out) == ("smtp", "ETIMEDOUT", "smtp.greeting_timeout")
    assert out.statuses()["tls"] == "skip"
    assert took < 1.5 + 1.0
    # The wait is the failing step's time, not 0 ms.
    assert out.probe("smtp")["duration_ms"] >= 1000 and out.probe("tls")["duration_ms"] == 0


def test_a_time_limit_is_said_with_at_most_one_decimal(check, account):
    with SilentServer() as silent:
        out = check(account(silent.port), timeout="0.95104")
    assert "within 1 s" in failure(out)["error"]["message"]


def test_silent_implicit_tls_port_times_out_in_the_handshake(check, account):
    with SilentServer() as silent:
        started = time.monotonic()
        out = check(account(silent.port, SMTP_SECURE="true"), timeout="1")
        took = time.monotonic() - started
    assert failed_at(out) == ("tls", "ETIMEDOUT", "tls.timeout")
    assert took < 1 + 1.0


@pytest.mark.parametrize(("greeting", "reason"), [
    (b"554 IP in blacklist\r\n", "smtp.ip_blocked"),
    (b"421 4.3.2 Service not available, closing channel\r\n", "smtp.greeting_rejected"),
])
def test_greeting_refusals_are_eprotocol(check, account, greeting, reason):
    with ScriptedServer(greeting=greeting) as server:
        out = check(account(server.port))
    probe = failure(out)
    assert failed_at(out) == ("smtp", "EPROTOCOL", reason)
    assert probe["error"]["reply"] == greeting.decode().strip()


# --- auth ---------------------------------------------------------------------

QQ_LOGIN_FAIL = ("535 Login Fail. Please enter your authorization code to login. More information in "
                 "http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=28&&no=1001256")


def test_qq_login_fail_asks_for_the_authorization_code(check, account, good_tls, smtp_server):
    server = smtp_server("ssl", good_tls, auth_reply=QQ_LOGIN_FAIL)
    out = check(account(server.port, SMTP_SECURE="true", SMTP_PASSWORD="wrong-password-1"))
    probe = failure(out)
    assert failed_at(out) == ("auth", "EAUTH", "auth.authorization_code_required")
    assert probe["error"]["reply_code"] == 535
    assert probe["error"]["reply"] == QQ_LOGIN_FAIL
    # The reply names QQ even though the host (localhost) does not: QQ's own fix.
    assert "生成授权码" in probe["remedy"] and "SMTP_PASSWORD" in probe["remedy"]


def test_gbk_reply_from_older_qq_servers_is_decoded(check, account):
    reply = "535 Error: 请使用授权码登录。详情请看: http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=28&&no=1001256\r\n"
    with ScriptedServer({"AUTH": reply.encode("gbk")}) as server:
        out = check(account(server.port, SMTP_SECURE="false"), "--security", "plain")
    probe = failure(out)
    assert probe["error"]["reason"] == "auth.authorization_code_required"
    assert "请使用授权码登录" in probe["error"]["reply"]


@pytest.mark.parametrize(("reply", "reason", "remedy_words"), [
    ("534-5.7.9 Application-specific password required. Learn more at\r\n"
     "534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor x1-20020a - gsmtp",
     "auth.app_password_required", "app password"),
    ("535-5.7.8 Username and Password not accepted. Learn more at\r\n"
     "535 5.7.8  https://support.google.com/mail/?p=BadCredentials x1-20020a - gsmtp",
     "auth.bad_credentials", "https://myaccount.google.com/apppasswords"),
    ("535 5.7.139 Authentication unsuccessful, basic authentication is disabled. "
     "[PH7P220CA0132.NAMP220.PROD.OUTLOOK.COM 2024-11-11T21:51:32.927Z]",
     "auth.basic_auth_disabled", "OAuth2"),
    ("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. "
     "Visit https://aka.ms/smtp_auth_disabled for more information.",
     "auth.smtp_auth_disabled", "Set-CASMailbox"),
    ("535 Error: authentication failed, system busy", "auth.client_password_required", "客户端专用密码"),
    ("550 User has no permission", "auth.smtp_service_disabled", "SMTP_PASSWORD"),
    ("535 Authentication failed: Bad username / password", "auth.bad_credentials", "apikey"),
    ("530 5.7.0 Must issue a STARTTLS command first.", "auth.tls_required", "variable your app reads"),
])
def test_provider_auth_replies_get_the_providers_fix(check, account, good_tls, reply, reason, remedy_words, smtp_server):
    server = smtp_server("ssl", good_tls, auth_reply=reply)
    out = check(account(server.port, SMTP_SECURE="true", SMTP_PASSWORD="wrong-password-1"))
    probe = failure(out)
    assert failed_at(out) == ("auth", "EAUTH", reason)
    assert remedy_words in probe["remedy"]


def test_gmail_enhanced_code_is_reported(check, account, good_tls, smtp_server):
    reply = "534-5.7.9 Application-specific password required.\r\n534 5.7.9 more - gsmtp"
    server = smtp_server("ssl", good_tls, auth_reply=reply)
    out = check(account(server.port, SMTP_SECURE="true", SMTP_PASSWORD="wrong-password-1"))
    assert failure(out)["error"]["enhanced_code"] == "5.7.9"


def test_auth_not_offered_on_this_port(check, account, good_tls):
    with ScriptedServer(ehlo=b"250-smtp.test\r\n250 8BITMIME\r\n", context=good_tls) as server:
        out = check(account(server.port, SMTP_SECURE="true"))
    probe = failure(out)
    assert (probe["name"], probe["error"]["reason"]) == ("auth", "auth.not_offered")
    assert "submission port" in probe["remedy"]


def test_auth_offered_only_after_starttls(check, env_file, starttls_server):
    env = env_file(FLASK.format(port=starttls_server.port, flags="MAIL_USE_SSL=false\nMAIL_USE_TLS=false\n"))
    out = check(env)
    probe = failure(out)
    assert probe["error"]["reason"] == "auth.not_offered"
    assert "after which AUTH usually appears" in probe["error"]["message"]
    assert probe["remedy"] == ("Set MAIL_USE_TLS=true. Verified in this run: port "
                               f"{starttls_server.port} answered with STARTTLS and accepted the login.")


def test_no_mechanism_we_can_use(check, account):
    ehlo = b"250-smtp.test\r\n250 AUTH XOAUTH2 OAUTHBEARER\r\n"
    with ScriptedServer(ehlo=ehlo) as server:
        out = check(account(server.port), "--security", "plain")
    probe = failure(out)
    assert probe["error"]["reason"] == "auth.no_shared_mechanism"
    assert "XOAUTH2 OAUTHBEARER" in probe["error"]["message"]


# --- envelope -----------------------------------------------------------------

@pytest.mark.parametrize(("reply", "reason"), [
    ("501 mail from address must be same as authorization user", "envelope.sender_not_login"),
    ("553 Mail from must equal authorized user", "envelope.sender_not_login"),
    ("550 The from address does not match a verified Sender Identity. Mail cannot be sent until "
     "this error is resolved.", "envelope.sender_unverified"),
    ("553 5.7.1 <noreply@other.test>: Sender address rejected", "envelope.sender_rejected"),
])
def test_sender_refusals(check, account, good_tls, reply, reason, smtp_server):
    server = smtp_server("starttls", good_tls, handler=Recorder(mail_reply=reply))
    out = check(account(server.port, SMTP_FROM="noreply@other.test"))
    probe = failure(out)
    assert failed_at(out) == ("envelope", "EENVELOPE", reason)
    assert "SMTP_FROM" in probe["remedy"]


def test_recipient_refused(check, account, good_tls, smtp_server):
    handler = Recorder(rcpt_reply="550 5.7.1 Relaying denied")
    server = smtp_server("starttls", good_tls, handler=handler)
    out = check(account(server.port))
    assert failure(out)["error"]["reason"] == "envelope.relay_denied"


# --- transcript and secrets ---------------------------------------------------

def test_verbose_transcript_redacts_credentials(smtpdoctor, account, starttls_server, ca_file, no_password_leak):
    out = smtpdoctor("check", "--env-file", account(starttls_server.port), "--ca-file", ca_file, "-v")
    assert out.exit_code == 0
    assert "C: AUTH PLAIN <credentials redacted>" in out.stdout
    assert "S: 235 2.7.0 Authentication successful" in out.stdout
    no_password_leak(out.stdout + out.stderr)


def test_a_server_echoing_the_credentials_is_redacted(check, account, no_password_leak):
    import base64

    echoed = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()
    with ScriptedServer({"AUTH": f"535 5.7.8 Error: authentication failed: {echoed}\r\n".encode()}) as server:
        out = check(account(server.port), "--security", "plain", "-v")
    assert failure(out)["error"]["reply"] == "535 5.7.8 Error: authentication failed: ********"
    no_password_leak(out.stdout + out.stderr)
    assert any("AUTH PLAIN <credentials redacted>" in line for line in out.doc["transcript"])


# --- a crash is a result, never a traceback -----------------------------------

def test_a_probe_that_crashes_becomes_a_failed_result(check, account, starttls_server, monkeypatch):
    from smtpdoctor.runner import pipeline

    async def broken(session):
        raise RuntimeError("bug in smtp probe")

    monkeypatch.setitem(pipeline.PROBES, "smtp", broken)
    out = check(account(starttls_server.port))
    assert out.exit_code == 3  # smtpdoctor's own bug, never a verdict on the settings
    assert (out.doc["exit_code"], out.doc["ok"]) == (3, False)
    probe = failure(out)
    assert (probe["name"], probe["error"]["reason"]) == ("smtp", "internal.crash")
    assert "RuntimeError: bug in smtp probe" in probe["error"]["message"]
    assert out.statuses()["auth"] == "skip"


def test_a_crash_outside_the_probes_exits_3_with_a_message(monkeypatch, capsys):
    from smtpdoctor import cli as cli_module

    def explode(**kwargs):
        raise ValueError("unexpected")

    monkeypatch.setattr(cli_module.cli, "main", explode)
    with pytest.raises(SystemExit) as stopped:
        cli_module.main()
    assert stopped.value.code == 3
    err = capsys.readouterr().err
    assert "internal error: ValueError: unexpected" in err and "Traceback" not in err


def test_the_transcript_is_in_the_json_only_with_verbose(starttls_server, check, account):
    quiet = check(account(starttls_server.port))
    verbose = check(account(starttls_server.port), "-v")
    assert "transcript" not in quiet.doc
    assert any(line.startswith("C: EHLO") for line in verbose.doc["transcript"])
