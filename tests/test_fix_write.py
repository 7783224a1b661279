"""`check --fix`: verified changes written into the dotenv file, exactly and
only where that is safe, then checked again."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from smtpdoctor.config.dotenv_edit import edit
from tests.servers import PASSWORD, USER

ORIGINAL = """# mail settings for the verification-code sender
MAIL_SERVER=localhost
MAIL_PORT={port}   # the provider's port
export MAIL_USE_SSL="true"
MAIL_USERNAME={user}
MAIL_PASSWORD='{password}'

OTHER_SETTING=keep me
"""


@pytest.fixture
def fix(smtpdoctor, ca_file):
    def run(env: Path, *extra: str, environ: dict[str, str] | None = None):
        return smtpdoctor("check", "--fix", "--env-file", str(env), "--ca-file", ca_file,
                          "--alt-ports", "none", "--timeout", "2", *extra, env=environ)

    return run


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".env"
    path.write_text(text)
    path.chmod(0o600)
    return path


def test_the_verified_change_is_written_in_place_and_checked_again(fix, tmp_path, starttls_server,
                                                                   no_password_leak):
    original = ORIGINAL.format(port=starttls_server.port, user=USER, password=PASSWORD)
    env = write(tmp_path, original)
    out = fix(env)
    assert out.exit_code == 0, out.stdout  # the file as it is now passes
    assert env.read_text() == original.replace('export MAIL_USE_SSL="true"',
                                               'export MAIL_USE_SSL="false"') + "MAIL_USE_TLS=true\n"
    backup = tmp_path / ".env.bak"
    assert backup.read_text() == original
    assert stat.S_IMODE(env.stat().st_mode) == 0o600 == stat.S_IMODE(backup.stat().st_mode)
    assert "Wrote the verified changes into" in out.stdout
    assert '-export MAIL_USE_SSL="true"' in out.stdout and "+MAIL_USE_TLS=true" in out.stdout
    assert out.stdout.rstrip().endswith("✓ All checks passed")
    no_password_leak(out.stdout + out.stderr)


def test_a_second_fix_keeps_the_first_backup(fix, tmp_path, starttls_server):
    env = write(tmp_path, ORIGINAL.format(port=starttls_server.port, user=USER, password=PASSWORD))
    (tmp_path / ".env.bak").write_text("older backup\n")
    out = fix(env, "--json")
    assert out.doc["written"]["backup"] == str(tmp_path / ".env.bak.1")
    assert (tmp_path / ".env.bak").read_text() == "older backup\n"
    assert out.doc["written"]["changes"] == {"MAIL_USE_SSL": "false", "MAIL_USE_TLS": "true"}
    assert out.doc["ok"] is True


def test_the_new_exit_code_is_the_rechecks(fix, tmp_path, good_tls, smtp_server):
    server = smtp_server("starttls", good_tls, password="the-real-one")
    env = write(tmp_path, ORIGINAL.format(port=server.port, user=USER, password=PASSWORD))
    out = fix(env, "--json")
    assert out.exit_code == 1
    assert "MAIL_USE_TLS=true" in env.read_text()
    failed = [p for p in out.doc["probes"] if p["status"] == "fail"]
    assert [p["error"]["reason"] for p in failed] == ["auth.bad_credentials"]


def refused(out) -> str:
    assert out.exit_code == 2
    return next(f["message"] for f in out.doc["findings"] if f["reason"] == "config.fix_refused")


def test_a_variable_from_the_environment_is_never_written(fix, tmp_path, starttls_server):
    original = ORIGINAL.format(port=starttls_server.port, user=USER, password=PASSWORD)
    env = write(tmp_path, original)
    out = fix(env, "--json", environ={"MAIL_USE_SSL": "true"})
    assert "MAIL_USE_SSL is set in the environment" in refused(out)
    assert env.read_text() == original
    assert not (tmp_path / ".env.bak").exists()


def test_without_a_dotenv_file_nothing_is_written(smtpdoctor, starttls_server, ca_file):
    out = smtpdoctor("check", "--fix", "--json", "--ca-file", ca_file, "--alt-ports", "none",
                     env={"MAIL_SERVER": "localhost", "MAIL_PORT": str(starttls_server.port),
                          "MAIL_USERNAME": USER, "MAIL_PASSWORD": PASSWORD})
    assert "there is no dotenv file to write" in refused(out)


def test_a_url_change_would_write_the_password_and_is_refused(fix, tmp_path, starttls_server):
    from urllib.parse import quote

    text = f"SMTP_URL=smtps://{quote(USER)}:{quote(PASSWORD, safe='')}@localhost:{starttls_server.port}\n"
    env = write(tmp_path, text)
    out = fix(env, "--json")
    assert "would write a password" in refused(out)
    assert env.read_text() == text


def test_a_file_with_unparsable_lines_is_refused(fix, tmp_path, starttls_server):
    text = ORIGINAL.format(port=starttls_server.port, user=USER, password=PASSWORD) + "this is not = valid '\n"
    env = write(tmp_path, text)
    out = fix(env, "--json")
    assert out.exit_code == 2
    assert env.read_text() == text


def test_nothing_verified_means_nothing_written(fix, tmp_path):
    from tests.servers import closed_port

    env = write(tmp_path, ORIGINAL.format(port=closed_port(), user=USER, password=PASSWORD))
    out = fix(env)
    assert out.exit_code == 1
    assert not (tmp_path / ".env.bak").exists()


@pytest.mark.parametrize(("text", "changes", "expected"), [
    ("A=1\nB=2\n", {"B": "3"}, "A=1\nB=3\n"),
    ("B=2  # note\n", {"B": "3"}, "B=3  # note\n"),
    ("B = '2'\n", {"B": "3"}, "B = '3'\n"),
    ("export B=\"2\"\r\n", {"B": "3"}, "export B=\"3\"\r\n"),
    ("B=1\nB=2\n", {"B": "3"}, "B=1\nB=3\n"),  # the last one is the one the app reads
    ("A=1", {"C": "x"}, "A=1\nC=x\n"),
    ("# B=2\nA=1\n", {"B": "3"}, "# B=2\nA=1\nB=3\n"),
])
def test_edit_keeps_everything_but_the_changed_value(text, changes, expected):
    assert edit(text, changes) == expected
