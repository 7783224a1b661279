"""The job summary smtpdoctor appends under GitHub Actions ($GITHUB_STEP_SUMMARY, --format github):
Markdown that keeps every cell in its table, appended, and never a change of the verdict."""

from __future__ import annotations

import json
import re

from smtpdoctor.model import ErrorCode, ProbeError, ProbeResult, Report, Status
from smtpdoctor.views.ci import markdown_cell, step_summary
from tests.servers import PASSWORD, USER

# A cell boundary: a `|` that no backslash escapes.
CELL_EDGE = re.compile(r"(?<!\\)\|")


def cells(row: str) -> list[str]:
    return [cell.strip() for cell in CELL_EDGE.split(row)[1:-1]]


def test_a_cell_escapes_pipes_line_breaks_html_and_backslashes():
    assert markdown_cell("a|b") == r"a\|b"
    assert markdown_cell("one\ntwo\r\nthree\rfour") == "one<br>two<br>three<br>four"
    assert markdown_cell("550 <dev@example.com>: relay denied") == "550 &lt;dev@example.com&gt;: relay denied"
    # The text's own backslash stays one: without doubling, `\|` would print as a bare `|`.
    assert markdown_cell(r"C:\mail\|x") == r"C:\\mail\\\|x"
    assert markdown_cell("plain text, 授权码") == "plain text, 授权码"


def test_a_reply_with_pipes_and_line_breaks_stays_in_its_row():
    reply = "535-5.7.8 Username | Password\n535 5.7.8 not accepted"
    report = Report("check", None, None, probes=(
        ProbeResult("auth", Status.FAIL, 12.0, error=ProbeError(ErrorCode.EAUTH, "auth.bad_credentials",
                                                                reply_code=535, reply=reply)),
        ProbeResult("envelope", Status.SKIP)))
    lines = step_summary(report, "en").splitlines()
    rows = [line for line in lines if line.startswith("|")]
    assert [len(cells(r)) for r in rows] == [4, 4, 4, 4, 4, 4, 4]
    failure = cells(rows[-1])
    assert failure[:2] == ["EAUTH", "auth.bad_credentials"]
    assert r"Username \| Password<br>535 5.7.8 not accepted" in failure[2]
    assert failure[3]  # the remedy


def _summary_env(monkeypatch, tmp_path):
    path = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(path))
    return path


def test_check_appends_the_summary_only_under_the_github_format(
        smtpdoctor, account, starttls_server, ca_file, monkeypatch, tmp_path, no_password_leak):
    path = _summary_env(monkeypatch, tmp_path)
    path.write_text("## Earlier\n", encoding="utf-8")
    args = ["check", "--env-file", account(starttls_server.port), "--ca-file", ca_file, "--alt-ports", "none"]
    assert smtpdoctor(*args, "--format", "text", env={"GITHUB_ACTIONS": "true"}).exit_code == 0
    assert smtpdoctor(*args).exit_code == 0  # not under Actions
    assert path.read_text(encoding="utf-8") == "## Earlier\n"
    out = smtpdoctor(*args, "--json", env={"GITHUB_ACTIONS": "true"})
    assert json.loads(out.stdout)["ok"] is True  # stdout stays the one document
    written = path.read_text(encoding="utf-8")
    assert written.startswith("## Earlier\n\n### smtpdoctor check localhost:")
    assert written.count("| dns | ✓ pass |") == 1
    no_password_leak(written)


def test_the_summary_speaks_the_runs_language(smtpdoctor, account, starttls_server, ca_file, monkeypatch, tmp_path):
    path = _summary_env(monkeypatch, tmp_path)
    out = smtpdoctor("check", "--env-file", account(starttls_server.port), "--ca-file", ca_file,
                     "--alt-ports", "none", "--format", "github", "--lang", "zh")
    assert out.exit_code == 0
    text = path.read_text(encoding="utf-8")
    assert "| 检查项 | 状态 | 耗时 | 摘要 |" in text and "全部检查通过" in text


def test_an_unwritable_summary_is_a_note_on_stderr_and_the_same_exit_code(
        smtpdoctor, account, smtp_server, good_tls, ca_file, monkeypatch, tmp_path):
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path))  # a directory: open() fails
    server = smtp_server("starttls", good_tls, password="other")
    out = smtpdoctor("check", "--env-file", account(server.port), "--ca-file", ca_file, "--alt-ports", "none",
                     "--format", "github")
    assert out.exit_code == 1
    notes = [line for line in out.stderr.splitlines() if "job summary" in line]
    assert notes == [f"smtpdoctor: could not append the job summary to {tmp_path}: Is a directory"]
    assert "::error title=smtpdoctor auth%3A EAUTH auth.bad_credentials::" in out.stdout
    assert "Traceback" not in out.stderr


def test_accounts_get_one_row_each(smtpdoctor, starttls_server, ca_file, monkeypatch, tmp_path, no_password_leak):
    path = _summary_env(monkeypatch, tmp_path)
    rows = [{"tenant_id": tenant, "setting_name": "main", "smtp_host": "localhost", "smtp_port": starttls_server.port,
             "smtp_username": USER, "smtp_password": password, "security_protocol": "STARTTLS", "from_email": USER}
            for tenant, password in (("t1", PASSWORD), ("t2", "wrong-one"), ("t3", PASSWORD))]
    source = tmp_path / "accounts.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = smtpdoctor("check", "--accounts", str(source), "--ca-file", ca_file, "--alt-ports", "none",
                     "--format", "github")
    assert out.exit_code == 1
    text = path.read_text(encoding="utf-8")
    assert "### smtpdoctor check: 2 of 3 accounts passed; 1 failed" in text
    table = [cells(line) for line in text.splitlines() if line.startswith("|")]
    assert table[0] == ["account", "status", "time", "summary"]
    assert [(r[0], r[1]) for r in table[2:]] == [("t1/main", "✓ pass"), ("t2/main", "✗ fail"), ("t3/main", "✓ pass")]
    assert table[3][3].startswith("auth `EAUTH` `auth.bad_credentials`: ")
    assert "Fix: " in table[3][3]
    no_password_leak(text)
    assert "wrong-one" not in text
