"""The commands that need no network: config, providers, explain, and the
configuration errors every command reports with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from smtpdoctor.cli import cli

QQ_ENV = ("MAIL_SERVER=smtp.qq.com\nMAIL_PORT=465\nMAIL_USE_SSL=true\n"
          "MAIL_USERNAME=123456@qq.com\nMAIL_PASSWORD=abcdefghijklmnop\n")


def test_config_json_is_the_whole_documented_document(smtpdoctor, env_file):
    path = env_file(QQ_ENV)
    out = smtpdoctor("config", "--env-file", path, "--json")
    assert out.exit_code == 0
    assert out.doc == {
        "schema": 2,
        "ok": True,
        "exit_code": 0,
        "command": "config",
        "provider": {"id": "qq", "name": "QQ Mail"},
        "settings": {
            "host": "smtp.qq.com", "port": 465, "security": "ssl", "username": "123456@qq.com",
            "password": {"set": True, "length": 16}, "sender": "123456@qq.com",
            "family": "flask-mail",
            "client": {"id": "flask-mail", "source": "family", "why": "the Flask-Mail variables"},
            "dotenv": path,
            "sources": {
                "host": f"MAIL_SERVER ({path})",
                "password": f"MAIL_PASSWORD ({path})",
                "port": f"MAIL_PORT ({path})",
                "security": "derived from MAIL_USE_SSL",
                "sender": "derived from MAIL_USERNAME",
                "username": f"MAIL_USERNAME ({path})",
            },
            "login": "password",
            "oauth2": None,
            "code": None,
        },
        "findings": [],
        "probes": [],
    }
    assert "abcdefghijklmnop" not in out.stdout


def test_config_text_shows_sources_and_masks_the_password(smtpdoctor, env_file):
    out = smtpdoctor("config", "--env-file", env_file(QQ_ENV))
    assert out.exit_code == 0
    assert "← MAIL_SERVER" in out.stdout and "set (16 characters)" in out.stdout
    assert "abcdefghijklmnop" not in out.stdout


def test_dot_env_in_the_current_folder_is_the_default(smtpdoctor, tmp_path):
    (tmp_path / ".env").write_text(QQ_ENV)
    out = smtpdoctor("config", "--json")
    assert out.doc["settings"]["sources"]["host"] == "MAIL_SERVER (.env)"


@pytest.mark.parametrize(("args", "text", "reason"), [
    (["--env-file", "does-not-exist.env"], None, "config.dotenv_missing"),
    ([], "MAIL_SERVER=\nMAIL_USERNAME=a@qq.com\nMAIL_PASSWORD=x\n", "config.missing_host"),
    ([], QQ_ENV.replace("MAIL_PORT=465", "MAIL_PORT=smtp"), "config.bad_port"),
    (["--port", "abc"], QQ_ENV, "config.bad_port"),
    ([], QQ_ENV + 'MAIL_DEFAULT_SENDER="x\n', "config.dotenv_unparsable"),
    ([], QQ_ENV.replace("MAIL_PASSWORD=abcdefghijklmnop\n", ""), "config.missing_password"),
    (["--provider", "nosuch"], QQ_ENV, "config.unknown_provider"),
])
@pytest.mark.parametrize("command", ["config", "check", "send-test"])
def test_configuration_errors_exit_2_with_the_json_document(smtpdoctor, env_file, args, text,
                                                            reason, command):
    if text is not None:
        args = ["--env-file", env_file(text), *args]
    extra = ["you@example.com"] if command == "send-test" else []
    out = smtpdoctor(command, *extra, *args, "--json")
    assert out.exit_code == 2
    assert out.doc["exit_code"] == 2 and out.doc["ok"] is False
    assert reason in out.reasons()
    finding = next(f for f in out.doc["findings"] if f["reason"] == reason)
    assert finding["severity"] == "error" and finding["remedy"]
    if command != "config":
        assert {p["status"] for p in out.doc["probes"]} == {"skip"}
        assert [p["name"] for p in out.doc["probes"]][:6] == ["dns", "tcp", "tls", "smtp", "auth",
                                                              "envelope"]


def test_configuration_error_in_text_says_nothing_was_probed(smtpdoctor, env_file):
    out = smtpdoctor("check", "--env-file", env_file("SMTP_PORT=587\n"))
    assert out.exit_code == 2
    assert "No SMTP host is set." in out.stdout
    assert "Configuration error: nothing was probed (exit 2)" in out.stdout


def test_ca_file_that_is_not_a_certificate_is_a_configuration_error(smtpdoctor, env_file, tmp_path):
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate\n")
    out = smtpdoctor("check", "--env-file", env_file(QQ_ENV), "--ca-file", str(bogus), "--json")
    assert out.exit_code == 2
    assert "config.bad_ca_file" in out.reasons()


def test_broken_pipe_is_not_a_crash(tmp_path):
    """A reader that goes away (`| head`): click's EPIPE handling must keep
    working through our main(), which catches everything else as a crash."""
    script = Path(sys.executable).parent / "smtpdoctor"
    done = subprocess.run(f"'{script}' providers | true",
                          shell=True, executable="/bin/bash", capture_output=True, text=True, timeout=30)
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr


def test_bad_option_values_are_usage_errors(smtpdoctor):
    for args in (["--dns-server", "not-an-ip"], ["--alt-ports", "465,x"], ["--timeout", "-1"]):
        out = smtpdoctor("check", *args)
        assert out.exit_code == 2
        assert "Traceback" not in out.stderr and "Invalid value" in out.stderr


def test_providers_table(smtpdoctor):
    out = smtpdoctor("providers")
    assert out.exit_code == 0
    for text in ("smtp.qq.com", "465/ssl", "587/starttls", "authorization code", "apikey",
                 "https://myaccount.google.com/apppasswords"):
        assert text in out.stdout


def test_providers_json(smtpdoctor):
    doc = json.loads(smtpdoctor("providers", "--json").stdout)
    qq = next(p for p in doc["providers"] if p["id"] == "qq")
    assert qq["ports"] == {"465": "ssl", "587": "starttls"}
    assert qq["password_kind"] == "authorization_code"
    assert qq["sender_must_match_login"] is True


@pytest.mark.parametrize(("query", "reason"), [
    ("EAUTH", "auth.bad_credentials"),
    ("ETIMEDOUT", "tcp.timeout"),
    ("535", "auth.bad_credentials"),
    ("5.7.8", "auth.bad_credentials"),
    ("DT:SPM", "message.spam"),
    ("wrong version number", "tls.wrong_mode"),
    ("Error: Greeting never received", "tls.wrong_mode"),
    ("535 Login Fail. Please enter your authorization code to login.", "auth.authorization_code_required"),
    ("535 5.7.139 Authentication unsuccessful, basic authentication is disabled.", "auth.basic_auth_disabled"),
    ("550 User has no permission", "auth.smtp_service_disabled"),
    ("tls.cert_expired", "tls.cert_expired"),
])
def test_explain_finds_the_reason(smtpdoctor, query, reason):
    out = smtpdoctor("explain", query, "--json")
    assert out.exit_code == 0
    assert reason in [m["reason"] for m in json.loads(out.stdout)["matches"]]


def test_explain_qq_login_fail_names_the_authorization_code_in_both_languages(smtpdoctor):
    en = smtpdoctor("explain", "535 Login Fail", "--lang", "en").stdout
    zh = smtpdoctor("explain", "535 Login Fail", "--lang", "zh").stdout
    assert "authorization code (授权码)" in en and "QQ Mail" in en
    assert "生成授权码" in zh and "QQ 邮箱" in zh


@pytest.mark.parametrize(("environ", "chinese"), [
    ({"LANG": "zh_CN.UTF-8"}, True),
    ({"LANG": "en_US.UTF-8", "LC_ALL": "zh_TW.UTF-8"}, True),  # LC_ALL wins over LANG
    ({"LANG": "en_US.UTF-8", "LANGUAGE": "zh_CN:en"}, True),  # LANGUAGE wins over the locale…
    ({"LANG": "zh_CN.UTF-8", "LANGUAGE": "fr:en"}, False),  # …its first entry we speak
    ({"LANG": "zh_CN.UTF-8", "LANGUAGE": "fr:de"}, True),  # none: the locale decides
    ({"LANG": "C", "LANGUAGE": "zh_CN"}, False),  # gettext ignores LANGUAGE in the C locale
    ({"LANGUAGE": "zh_CN"}, False),  # no locale at all is the C locale
])
def test_explain_language_follows_the_locale_as_gettext_does(smtpdoctor, environ, chinese):
    unset = dict.fromkeys(("LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE"))
    out = smtpdoctor("explain", "DT:SPM", env=unset | environ)
    assert ("垃圾邮件" in out.stdout) is chinese, out.stdout


def test_explain_unknown_is_exit_2(smtpdoctor):
    out = smtpdoctor("explain", "flux capacitor")
    assert out.exit_code == 2
    assert "No explanation for 'flux capacitor'" in out.stderr


def test_every_command_is_documented_with_an_example():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert isinstance(cli, click.Group)
    for name, command in cli.commands.items():
        assert "Example:" in (command.help or ""), name
        assert f"smtpdoctor {name}" in readme, name


def run_module(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).parent).stdout


@pytest.mark.parametrize(("argv", "forbidden"), [
    (["--help"], ("rich", "dns", "aiosmtplib", "dotenv")),
    (["providers"], ("dns", "aiosmtplib", "dotenv")),
    (["explain", "EAUTH"], ("dns", "aiosmtplib", "dotenv")),
    (["config", "--env-file", "/dev/null"], ("dns", "aiosmtplib")),
])
def test_commands_import_only_what_they_use(argv, forbidden):
    code = (
        "import sys\nfrom smtpdoctor.cli import main\n"
        f"sys.argv = ['smtpdoctor', *{argv!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(','.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    loaded = set(run_module(code).strip().splitlines()[-1].split(","))
    assert not loaded & set(forbidden)


def test_installed_console_script_runs(tmp_path):
    script = Path(sys.executable).parent / "smtpdoctor"
    done = subprocess.run([str(script), "explain", "EDNS"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=30)
    assert done.returncode == 0
    assert "dns.nxdomain" in done.stdout
    version = subprocess.run([sys.executable, "-m", "smtpdoctor", "--version"],
                             capture_output=True, text=True, timeout=30)
    assert version.stdout.startswith("smtpdoctor, version ")
