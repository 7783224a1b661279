"""Every static finding: it appears when it should, with the remedy the user reads.
Each test fails if its finding disappears or stops naming the user's variable."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from smtpdoctor.config.preflight import resolve
from smtpdoctor.config.values import Options
from smtpdoctor.model import ErrorCode, Severity
from smtpdoctor.views.words import render

QQ = ("MAIL_SERVER=smtp.qq.com\nMAIL_PORT=465\nMAIL_USE_SSL=true\n"
      "MAIL_USERNAME=123456@qq.com\nMAIL_PASSWORD=abcdefghijklmnop\n")


def findings(tmp_path: Path, text: str, environ: dict[str, str] | None = None,
             options: Options | None = None, mode: int = 0o600, lang: str = "en") -> dict[str, tuple[Severity, str, str]]:
    """reason → (severity, message, remedy) as the user would read them."""
    path = tmp_path / "app.env"
    path.write_bytes(text.encode("utf-8"))
    path.chmod(mode)
    pre = resolve(str(path), environ or {}, options or Options())
    out = {}
    for f in pre.findings:
        shown = render(f.reason, f.params, pre.settings, pre.provider, lang)
        out[f.reason] = (f.severity, shown.message, shown.remedy)
    return out



def assert_no_unverified_fix(remedy: str) -> None:
    """Before the network nothing is verified: a finding names no port or mode to set."""
    assert "=" not in remedy, remedy
    assert "smtpdoctor check" in remedy

def test_a_clean_qq_setup_has_no_findings(tmp_path):
    assert findings(tmp_path, QQ) == {}


@pytest.mark.parametrize(("text", "reason", "variable"), [
    ("MAIL_PORT=465\nMAIL_USERNAME=a@x.com\nMAIL_PASSWORD=p\nMAIL_SERVER=\n", "config.missing_host", "MAIL_SERVER"),
    ("SMTP_HOST=h.example.com\nSMTP_PASSWORD=p\n", "config.missing_username", "SMTP_USER"),
    ("SMTP_HOST=h.example.com\nSMTP_USER=a@x.com\n", "config.missing_password", "SMTP_PASSWORD"),
    ("SMTP_HOST=h.example.com\nSMTP_USER=apikey\nSMTP_PASSWORD=p\n", "config.missing_sender", "SMTP_FROM"),
])
def test_missing_required_values_are_errors_naming_the_variable(tmp_path, text, reason, variable):
    found = findings(tmp_path, text)
    severity, _, remedy = found[reason]
    assert severity is Severity.ERROR
    assert variable in remedy


def test_port_that_is_not_a_number(tmp_path):
    severity, message, _ = findings(tmp_path, QQ + "MAIL_PORT=46S\n")["config.bad_port"]
    assert severity is Severity.ERROR
    assert "MAIL_PORT=46S" in message


@pytest.mark.parametrize("port", ["0", "65536", "-1", "465.0"])
def test_port_out_of_range(tmp_path, port):
    assert "config.bad_port" in findings(tmp_path, QQ + f"MAIL_PORT={port}\n")


def test_starttls_flag_on_port_465(tmp_path):
    text = QQ.replace("MAIL_USE_SSL=true", "MAIL_USE_TLS=true")
    severity, message, remedy = findings(tmp_path, text)["config.mode_port_mismatch"]
    assert severity is Severity.WARNING
    assert "port 465 usually speaks implicit TLS" in message
    assert_no_unverified_fix(remedy)


def test_implicit_tls_flag_on_port_587(tmp_path):
    text = QQ.replace("MAIL_PORT=465", "MAIL_PORT=587")
    _, _, remedy = findings(tmp_path, text)["config.mode_port_mismatch"]
    assert_no_unverified_fix(remedy)


def test_use_tls_and_use_ssl_both_true_is_an_error(tmp_path):
    text = "EMAIL_HOST=smtp.qq.com\nEMAIL_PORT=465\nEMAIL_USE_TLS=True\nEMAIL_USE_SSL=True\n" \
           "EMAIL_HOST_USER=1@qq.com\nEMAIL_HOST_PASSWORD=abcdefghijklmnop\n"
    severity, message, _ = findings(tmp_path, text)["config.tls_flags_conflict"]
    assert severity is Severity.ERROR
    assert "EMAIL_USE_SSL and EMAIL_USE_TLS are both true" in message


def test_flask_mail_without_tls_flags_would_connect_in_clear(tmp_path):
    text = QQ.replace("MAIL_USE_SSL=true\n", "")
    _, message, remedy = findings(tmp_path, text)["config.tls_flags_missing"]
    assert "Flask-Mail connects to port 465 without TLS" in message
    assert_no_unverified_fix(remedy)


def test_plain_with_password(tmp_path):
    text = "MAIL_SERVER=mail.example.com\nMAIL_PORT=587\nMAIL_USE_SSL=false\nMAIL_USE_TLS=false\n" \
           "MAIL_USERNAME=a@example.com\nMAIL_PASSWORD=p\n"
    _, _, remedy = findings(tmp_path, text)["config.plain_with_password"]
    assert_no_unverified_fix(remedy)


def test_user_address_of_another_provider_than_the_host(tmp_path):
    text = QQ.replace("smtp.qq.com", "smtp.gmail.com")
    _, message, remedy = findings(tmp_path, text)["config.host_user_mismatch"]
    assert "QQ Mail address" in message and "Gmail" in message
    assert remedy.startswith("Set MAIL_SERVER=smtp.qq.com")


# (Exmail's rule is unconfirmed: tests/test_provider_facts.py.)
@pytest.mark.parametrize(("host", "user"), [("smtp.qq.com", "1@qq.com"), ("smtp.163.com", "a@163.com"),
                                            ("smtp.office365.com", "a@corp.com")])
def test_sender_other_than_login_where_the_provider_refuses_it(tmp_path, host, user):
    text = f"SMTP_HOST={host}\nSMTP_USER={user}\nSMTP_PASSWORD=x\nSMTP_FROM=noreply@other.com\n"
    _, _, remedy = findings(tmp_path, text)["config.sender_not_login"]
    assert remedy == f"Set SMTP_FROM={user}."


def test_sender_other_than_login_is_fine_for_gmail(tmp_path):
    text = "SMTP_HOST=smtp.gmail.com\nSMTP_USER=a@gmail.com\nSMTP_PASSWORD=abcdefghijklmnop\n" \
           "SMTP_FROM=alias@example.com\n"
    assert "config.sender_not_login" not in findings(tmp_path, text)


def test_leading_and_trailing_whitespace(tmp_path):
    found = findings(tmp_path, QQ + 'MAIL_PASSWORD=" abcdefghijklmnop "\n')
    assert "MAIL_PASSWORD" in found["config.value_whitespace"][1]
    # The whitespace explains it: the code itself has the authorization code's shape.
    assert "config.password_not_authorization_code" not in found
    assert "config.password_not_authorization_code" in findings(tmp_path, QQ + "MAIL_PASSWORD=my-qq-login\n")


def test_quotes_that_stay_in_the_value(tmp_path):
    # Docker's --env-file keeps quotes literally: the environment has them.
    _, message, _ = findings(tmp_path, QQ, {"MAIL_PASSWORD": '"abcdefghijklmnop"'})["config.value_quoted"]
    assert "MAIL_PASSWORD (environment)" in message and "keep quotes literally" in message


def test_carriage_return_from_a_windows_editor(tmp_path):
    _, message, _ = findings(tmp_path, QQ, {"MAIL_USERNAME": "123456@qq.com\r"})[
        "config.value_control_char"]
    assert "MAIL_USERNAME" in message


def test_utf8_bom_is_flagged_for_the_tools_that_do_not_skip_it(tmp_path):
    found = findings(tmp_path, "\ufeff" + QQ)
    _, message, remedy = found["config.dotenv_bom"]
    assert "systemd's EnvironmentFile" in message and "MAIL_SERVER" in message
    assert "without BOM" in remedy
    assert "config.missing_host" not in found  # python-dotenv itself skips the BOM


def test_key_defined_twice_says_which_wins(tmp_path):
    _, message, _ = findings(tmp_path, QQ + "MAIL_PASSWORD=qrstuvwxyzabcdef\n")["config.duplicate_key"]
    assert "MAIL_PASSWORD is defined more than once" in message
    assert "lines 5, 6" in message and "the app uses line 6" in message


@pytest.mark.parametrize(("typo", "meant"), [("SMTP_PASSWD", "SMTP_PASSWORD"),
                                             ("MAIL_USER", "MAIL_USERNAME"),
                                             ("EMAIL_HOST_PASS", "EMAIL_HOST_PASSWORD")])
def test_did_you_mean(tmp_path, typo, meant):
    _, message, remedy = findings(tmp_path, f"{typo}=x\n")["config.key_typo"]
    assert f"Did you mean {meant}?" in message
    assert remedy == f"Rename {typo} to {meant}."


def test_two_families_that_disagree(tmp_path):
    text = QQ + "SMTP_HOST=smtp.163.com\nSMTP_USER=a@163.com\n"
    _, message, _ = findings(tmp_path, text)["config.families_disagree"]
    assert "Flask-Mail and generic SMTP_* differ on host (MAIL_SERVER vs SMTP_HOST), " \
           "username (MAIL_USERNAME vs SMTP_USER)" in message


def test_environment_overriding_the_file_is_said(tmp_path):
    severity, message, _ = findings(tmp_path, QQ, {"MAIL_PASSWORD": "zzzzzzzzzzzzzzzz"})[
        "config.env_overrides_dotenv"]
    assert severity is Severity.INFO
    assert "MAIL_PASSWORD is set in the environment and in" in message
    assert "zzzz" not in message


@pytest.mark.parametrize(("host", "user", "password", "reason"), [
    ("smtp.qq.com", "1@qq.com", "MyQQPassword1", "config.password_not_authorization_code"),
    ("smtp.gmail.com", "a@gmail.com", "my-google-password", "config.password_not_app_password"),
    ("smtp.resend.com", "resend", "not-a-key", "config.password_not_api_key"),
])
def test_password_that_cannot_be_the_right_kind(tmp_path, host, user, password, reason):
    text = f"SMTP_HOST={host}\nSMTP_PORT=465\nSMTP_USER={user}\nSMTP_PASSWORD={password}\nSMTP_FROM=a@b.com\n"
    severity, _, remedy = findings(tmp_path, text)[reason]
    assert severity is Severity.WARNING
    assert "SMTP_PASSWORD" in remedy
    assert password not in remedy


def test_netease_codes_are_not_judged_by_a_length_nobody_published(tmp_path):
    text = "SMTP_HOST=smtp.163.com\nSMTP_PORT=465\nSMTP_USER=a@163.com\nSMTP_PASSWORD=short\nSMTP_FROM=a@163.com\n"
    assert "config.password_not_authorization_code" not in findings(tmp_path, text)


def test_gmail_app_password_with_spaces_is_accepted(tmp_path):
    text = "SMTP_HOST=smtp.gmail.com\nSMTP_PORT=465\nSMTP_USER=a@gmail.com\nSMTP_PASSWORD=abcd efgh ijkl mnop\n"
    assert "config.password_not_app_password" not in findings(tmp_path, text)


def test_outlook_com_is_oauth2_only(tmp_path):
    text = "SMTP_HOST=smtp-mail.outlook.com\nSMTP_PORT=587\nSMTP_USER=a@outlook.com\nSMTP_PASSWORD=x\n"
    _, message, _ = findings(tmp_path, text)["config.oauth2_only"]
    assert "2024-09-16" in message


@pytest.mark.parametrize(("host", "literal"), [("smtp.sendgrid.net", "apikey"), ("smtp.resend.com", "resend")])
def test_literal_usernames(tmp_path, host, literal):
    text = f"SMTP_HOST={host}\nSMTP_PORT=587\nSMTP_USER=me@example.com\nSMTP_PASSWORD=SG.x\n"
    _, _, remedy = findings(tmp_path, text)["config.username_literal"]
    assert remedy == f"Set SMTP_USER={literal}."


def test_port_25_is_blocked_by_clouds(tmp_path):
    _, message, remedy = findings(tmp_path, QQ.replace("MAIL_PORT=465", "MAIL_PORT=25").replace(
        "MAIL_USE_SSL=true", "MAIL_USE_TLS=false"))["config.port_25_blocked"]
    assert "Alibaba Cloud ECS, Google Compute Engine, Azure for most subscriptions" in message
    assert "AWS EC2 throttles it" in message
    assert "Tencent" not in message  # its own page could not be checked
    assert_no_unverified_fix(remedy)


def test_port_the_provider_does_not_offer(tmp_path):
    text = "SMTP_HOST=smtp.office365.com\nSMTP_PORT=465\nSMTP_USER=a@corp.com\nSMTP_PASSWORD=x\n"
    _, message, remedy = findings(tmp_path, text)["config.provider_port_unsupported"]
    assert "587 (starttls)" in message
    assert_no_unverified_fix(remedy)


def test_dotenv_readable_by_everyone(tmp_path):
    _, _, remedy = findings(tmp_path, QQ, mode=0o644)["config.dotenv_permissions"]
    assert remedy.startswith("Run: chmod 600")


def test_dotenv_tracked_by_git(tmp_path):
    path = tmp_path / "app.env"
    path.write_text(QQ)
    path.chmod(0o600)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "add", "app.env"], cwd=tmp_path, check=True)
    pre = resolve(str(path), {}, Options())
    assert "config.dotenv_tracked" in [f.reason for f in pre.findings]


def test_unparsable_dotenv_lines_are_an_error(tmp_path):
    severity, message, _ = findings(tmp_path, QQ + 'MAIL_DEFAULT_SENDER="unterminated\n')[
        "config.dotenv_unparsable"]
    assert severity is Severity.ERROR
    assert "line 6" in message


def test_unknown_provider_name(tmp_path):
    found = findings(tmp_path, "EMAIL_PROVIDER=qqq\nEMAIL_USER=a@qq.com\nEMAIL_PASSWORD=x\n")
    assert found["config.unknown_provider"][0] is Severity.ERROR


def test_bad_boolean(tmp_path):
    _, message, _ = findings(tmp_path, QQ.replace("MAIL_USE_SSL=true", "MAIL_USE_SSL=yess"))[
        "config.bad_boolean"]
    assert "MAIL_USE_SSL=yess" in message


def test_findings_in_chinese_name_the_same_variable(tmp_path):
    _, message, remedy = findings(tmp_path, QQ.replace("MAIL_PORT=465", "MAIL_PORT=587"), lang="zh")[
        "config.mode_port_mismatch"]
    assert "587 端口" in message
    assert remedy == "`smtpdoctor check` 会在线尝试你的客户端可用的端口和加密方式，并给出验证可行的修改。"


@pytest.mark.parametrize(("name", "reason"), [("missing.env", "config.dotenv_missing"),
                                              ("folder", "config.dotenv_unreadable")])
def test_unreadable_dotenv(tmp_path, name, reason):
    (tmp_path / "folder").mkdir()
    pre = resolve(str(tmp_path / name), {}, Options())
    assert [f.reason for f in pre.findings] == [reason]


def test_dotenv_that_is_not_utf8(tmp_path):
    path = tmp_path / "gbk.env"
    path.write_bytes("MAIL_SERVER=smtp.qq.com # 邮件\n".encode("gbk"))
    pre = resolve(str(path), {}, Options())
    assert [f.reason for f in pre.findings] == ["config.dotenv_unreadable"]
    finding = pre.findings[0]
    assert "not UTF-8 (byte 26)" in render(finding.reason, finding.params, None, None, "en").message
    assert "不是 UTF-8 编码（第 26 字节）" in render(finding.reason, finding.params, None, None, "zh").message


def test_sender_without_an_address(tmp_path):
    severity, message, _ = findings(tmp_path, QQ + "MAIL_DEFAULT_SENDER=My App\n")["config.bad_sender"]
    assert severity is Severity.ERROR
    assert "MAIL_DEFAULT_SENDER does not contain a mail address" in message


def test_username_must_be_the_full_address(tmp_path):
    _, message, remedy = findings(tmp_path, QQ.replace("123456@qq.com", "123456"))[
        "config.username_not_address"]
    assert 'not "123456"' in message
    assert remedy.startswith("Set MAIL_USERNAME to the full address")


@pytest.mark.parametrize(("text", "variable", "shown"), [
    ("MAIL_SERVER=smtp.qq.com\nMAIL_USERNAME=your_email@qq.com\nMAIL_PASSWORD=abcdefghijklmnop\n",
     "MAIL_USERNAME", "your_email@qq.com"),
    ("MAIL_SERVER=smtp.qq.com\nMAIL_USERNAME=123456@qq.com\nMAIL_PASSWORD=your_qq_auth_code\n",
     "MAIL_PASSWORD", "a placeholder, not a real password"),
    ("SMTP_HOST=your_company_smtp_server\nSMTP_USER=a@acme.cn\nSMTP_PASSWORD=p\n", "SMTP_HOST",
     "your_company_smtp_server"),
    ("SMTP_HOST=smtp.qq.com\nSMTP_USER=xxx@qq.com\nSMTP_PASSWORD=p\n", "SMTP_USER", "xxx@qq.com"),
    ("SMTP_HOST=smtp.acme.cn\nSMTP_USER=a@acme.cn\nSMTP_PASSWORD=p\nSMTP_FROM=noreply@yourdomain.com\n",
     "SMTP_FROM", "noreply@yourdomain.com"),
])
def test_an_examples_placeholder_is_an_error_before_the_network(tmp_path, text, variable, shown):
    """The seeds' guides say MAIL_USERNAME=your_email@qq.com, MAIL_PASSWORD=your_qq_auth_code:
    left in, they are never a server to ask or a login to try (and DNS is never asked about them)."""
    severity, message, _ = findings(tmp_path, text)["config.placeholder"]
    assert severity is Severity.ERROR
    assert variable in message and shown in message
    assert "your_qq_auth_code" not in message  # a password's placeholder is not shown either


def test_real_values_are_no_placeholders(tmp_path):
    found = findings(tmp_path, "MAIL_SERVER=smtp.qq.com\nMAIL_USERNAME=1650349938@qq.com\n"
                               "MAIL_PASSWORD=ragbsbnplldhdcjf\nMAIL_DEFAULT_SENDER=yourself@acme.cn\n")
    assert "config.placeholder" not in found


def test_config_is_an_offline_gate_for_what_the_provider_table_rules_out(tmp_path, smtpdoctor):
    """163 on 587 (not a port it lists), QQ's 465 with STARTTLS: `config` fails them, with what
    the table documents in the user's own variables, said as documentation, not a fix; `check`
    keeps them warnings (the wire decides, and its fix search verifies)."""
    env = tmp_path / ".env"
    env.write_text("MAIL_SERVER=smtp.163.com\nMAIL_PORT=587\nMAIL_USE_TLS=true\nMAIL_USERNAME=a@163.com\n"
                   "MAIL_PASSWORD=ABCDEFGHIJKLMNOP\nMAIL_DEFAULT_SENDER=a@163.com\n")
    out = smtpdoctor("config", "--env-file", str(env), "--json")
    assert out.exit_code == 2
    [finding] = [f for f in out.doc["findings"] if f["reason"] == "config.provider_port_unsupported"]
    assert finding["severity"] == "error"
    assert finding["remedy"].startswith(
        "Per the provider table, NetEase 163 Mail takes 25 (plain), 465 (ssl), 994 (ssl); in your variables: "
        "MAIL_PORT=465, MAIL_USE_SSL=true, MAIL_USE_TLS=false (documented, not yet verified).")
    zh = smtpdoctor("config", "--env-file", str(env), "--json", "--lang", "zh")
    assert "根据服务商表" in json.dumps(zh.doc, ensure_ascii=False)
    _, _, remedy = findings(tmp_path, env.read_text())["config.provider_port_unsupported"]
    assert_no_unverified_fix(remedy)  # what `check` reads before the wire


def test_a_likely_mismatch_observed_on_the_wire_is_said_once_as_observed():
    """"port 465 usually speaks implicit TLS" and the tls probe's "port 465 speaks implicit TLS"
    are one sentence: the observation stays."""
    from smtpdoctor.model import Finding, ProbeError, ProbeResult, Status
    from smtpdoctor.runner.check import said_once

    guess = Finding(Severity.WARNING, "config.mode_port_mismatch", {})
    other = Finding(Severity.WARNING, "config.dotenv_permissions", {})
    observed = ProbeResult("tls", Status.FAIL, error=ProbeError(code=ErrorCode.ETLS, reason="tls.wrong_mode"))
    assert said_once([guess, other], [observed]) == (other,)
    handshake = ProbeResult("tls", Status.FAIL, error=ProbeError(code=ErrorCode.ETLS, reason="tls.handshake_failed"))
    assert said_once([guess, other], [handshake]) == (guess, other)


def test_inside_check_the_port_advice_points_to_the_checks_below_and_says_a_cure_once(
        smtpdoctor, plain_server, tmp_path):
    env = tmp_path / ".env"
    env.write_text(f"MAIL_SERVER=localhost\nMAIL_PORT={plain_server.port}\nMAIL_USERNAME=a@example.org\n"
                   "MAIL_PASSWORD=secret-pw\nMAIL_DEFAULT_SENDER=a@example.org\n")
    env.chmod(0o600)
    out = smtpdoctor("check", "--env-file", str(env), "--alt-ports", "none", "--timeout", "2")
    said = " ".join(out.stdout.split())
    assert "[config.tls_flags_missing]" in said and "[config.plain_with_password]" in said
    assert "`smtpdoctor check` tries" not in said
    assert said.count("Turn TLS on with the variable your app reads. The checks below try the ports") == 1
    config = smtpdoctor("config", "--env-file", str(env))
    assert "`smtpdoctor check` tries the ports and modes" in " ".join(config.stdout.split())


def test_no_mail_settings_is_said_with_where_it_looked_and_every_familys_names(smtpdoctor, tmp_path):
    """A folder whose .env holds no mail setting: one error saying so, never a guessed family's
    four "not set" errors (which, filled in, the app would still not read)."""
    (tmp_path / ".env").write_text("DATABASE_URL=postgres://db/app\n")
    (tmp_path / "requirements.txt").write_text("flask\nflask-mail\n")
    out = smtpdoctor("config", "--json")
    assert out.exit_code == 2
    reasons = [f["reason"] for f in out.doc["findings"]]
    assert reasons == ["config.no_mail_settings"]
    remedy = out.doc["findings"][0]["remedy"]
    assert out.doc["findings"][0]["message"] == "No mail setting was found in .env or the environment."
    # The family of the client the folder names comes first.
    assert "The names by framework: Flask-Mail: MAIL_SERVER, MAIL_PORT, MAIL_USERNAME, MAIL_PASSWORD" in remedy
    assert "Django: EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER" in remedy


def test_run_above_the_app_it_names_the_dotenv_below(smtpdoctor, tmp_path):
    (tmp_path / "backend").mkdir()
    (tmp_path / "backend" / ".env").write_text("MAIL_SERVER=smtp.qq.com\n")
    (tmp_path / "node_modules" / "x").mkdir(parents=True)
    (tmp_path / "node_modules" / "x" / ".env").write_text("A=1\n")
    out = smtpdoctor("config", "--json", "--lang", "zh")
    reasons = {f["reason"]: f for f in out.doc["findings"]}
    assert "环境变量（当前目录下没有 .env）" in reasons["config.no_mail_settings"]["message"]
    # The families' names in Chinese too: "generic SMTP_*" is "通用 SMTP_*" there.
    assert "通用 SMTP_*: SMTP_HOST" in reasons["config.no_mail_settings"]["remedy"]
    assert "generic" not in reasons["config.no_mail_settings"]["remedy"]
    assert reasons["config.dotenv_elsewhere"]["message"] == "当前目录下没有 .env，但有 backend/.env。"
    assert "node_modules" not in json.dumps(out.doc)
