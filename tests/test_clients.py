"""The client model against real servers on loopback: each check does what the
app's own client would do, fixes are verified on the wire, and one run finds
every problem. Each scenario here was a false green or a wrong fix before."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import failure
from tests.servers import PASSWORD, USER, Recorder, ScriptedServer, closed_port

FLASK = "MAIL_SERVER=localhost\nMAIL_PORT={port}\nMAIL_USERNAME=" + USER + "\nMAIL_PASSWORD=" + \
    PASSWORD + "\n"
DJANGO = "EMAIL_HOST=localhost\nEMAIL_PORT={port}\nEMAIL_HOST_USER=" + USER + \
    "\nEMAIL_HOST_PASSWORD=" + PASSWORD + "\n"
# The Flask app of the seed commit: smtplib.SMTP(host, port), starttls() only if MAIL_USE_TLS.
SEED_REQUIREMENTS = "Flask==2.3.3\npython-dotenv==1.0.0\nsecure-smtplib==0.1.1\n"
SEED_PROJECT = '[tool.smtpdoctor]\nclient = "smtplib"\ndefaults = { MAIL_USE_TLS = "true", MAIL_PORT = "587" }\n'


def statuses(probes: list[dict]) -> list[str]:
    return [p["status"] for p in probes]


# --- Flask-Mail and Django with no TLS flag connect in plaintext ---------------------

@pytest.mark.parametrize(("template", "fix"), [(FLASK, "MAIL_USE_TLS"), (DJANGO, "EMAIL_USE_TLS")])
def test_no_tls_flag_is_probed_in_plaintext_like_the_app(check, env_file, starttls_server, template, fix):
    # Gmail's 587: AUTH appears only after STARTTLS, so the app's plaintext login fails.
    out = check(env_file(template.format(port=starttls_server.port)))
    assert out.exit_code == 1
    probe = failure(out)
    assert (probe["name"], probe["error"]["reason"]) == ("auth", "auth.not_offered")
    assert out.probe("tls")["summary"].startswith("no TLS (plain, as the settings say)")
    # The settings already said why: that finding leads the fix.
    assert probe["remedy"].startswith("No TLS setting is given, so ")
    assert probe["remedy"].endswith(
        f"Set {fix}=true. Verified in this run: port {starttls_server.port} answered with STARTTLS and "
        "accepted the login.")
    assert out.doc["fixes"] == [{
        "changes": {fix: "true"}, "verified": True, "reason": "auth.not_offered", "alternatives": [],
        "probes": out.doc["fixes"][0]["probes"]}]
    assert statuses(out.doc["fixes"][0]["probes"]) == ["pass"] * 6
    assert starttls_server.handler.logins == [USER]  # only the trial could log in


def test_flask_mail_with_its_tls_flag_passes(check, env_file, starttls_server):
    out = check(env_file(FLASK.format(port=starttls_server.port) + "MAIL_USE_TLS=true\n"))
    assert out.exit_code == 0, out.doc["probes"]
    assert out.doc["fixes"] == []
    assert out.doc["settings"]["client"] == {"id": "flask-mail", "source": "family",
                                             "why": "the Flask-Mail variables"}


# --- nodemailer without a service talks to localhost -----------------------------------

def test_nodemailer_without_email_provider_is_a_configuration_error(smtpdoctor, env_file):
    env = env_file(EMAIL_USER="123456@qq.com", EMAIL_PASSWORD="abcdefghijklmnop")
    out = smtpdoctor("check", "--env-file", env, "--json")
    assert out.exit_code == 2
    finding = next(f for f in out.doc["findings"] if f["reason"] == "config.nodemailer_no_service")
    assert "connects to localhost:587" in finding["message"]
    assert finding["remedy"].startswith("Set EMAIL_PROVIDER=qq ")
    assert out.doc["settings"]["host"] is None  # no host guessed from EMAIL_USER
    assert "config.missing_host" not in out.reasons()


def test_nodemailer_service_preset_wins_over_email_host(smtpdoctor, env_file):
    env = env_file(EMAIL_PROVIDER="qq", EMAIL_HOST="smtp.example.com", EMAIL_USER="1@qq.com",
                   EMAIL_PASSWORD="abcdefghijklmnop")
    out = smtpdoctor("config", "--env-file", env, "--json")
    settings = out.doc["settings"]
    assert (settings["host"], settings["port"], settings["security"]) == ("smtp.qq.com", 465, "ssl")
    assert "config.service_overrides" in out.reasons()


# --- an app that calls smtplib.SMTP() can never speak implicit TLS ------------------------

def seed_app(tmp_path: Path, env: str) -> str:
    (tmp_path / "requirements.txt").write_text(SEED_REQUIREMENTS)
    (tmp_path / "pyproject.toml").write_text(SEED_PROJECT)
    path = tmp_path / ".env"
    path.write_text(env)
    path.chmod(0o600)
    return str(path)


def test_smtplib_app_on_an_implicit_tls_port_gets_the_port_fix_it_can_use(check, tmp_path, ssl_server, starttls_server):
    env = seed_app(tmp_path, FLASK.format(port=ssl_server.port) + "MAIL_USE_SSL=true\n")
    out = check(env, alt_ports=str(starttls_server.port))
    assert out.doc["settings"]["client"]["id"] == "smtplib"
    assert out.doc["settings"]["client"]["source"] == "pyproject.toml"
    assert "config.flag_not_read" in out.reasons()
    probe = failure(out)
    assert (probe["name"], probe["error"]["reason"]) == ("tls", "tls.wrong_mode")
    assert "MAIL_USE_SSL=true" not in probe["remedy"]  # a variable the app never reads
    assert f"Set MAIL_PORT={starttls_server.port}. Verified in this run" in probe["remedy"]
    assert out.doc["fixes"][0]["changes"] == {"MAIL_PORT": str(starttls_server.port)}
    assert ssl_server.handler.logins == []  # the app never gets that far there


def test_smtplib_is_chosen_from_a_requirements_file_without_a_mail_library(smtpdoctor, tmp_path):
    (tmp_path / "requirements.txt").write_text(SEED_REQUIREMENTS)
    (tmp_path / ".env").write_text("MAIL_SERVER=smtp.qq.com\nMAIL_PORT=465\n")
    out = smtpdoctor("config", "--json")
    assert out.doc["settings"]["client"] == {
        "id": "smtplib", "source": "requirements.txt",
        "why": "requirements.txt lists no mail library (the standard smtplib)"}
    # No TLS flag: SMTP() then speaks plaintext to a port that waits for TLS.
    assert out.doc["settings"]["security"] == "plain"


def test_the_apps_own_defaults_come_from_the_project_file(smtpdoctor, tmp_path):
    seed_app(tmp_path, "MAIL_SERVER=smtp.qq.com\nMAIL_USERNAME=1@qq.com\n")
    out = smtpdoctor("config", "--json")
    settings = out.doc["settings"]
    assert (settings["port"], settings["security"]) == (587, "starttls")
    assert settings["sources"]["port"] == "MAIL_PORT (app default in pyproject.toml)"


@pytest.mark.parametrize(("files", "client", "source"), [
    ({"requirements.txt": "Flask-Mail>=0.9\n"}, "flask-mail", "requirements.txt"),
    ({"requirements-prod.txt": "django==5.0\n"}, "django", "requirements-prod.txt"),
    ({"Pipfile": '[packages]\naiosmtplib = "*"\n'}, "aiosmtplib", "Pipfile"),
    ({"package.json": json.dumps({"dependencies": {"nodemailer": "^6.9.0"}})}, "nodemailer",
     "package.json"),
    ({"composer.json": json.dumps({"require": {"laravel/framework": "^11.0"}})}, "laravel",
     "composer.json"),
    ({".smtpdoctor.toml": 'client = "smtplib-ssl"\n', "requirements.txt": "flask-mail\n"},
     "smtplib-ssl", ".smtpdoctor.toml"),
])
def test_auto_chooses_the_client_from_the_app_folder(smtpdoctor, tmp_path, files, client, source):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / ".env").write_text("SMTP_HOST=smtp.example.com\nSMTP_PORT=587\n")
    out = smtpdoctor("config", "--json")
    assert (out.doc["settings"]["client"]["id"], out.doc["settings"]["client"]["source"]) == (
        client, source)
    assert smtpdoctor("config", "--json", "--client", "django").doc["settings"]["client"] == {
        "id": "django", "source": "--client", "why": "given on the command line"}


def test_a_broken_project_file_is_exit_2(smtpdoctor, tmp_path):
    (tmp_path / ".smtpdoctor.toml").write_text('client = "phpmailer"\n')
    (tmp_path / ".env").write_text("SMTP_HOST=smtp.example.com\n")
    out = smtpdoctor("config", "--json")
    assert out.exit_code == 2
    finding = next(f for f in out.doc["findings"] if f["reason"] == "config.project_file_invalid")
    assert "'phpmailer' is not one of" in finding["message"]


def test_the_apps_own_variable_names_are_read_and_named_in_the_fix(check, tmp_path, starttls_server):
    (tmp_path / ".smtpdoctor.toml").write_text(
        'client = "flask-mail"\n[variables]\nMAILER_HOST = "MAIL_SERVER"\nMAILER_PORT = "MAIL_PORT"\n'
        'MAILER_TLS = "MAIL_USE_TLS"\nMAILER_USER = "MAIL_USERNAME"\nMAILER_PASS = "MAIL_PASSWORD"\n')
    env = tmp_path / "app.env"
    env.write_text(f"MAILER_HOST=localhost\nMAILER_PORT={starttls_server.port}\nMAILER_USER={USER}\n"
                   f"MAILER_PASS={PASSWORD}\n")
    env.chmod(0o600)
    out = check(str(env))
    assert out.doc["settings"]["sources"]["host"] == f"MAILER_HOST ({env})"
    assert out.doc["fixes"][0]["changes"] == {"MAILER_TLS": "true"}


# --- Laravel: Symfony Mailer upgrades with STARTTLS whenever offered -----------------------

def test_laravel_encryption_ssl_on_a_starttls_port_works_as_symfony_does(check, env_file, starttls_server):
    out = check(env_file(f"MAIL_MAILER=smtp\nMAIL_HOST=localhost\nMAIL_PORT={starttls_server.port}\n"
                         f"MAIL_ENCRYPTION=ssl\nMAIL_USERNAME={USER}\nMAIL_PASSWORD={PASSWORD}\n"))
    assert out.exit_code == 0, out.doc["probes"]
    assert out.probe("tls")["summary"].startswith("STARTTLS")


def test_opportunistic_client_goes_on_in_clear_when_starttls_is_missing(check, env_file, plain_server):
    """Symfony Mailer sends there (tests/conformance), with the password in clear: a failure all
    the same, under its own reason, which says that the app will send."""
    out = check(env_file(f"MAIL_HOST=localhost\nMAIL_PORT={plain_server.port}\nMAIL_USERNAME={USER}\n"
                         f"MAIL_PASSWORD={PASSWORD}\nMAIL_FROM_ADDRESS={USER}\n"))
    assert out.exit_code == 1
    tls = failure(out)
    assert (tls["name"], tls["error"]["code"], tls["error"]["reason"]) == ("tls", "ETLS", "tls.password_in_clear")
    assert "this app will send" in tls["error"]["message"] and "clear text" in tls["error"]["message"]
    assert "Laravel (Symfony Mailer)" in tls["error"]["message"]
    assert "Tried:" in tls["remedy"] and "Set " not in tls["remedy"]
    assert plain_server.handler.logins == []  # the password never went out in clear


# --- fixes are verified, never guessed -----------------------------------------------------

def test_a_silent_server_gets_no_guessed_port(check, account):
    from tests.servers import SilentServer

    with SilentServer() as silent:
        out = check(account(silent.port), alt_ports=f"{closed_port()}", timeout="1")
    remedy = failure(out)["remedy"]
    assert not re.search(r"\b465\b", remedy) and "Set " not in remedy  # (the port may contain 465)
    assert "No change that" in remedy and "(no answer)" in remedy
    assert out.doc["fixes"] == []


def test_no_remedy_anywhere_is_empty_or_unfilled(smtpdoctor, account, ca_file):
    out = smtpdoctor("check", "--env-file", account(closed_port()), "--alt-ports", "none")
    assert "→ fix: Set ." not in out.stdout and "{" not in out.stdout
    for lang in ("en", "zh"):
        doc = smtpdoctor("check", "--env-file", account(closed_port()), "--alt-ports", "none",
                         "--json", "--lang", lang).doc
        for item in doc["findings"] + doc["probes"]:
            assert item.get("remedy") is None or item["remedy"].strip(), item


def test_port_25_plain_gets_one_coherent_fix(smtpdoctor, env_file, plain_server, ssl_server, ca_file):
    # 163 on port 25: plaintext, password in clear. Once three fixes disagreed.
    env = env_file(FLASK.format(port=plain_server.port).replace("localhost", "localhost") +
                   "MAIL_USE_TLS=false\n")
    out = smtpdoctor("check", "--env-file", env, "--ca-file", ca_file, "--alt-ports",
                     str(ssl_server.port), "--provider", "163")
    assert out.exit_code == 0
    assert out.stdout.count("Set ") == 1, out.stdout
    assert f"Set MAIL_PORT={ssl_server.port}, MAIL_USE_SSL=true. Verified in this run" in out.stdout


# --- one run, every problem ------------------------------------------------------------

def test_after_the_tls_fix_the_wrong_password_is_reported_too(check, env_file, good_tls, smtp_server):
    qq = "535 Login Fail. Please enter your authorization code to login. More information in " \
         "http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=28&&no=1001256"
    server = smtp_server("starttls", good_tls, auth_reply=qq, password="the-real-code")
    out = check(env_file(FLASK.format(port=server.port) + "MAIL_USE_SSL=true\n"))
    assert out.exit_code == 1  # the settings as given
    assert failure(out)["error"]["reason"] == "tls.wrong_mode"
    assert "and took the login (the credentials themselves are refused" in failure(out)["remedy"]
    [fix] = out.doc["fixes"]
    assert fix["changes"] == {"MAIL_USE_SSL": "false", "MAIL_USE_TLS": "true"}
    then = next(p for p in fix["probes"] if p["status"] == "fail")
    assert (then["name"], then["error"]["reason"]) == ("auth", "auth.authorization_code_required")
    assert "授权码" in then["remedy"]
    assert len(server.handler.logins) == 1  # one refused login, not one per port tried


def test_human_report_shows_what_fails_next(smtpdoctor, env_file, good_tls, ca_file, smtp_server):
    server = smtp_server("starttls", good_tls, password="other")
    out = smtpdoctor("check", "--env-file", env_file(FLASK.format(port=server.port) +
                                                      "MAIL_USE_SSL=true\n"),
                     "--ca-file", ca_file, "--alt-ports", "none", "--quiet")
    assert out.exit_code == 1
    lines = out.stdout.splitlines()
    then = lines.index("then, with MAIL_USE_SSL=false, MAIL_USE_TLS=true:")
    fix = next(i for i, line in enumerate(lines) if "→ fix:" in line)
    assert lines[fix].strip().startswith("→ fix: Set MAIL_USE_SSL=false, MAIL_USE_TLS=true.")
    assert fix < then
    assert lines[then + 1].strip().startswith("✗ auth")


def test_sender_fix_is_verified_and_chained_after_the_tls_fix(check, env_file, good_tls, smtp_server):
    handler = Recorder(mail_reply="501 mail from address must be same as authorization user")

    class OnlyLogin(Recorder):
        async def handle_MAIL(self, server, session, envelope, address, options):
            if address != USER:
                return "501 mail from address must be same as authorization user"
            return await super().handle_MAIL(server, session, envelope, address, options)

    handler = OnlyLogin()
    server = smtp_server("starttls", good_tls, handler=handler)
    out = check(env_file(FLASK.format(port=server.port) +
                         "MAIL_USE_SSL=true\nMAIL_DEFAULT_SENDER=App <noreply@example.com>\n"))
    assert [f["changes"] for f in out.doc["fixes"]] == [
        {"MAIL_USE_SSL": "false", "MAIL_USE_TLS": "true"}, {"MAIL_DEFAULT_SENDER": USER}]
    first_then = next(p for p in out.doc["fixes"][0]["probes"] if p["status"] == "fail")
    assert first_then["error"]["reason"] == "envelope.sender_not_login"
    assert first_then["remedy"] == (f"Set MAIL_DEFAULT_SENDER={USER}. Verified in this run: "
                                    "the server accepted that sender.")
    assert statuses(out.doc["fixes"][1]["probes"]) == ["pass"] * 6
    assert handler.received == []  # nothing was sent on the way


# --- replies are classified by what they say -----------------------------------------------

@pytest.mark.parametrize(("verb", "reply", "reason"), [
    ("RCPT", b"553 5.7.1 <noreply@example.com>: Sender address rejected: not owned by user "
             b"dev@example.com\r\n", "envelope.sender_not_login"),
    ("MAIL", b"553 5.7.1 <noreply@example.com>: Sender address rejected: not logged in\r\n",
     "envelope.auth_required"),
    ("RCPT", b"554 5.7.1 <x@elsewhere.test>: Relay access denied\r\n", "envelope.relay_denied"),
    ("RCPT", b"550 relay not permitted\r\n", "envelope.relay_denied"),
    ("RCPT", b"550-Verification failed for <noreply@example.com>\r\n550-Unrouteable address\r\n"
             b"550 Sender verify failed\r\n", "envelope.sender_rejected"),
    ("RCPT", b"550 5.1.1 <dev@example.com>: Recipient address rejected: User unknown in local "
             b"recipient table\r\n", "envelope.recipient_rejected"),
])
def test_envelope_replies_of_postfix_and_exim(check, account, verb, reply, reason):
    with ScriptedServer({"AUTH": b"235 2.7.0 Authentication successful\r\n", verb: reply}) as server:
        out = check(account(server.port, SMTP_FROM="noreply@example.com"), "--security", "plain")
    probe = failure(out)
    assert (probe["name"], probe["error"]["reason"]) == ("envelope", reason)


@pytest.mark.parametrize(("reply", "reason"), [
    (b"535 5.7.8 Error: authentication failed: authentication failure\r\n", "auth.bad_credentials"),
    (b"535 Incorrect authentication data\r\n", "auth.bad_credentials"),
])
def test_auth_replies_of_postfix_and_exim(check, account, reply, reason):
    with ScriptedServer({"AUTH": reply}) as server:
        out = check(account(server.port), "--security", "plain")
    assert failure(out)["error"]["reason"] == reason


# --- findings that explain a failure lead its fix ---------------------------------------------

def test_environment_overriding_dotenv_leads_the_auth_fix(smtpdoctor, account, starttls_server, ca_file):
    out = smtpdoctor("check", "--env-file", account(starttls_server.port), "--ca-file", ca_file,
                     "--alt-ports", "none", "--quiet", env={"SMTP_PASSWORD": "stale-from-pm2"})
    assert out.exit_code == 1
    fix = " ".join(out.stdout.split("→ fix:", 1)[1].split())  # the wrapped lines, joined
    assert fix.startswith("SMTP_PASSWORD is set in the environment and in ")
    assert "Check SMTP_USER" in fix


def test_quoted_password_leads_the_auth_fix(check, account, starttls_server):
    out = check(account(starttls_server.port, SMTP_PASSWORD=f"'\"{PASSWORD}\"'"))
    assert failure(out)["remedy"].startswith("The value of SMTP_PASSWORD")


def test_gmail_app_password_with_spaces_is_sent_as_is_and_explains_a_refusal(
        check, env_file, good_tls, smtp_server):
    spaced = "abcd efgh ijkl mnop"
    reply = "535-5.7.8 Username and Password not accepted.\r\n535 5.7.8 BadCredentials - gsmtp"
    server = smtp_server("starttls", good_tls, auth_reply=reply, password="abcdefghijklmnop")
    out = check(env_file(SMTP_HOST="localhost", SMTP_PORT=server.port, SMTP_USER=USER,
                         SMTP_PASSWORD=spaced), "--provider", "gmail")
    assert "config.app_password_spaces" in out.reasons()
    remedy = failure(out)["remedy"]
    assert remedy.startswith("The app password in SMTP_PASSWORD contains spaces")
    assert spaced not in out.stdout


# --- every client against the real servers -------------------------------------------------

SMTP_VARS = "SMTP_HOST=localhost\nSMTP_PORT={port}\nSMTP_USER=" + USER + "\nSMTP_PASSWORD=" + PASSWORD + "\n"
NODE_VARS = "EMAIL_HOST=localhost\nEMAIL_PORT={port}\nEMAIL_USER=" + USER + "\nEMAIL_PASS=" + PASSWORD + "\n"


@pytest.mark.parametrize(("client", "env", "mode", "outcome"), [
    ("smtplib", FLASK + "MAIL_USE_TLS=true\n", "starttls", "STARTTLS"),
    ("smtplib", FLASK, "starttls", "auth.not_offered"),  # no flag: plaintext, AUTH hidden
    ("smtplib", FLASK + "MAIL_USE_SSL=true\n", "ssl", "tls.wrong_mode"),
    ("smtplib-ssl", SMTP_VARS, "ssl", "implicit TLS"),
    ("smtplib-ssl", SMTP_VARS, "starttls", "tls.wrong_mode"),
    ("flask-mail", FLASK + "MAIL_USE_SSL=true\n", "ssl", "implicit TLS"),
    ("django", DJANGO + "EMAIL_USE_TLS=true\n", "starttls", "STARTTLS"),
    ("laravel", "MAIL_HOST=localhost\nMAIL_PORT={port}\nMAIL_SCHEME=smtps\nMAIL_USERNAME=" + USER +
     "\nMAIL_PASSWORD=" + PASSWORD + "\n", "ssl", "implicit TLS"),
    ("nodemailer", NODE_VARS + "EMAIL_SECURE=true\n", "ssl", "implicit TLS"),
    ("nodemailer", NODE_VARS, "starttls", "STARTTLS"),  # secure unset: STARTTLS when offered
    ("nodemailer", NODE_VARS + "EMAIL_SECURE=true\n", "starttls", "tls.wrong_mode"),
    ("aiosmtplib", SMTP_VARS, "starttls", "STARTTLS"),  # start_tls=None upgrades
    ("aiosmtplib", SMTP_VARS, "ssl", "tls.wrong_mode"),  # use_tls not set: plaintext to 465
    ("aiosmtplib", SMTP_VARS + "SMTP_SSL=true\n", "ssl", "implicit TLS"),
])
def test_each_client_connects_as_its_code_does(check, env_file, good_tls, client, env, mode, outcome, smtp_server):
    server = smtp_server(mode, good_tls)
    out = check(env_file(env.format(port=server.port)), "--client", client, timeout="3")
    assert out.doc["settings"]["client"]["id"] == client
    if "." in outcome:
        assert failure(out)["error"]["reason"] == outcome
    else:
        assert out.exit_code == 0, out.doc["probes"]
        assert out.probe("tls")["summary"].startswith(outcome)


def test_github_annotations_also_name_what_fails_after_the_fix(smtpdoctor, env_file, good_tls, ca_file, smtp_server):
    server = smtp_server("starttls", good_tls, password="other")
    out = smtpdoctor("check", "--env-file", env_file(FLASK.format(port=server.port) +
                                                      "MAIL_USE_SSL=true\n"),
                     "--ca-file", ca_file, "--alt-ports", "none", "--format", "github")
    errors = [line for line in out.stdout.splitlines() if line.startswith("::error ")]
    assert errors[0].startswith("::error title=smtpdoctor tls%3A ETLS tls.wrong_mode::")
    assert errors[1].startswith("::error title=smtpdoctor auth (with MAIL_USE_SSL=false%2C "
                                "MAIL_USE_TLS=true)%3A EAUTH auth.bad_credentials::")


def test_the_smallest_change_uses_the_keys_the_user_has():
    """Exmail refused on 587 and 163 dropped on 25, with SMTP_* settings and no TLS key: the
    port alone makes the generic reading implicit TLS on 465, so no SMTP_SECURE is added; a key
    the user already has is changed instead of a new one."""
    from smtpdoctor.config.clients import changes
    from smtpdoctor.config.preflight import resolve_mapping

    plain = resolve_mapping({"SMTP_HOST": "smtp.exmail.qq.com", "SMTP_PORT": "587", "SMTP_USER": "a@x.com",
                             "SMTP_PASSWORD": "p"}).settings
    assert changes(plain, 465, "ssl") == {"SMTP_PORT": "465"}
    said = resolve_mapping({"SMTP_HOST": "smtp.163.com", "SMTP_PORT": "25", "SMTP_SECURE": "false",
                            "SMTP_USER": "a@163.com", "SMTP_PASSWORD": "p"}).settings
    assert changes(said, 465, "ssl") == {"SMTP_PORT": "465", "SMTP_SECURE": "true"}
