"""`check --fix`: verified changes written into the dotenv file, exactly and
only where that is safe, then checked again."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
from dotenv import dotenv_values
from dotenv.parser import parse_stream
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

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


def test_a_crlf_file_is_fixed_and_keeps_its_line_endings(fix, tmp_path, starttls_server):
    """Saved on Windows: --fix used to refuse every time (".env changed while smtpdoctor was
    checking") because the file read as text was never equal to itself."""
    original = ORIGINAL.format(port=starttls_server.port, user=USER, password=PASSWORD).replace("\n", "\r\n")
    env = tmp_path / ".env"
    env.write_bytes(("\ufeff" + original).encode())
    env.chmod(0o600)
    out = fix(env)
    assert out.exit_code == 0, out.stdout
    assert "changed while smtpdoctor" not in out.stdout
    expected = ("\ufeff" + original.replace('export MAIL_USE_SSL="true"', 'export MAIL_USE_SSL="false"')
                + "MAIL_USE_TLS=true\r\n")
    assert env.read_bytes() == expected.encode()
    assert (tmp_path / ".env.bak").read_bytes() == ("\ufeff" + original).encode()


def test_a_key_inside_another_quoted_value_is_never_edited(fix, tmp_path, starttls_server):
    """A multi-line value holding the lines MAIL_PORT=25 and MAIL_USE_SSL='true', after the real
    keys: the real keys are the ones python-dotenv reads, and the only ones written."""
    notes = "NOTES=\"old settings:\nMAIL_PORT=25\nexport MAIL_USE_SSL='true'\n\"\n"
    original = ORIGINAL.format(port=starttls_server.port, user=USER, password=PASSWORD) + notes
    env = write(tmp_path, original)
    out = fix(env)
    assert out.exit_code == 0, out.stdout
    assert env.read_text() == (original.replace('export MAIL_USE_SSL="true"\nMAIL_USERNAME',
                                                'export MAIL_USE_SSL="false"\nMAIL_USERNAME')
                               + "MAIL_USE_TLS=true\n")


KEYS = ("A", "MAIL_PORT", "MAIL_USE_TLS", "B_2")


@st.composite
def dotenv_files(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    """A dotenv file as people write them: every quoting style, export, comments, blank lines,
    duplicate keys, multi-line values holding lines that look like keys, CRLF or LF, a BOM."""
    bare = st.text(alphabet="abcXYZ019_./:@-", min_size=1, max_size=8)
    single = st.text(alphabet="ab #=\"\\xyz", max_size=8)
    double = st.lists(st.sampled_from(["ab", " ", "#", "=", "'", "MAIL_PORT=25", "\n", "x y"]), max_size=6)
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["binding", "binding", "binding", "blank", "comment"]))
        if kind == "blank":
            lines.append(draw(st.sampled_from(["", "  "])))
        elif kind == "comment":
            lines.append("# " + draw(st.sampled_from(["MAIL_PORT=25", "note", ""])))
        else:
            key = draw(st.sampled_from(KEYS))
            style = draw(st.sampled_from(["bare", "single", "double"]))
            value = {"bare": lambda: draw(bare), "single": lambda: f"'{draw(single)}'",
                     "double": lambda: '"' + "".join(draw(double)) + '"'}[style]()
            lead = draw(st.sampled_from(["", "export ", "  "]))
            eq = draw(st.sampled_from(["=", " = ", "= "]))
            tail = draw(st.sampled_from(["", "  # a comment", " #MAIL_USE_TLS=1"]))
            lines.append(f"{lead}{key}{eq}{value}{tail}")
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    text = ending.join(lines) + draw(st.sampled_from([ending, ""]))
    if draw(st.booleans()):
        text = "\ufeff" + text
    names = draw(st.lists(st.sampled_from((*KEYS, "NEW_KEY")), unique=True, max_size=3))
    # No backslash: python-dotenv 1.0 and 1.2 read one in quotes differently (--fix refuses such a
    # value); every other character a value may need, quotes and # included.
    values = st.text(alphabet="abc123 .#'\"", max_size=6)
    return text, {name: draw(values) for name in names}


@given(dotenv_files())
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_fix_changes_no_byte_but_the_values_it_names(case):
    """Whatever the file looks like: python-dotenv reads the written file with exactly the named
    keys changed, and every byte outside the bindings of the keys it names is the same (at the
    end, a line ending may be added before an appended key)."""
    text, changes = case
    body = text.removeprefix("\ufeff")
    assume(not any(b.error for b in parse_stream(io.StringIO(body))))  # --fix refuses those files
    out = edit(text, changes)
    out_body = out.removeprefix("\ufeff")
    assert out.startswith("\ufeff") == text.startswith("\ufeff")
    before = dict(dotenv_values(stream=io.StringIO(body)))
    assert dict(dotenv_values(stream=io.StringIO(out_body))) == {**before, **changes}

    def outside(source: str) -> str:
        """The text with the binding python-dotenv reads for each named key taken out."""
        bindings = list(parse_stream(io.StringIO(source)))
        last = {b.key: i for i, b in enumerate(bindings) if b.key in changes}
        return "".join(b.original.string for i, b in enumerate(bindings) if i not in last.values())

    assert outside(out_body).rstrip() == outside(body).rstrip()


def test_a_port_from_the_command_line_is_a_trial_input_and_never_written(fix, tmp_path, good_tls,
                                                                        smtp_server):
    """--port 588 on the command line: the fix found is to run with the other port (verified as
    the option), and --fix says why it wrote nothing, ending on what the checks found."""
    starttls = smtp_server("starttls", good_tls)
    original = ORIGINAL.format(port=starttls.port, user=USER, password=PASSWORD).replace(
        'export MAIL_USE_SSL="true"', "MAIL_USE_TLS=true")
    env = write(tmp_path, original)
    from tests.servers import closed_port

    out = fix(env, "--port", str(closed_port()), "--alt-ports", str(starttls.port))
    assert out.exit_code == 2
    assert f"Set --port {starttls.port}. Verified in this run" in " ".join(out.stdout.split())
    assert "--port came from the command line" in out.stdout
    assert env.read_text() == original
    assert out.stdout.rstrip().endswith("✗ Configuration error (exit 2); the checks failed at tcp: ECONNECTION "
                                        "(tcp.refused)")


def test_nothing_verified_says_that_nothing_was_written(fix, tmp_path, good_tls, smtp_server):
    server = smtp_server("starttls", good_tls, password="the-real-one")
    original = ORIGINAL.format(port=server.port, user=USER, password=PASSWORD).replace(
        'export MAIL_USE_SSL="true"', "MAIL_USE_TLS=true")
    env = write(tmp_path, original)
    out = fix(env, "--json")
    assert out.exit_code == 1
    assert "config.fix_nothing_verified" in [f["reason"] for f in out.doc["findings"]]
    assert env.read_text() == original
