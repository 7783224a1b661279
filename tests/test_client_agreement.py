"""What the app's own client does, checked: relays without AUTH, settings with no credentials,
clients that skip the login, the clients' default ports, an explicit `false`, security_protocol
as seed 004's API compares it, and certificates the client never checks. The real libraries'
behaviour behind each case is run in tests/conformance (ground_truth.md)."""

from __future__ import annotations

import pytest

from tests.conformance.servers import ConformanceServer
from tests.conftest import failure
from tests.servers import PASSWORD, USER


@pytest.fixture
def relay():
    """An internal relay: no TLS, no AUTH offered, anyone on this machine may send."""
    with ConformanceServer("plain", auth="none") as server:
        yield server


@pytest.fixture
def submission(good_tls):
    """A real submission port: STARTTLS, AUTH only after it, and MAIL refused before a login."""
    with ConformanceServer("starttls", good_tls, auth="required") as server:
        yield server


def test_localhost_25_style_relay_with_no_credentials_is_checked_as_the_app_uses_it(check, env_file, relay):
    out = check(env_file(f"EMAIL_HOST=localhost\nEMAIL_PORT={relay.port}\nDEFAULT_FROM_EMAIL=app@example.com\n"))
    assert out.exit_code == 0, out.doc
    assert out.statuses() == {"dns": "pass", "tcp": "pass", "tls": "pass", "smtp": "pass", "auth": "skip",
                              "envelope": "pass"}
    assert "sends without logging in" in out.probe("auth")["summary"]
    findings = {f["reason"]: f for f in out.doc["findings"]}
    assert findings["config.no_credentials"]["severity"] == "info"
    assert "EMAIL_HOST_USER" in findings["config.no_credentials"]["message"]
    # A relay on this machine is no cloud's port 25, and a file with no password holds none.
    assert "config.port_25_blocked" not in findings and "config.dotenv_permissions" not in findings


def test_no_credentials_against_a_server_that_wants_a_login_fails_at_the_envelope(check, env_file, submission):
    out = check(env_file(f"EMAIL_HOST=localhost\nEMAIL_PORT={submission.port}\nEMAIL_USE_TLS=true\n"
                         "DEFAULT_FROM_EMAIL=app@example.com\n"))
    assert out.exit_code == 1
    probe = failure(out)
    assert (probe["name"], probe["error"]["reason"], probe["error"]["reply_code"]) == (
        "envelope", "envelope.auth_required", 530)


def test_a_provider_from_the_table_always_wants_a_login(smtpdoctor, env_file):
    out = smtpdoctor("config", "--env-file", env_file("SMTP_HOST=smtp.qq.com\nSMTP_PORT=465\n"
                                                      "SMTP_FROM=123456@qq.com\n"), "--json")
    assert out.exit_code == 2
    assert {"config.missing_username", "config.missing_password"} <= set(out.reasons())


def test_flask_mail_with_a_username_alone_sends_without_logging_in(check, env_file, relay):
    out = check(env_file(f"MAIL_SERVER=localhost\nMAIL_PORT={relay.port}\nMAIL_USERNAME={USER}\n"
                         f"MAIL_DEFAULT_SENDER={USER}\n"))
    assert out.exit_code == 0, out.doc
    finding = next(f for f in out.doc["findings"] if f["reason"] == "config.credentials_incomplete")
    assert finding["severity"] == "warning"
    assert "Flask-Mail logs in only when both MAIL_USERNAME and MAIL_PASSWORD are set" in finding["message"]
    assert out.probe("auth")["status"] == "skip"


@pytest.mark.parametrize("env", [
    "EMAIL_HOST=localhost\nEMAIL_PORT={port}\nEMAIL_USER={user}\nEMAIL_PASS={password}\nEMAIL_FROM={user}\n",
    "MAIL_HOST=localhost\nMAIL_PORT={port}\nMAIL_USERNAME={user}\nMAIL_PASSWORD={password}\n"
    "MAIL_FROM_ADDRESS={user}\nMAIL_MAILER=smtp\n",
], ids=["nodemailer", "laravel"])
def test_a_client_that_skips_the_login_when_no_auth_is_offered_passes_there(check, env_file, relay, env,
                                                                             no_password_leak):
    out = check(env_file(env.format(port=relay.port, user=USER, password=PASSWORD)))
    assert out.exit_code == 0, out.doc
    auth = out.probe("auth")
    assert (auth["status"], auth["warning"]["reason"]) == ("warn", "auth.credentials_unused")
    assert "sends without logging in" in auth["summary"]
    assert "are not used here" in auth["warning"]["message"]
    assert relay.handler.logins == []
    no_password_leak(out.stdout)


def test_a_client_that_raises_when_no_auth_is_offered_fails_there(check, env_file, relay):
    out = check(env_file(f"EMAIL_HOST=localhost\nEMAIL_PORT={relay.port}\nEMAIL_HOST_USER={USER}\n"
                         f"EMAIL_HOST_PASSWORD={PASSWORD}\nDEFAULT_FROM_EMAIL={USER}\n"))
    assert out.exit_code == 1
    assert failure(out)["error"]["reason"] == "auth.not_offered"


@pytest.mark.parametrize(("env", "port", "client"), [
    ("SMTP_HOST=mail.internal.example\nSMTP_USER=a@example.com\nSMTP_PASSWORD=x\n", 587, "generic"),
    ("SMTP_HOST=mail.internal.example\nSMTP_SECURE=true\nSMTP_USER=a@example.com\nSMTP_PASSWORD=x\n", 465,
     "generic"),
    ("EMAIL_HOST=mail.internal.example\nEMAIL_USER=a@example.com\nEMAIL_PASS=x\n", 587, "nodemailer"),
    ("EMAIL_HOST=mail.internal.example\nEMAIL_SECURE=true\nEMAIL_USER=a@example.com\nEMAIL_PASS=x\n", 465,
     "nodemailer"),
    ("MAIL_HOST=mail.internal.example\nMAIL_USERNAME=a@example.com\nMAIL_PASSWORD=x\nMAIL_MAILER=smtp\n", 2525,
     "laravel"),
])
def test_a_missing_port_is_the_clients_default_never_0(smtpdoctor, env_file, env, port, client):
    out = smtpdoctor("config", "--env-file", env_file(env), "--json")
    settings = out.doc["settings"]
    assert (settings["port"], settings["client"]["id"]) == (port, client)


def test_an_explicit_false_is_read_where_the_port_would_say_otherwise(check, env_file, ssl_server, starttls_server):
    """SMTP_SECURE=false on an implicit-TLS port: a plain connect there gets no greeting (nodemailer:
    "Greeting never received"). The fix found on the wire turns the flag on."""
    out = check(env_file(f"SMTP_HOST=localhost\nSMTP_PORT={ssl_server.port}\nSMTP_SECURE=false\n"
                         f"SMTP_USER={USER}\nSMTP_PASSWORD={PASSWORD}\nSMTP_FROM={USER}\n"),
                alt_ports=str(starttls_server.port))
    assert out.exit_code == 1
    assert failure(out)["error"]["reason"] == "tls.wrong_mode"
    assert out.doc["settings"]["security"] == "starttls"
    assert next(f["changes"] for f in out.doc["fixes"]) in ({"SMTP_SECURE": "true"},
                                                           {"SMTP_PORT": str(starttls_server.port)})


@pytest.mark.parametrize(("word", "server", "passes"), [
    ("TLS", "ssl", True), ("tls", "ssl", False), ("tls", "starttls", True), ("TLS", "starttls", False),
    ("SSL", "starttls", True),
])
def test_security_protocol_as_seed_004s_api_compares_it(check, env_file, ssl_server, starttls_server,
                                                        word, server, passes):
    """`use_tls=security_protocol == 'TLS'`: case-sensitive; anything else is a plain connect that
    aiosmtplib upgrades with STARTTLS when offered."""
    port = (ssl_server if server == "ssl" else starttls_server).port
    out = check(env_file(f"smtp_host=localhost\nsmtp_port={port}\nsmtp_username={USER}\n"
                         f"smtp_password={PASSWORD}\nfrom_email={USER}\nsecurity_protocol={word}\n"),
                "--client", "aiosmtplib", timeout="1")
    assert (out.exit_code == 0) is passes, out.doc["probes"]
    if not passes:
        assert failure(out)["error"]["reason"] == "tls.wrong_mode"


@pytest.mark.parametrize(("client", "env", "reason"), [
    ("flask-mail", "MAIL_SERVER=localhost\nMAIL_PORT={port}\nMAIL_USE_TLS=true\nMAIL_USERNAME={user}\n"
     "MAIL_PASSWORD={password}\nMAIL_DEFAULT_SENDER={user}\n", "tls.cert_unchecked"),
    ("smtplib", "SMTP_HOST=localhost\nSMTP_PORT={port}\nSMTP_TLS=true\nSMTP_USER={user}\n"
     "SMTP_PASSWORD={password}\nSMTP_FROM={user}\n", "tls.cert_unchecked"),
    ("django", "EMAIL_HOST=localhost\nEMAIL_PORT={port}\nEMAIL_USE_TLS=true\nEMAIL_HOST_USER={user}\n"
     "EMAIL_HOST_PASSWORD={password}\nDEFAULT_FROM_EMAIL={user}\n", "tls.cert_untrusted"),
])
def test_a_bad_certificate_says_whether_the_apps_client_checks_it(check, env_file, untrusted_tls, client, env,
                                                                  reason):
    with ConformanceServer("starttls", untrusted_tls) as server:
        out = check(env_file(env.format(port=server.port, user=USER, password=PASSWORD)), "--client", client)
    probe = failure(out)
    assert (out.exit_code, probe["name"], probe["error"]["reason"]) == (1, "tls", reason)
    if reason == "tls.cert_unchecked":
        assert "does not check certificates, so this app will still send" in probe["error"]["message"]
        assert "not signed by a CA this machine trusts" in probe["error"]["message"]
        assert "create_default_context()" in probe["remedy"] or "Flask-Mailman" in probe["remedy"]


def test_a_bad_certificate_the_client_does_not_check_in_chinese(check, env_file, untrusted_tls):
    with ConformanceServer("starttls", untrusted_tls) as server:
        out = check(env_file(f"MAIL_SERVER=localhost\nMAIL_PORT={server.port}\nMAIL_USE_TLS=true\n"
                             f"MAIL_USERNAME={USER}\nMAIL_PASSWORD={PASSWORD}\nMAIL_DEFAULT_SENDER={USER}\n"),
                    "--lang", "zh")
    probe = failure(out)
    assert "不校验证书，所以应用仍会发送" in probe["error"]["message"]
    assert "Flask-Mail 无法开启校验" in probe["remedy"]


def test_localhost_25_with_no_credentials_checks_the_relay_there(check, env_file):
    """The literal case: EMAIL_HOST=localhost, EMAIL_PORT=25, no user (Postfix on the host)."""
    import socket

    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", 25))
        except OSError as exc:
            pytest.skip(f"port 25 cannot be bound here ({exc.strerror})")
    with ConformanceServer("plain", auth="none", port=25) as relay:
        out = check(env_file("EMAIL_HOST=localhost\nEMAIL_PORT=25\nDEFAULT_FROM_EMAIL=app@example.com\n"))
    assert out.exit_code == 0, out.doc
    assert out.doc["settings"]["port"] == 25 and out.probe("auth")["status"] == "skip"
    assert "config.port_25_blocked" not in out.reasons()
    assert relay.handler.logins == []
