"""What survives: pipes, encodings, signals, closed and full output, hostile
servers and hostile files, one deadline for the whole run. Every case runs the
installed console script as a subprocess, as a user (or systemd, or CI) would."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.console import PEAK_RSS_LIMIT_MB, SCRIPT, no_traceback, run
from tests.servers import PASSWORD, USER, DroppingPort, SMTPServer, TCPServer, closed_port


@pytest.fixture
def smtp_env(tmp_path: Path) -> Callable[..., str]:
    def write(port: int, extra: str = "") -> str:
        path = tmp_path / f"{port}.env"
        path.write_text(f"SMTP_HOST=localhost\nSMTP_PORT={port}\nSMTP_USER={USER}\n"
                        f"SMTP_PASSWORD={PASSWORD}\n{extra}")
        path.chmod(0o600)
        return str(path)

    return write


@pytest.fixture
def passing(starttls_server: SMTPServer, smtp_env: Callable[..., str], ca_file: str) -> list[str]:
    return ["check", "--env-file", smtp_env(starttls_server.port), "--ca-file", ca_file, "--alt-ports", "none"]


# --- rendering that never loses text -----------------------------------------------------

def joined(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("quiet", [[], ["--quiet"]])
def test_a_piped_fix_is_printed_whole(smtpdoctor_env_qq, lang, quiet):
    result = run("check", "--env-file", smtpdoctor_env_qq, "--alt-ports", "none", "--lang", lang,
                 *quiet)
    assert result.code == 1
    expected = ("put the code in MAIL_PASSWORD. Use the full address (e.g. 123456@qq.com) in "
                "MAIL_USERNAME. Changing the QQ password invalidates old codes.") if lang == "en" else (
        "把授权码填入 MAIL_PASSWORD；MAIL_USERNAME 填完整邮箱地址（如 123456@qq.com）。修改 QQ 密码后旧授权码全部失效。")
    assert expected.replace(" ", "") in result.stdout.replace("\n", "").replace(" ", "")
    assert all(line == line.rstrip() for line in result.stdout.splitlines())
    assert all(len(line) <= 100 for line in result.stdout.splitlines())


@pytest.fixture
def smtpdoctor_env_qq(tmp_path: Path, good_tls, smtp_server) -> str:
    qq = ("535 Login Fail. Please enter your authorization code to login. More information in "
          "http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=28&&no=1001256")
    server = smtp_server("ssl", good_tls, auth_reply=qq, password="other")
    path = tmp_path / ".env"
    path.write_text(f"MAIL_SERVER=localhost\nMAIL_PORT={server.port}\nMAIL_USE_SSL=true\n"
                    f"MAIL_USERNAME={USER}\nMAIL_PASSWORD={PASSWORD}\n")
    path.chmod(0o600)
    return str(path)


@pytest.fixture(autouse=True)
def trust_the_test_ca(ca_file: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The subprocesses trust the loopback servers' CA the way a user's machine would.
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)


def test_columns_is_honoured_and_nothing_is_cropped(passing):
    result = run(*passing, env={"COLUMNS": "60"})
    assert result.code == 0
    # Only a word longer than a line (the dotenv file's path here) passes it, never cut.
    assert all(len(line) <= 60 or any(len(word) > 40 for word in line.split())
               for line in result.stdout.splitlines()), result.stdout
    assert "read:\n" in result.stdout or "read: " in result.stdout
    assert "✓ All checks passed" in result.stdout


@pytest.mark.parametrize("columns", ["60", "200", "", "junk", "²", "+90", "0"])
def test_the_help_is_as_wide_as_click_makes_it(columns: str) -> None:
    """smtpdoctor hands click the width click's formatter would pick itself (COLUMNS, at most
    100, less two; 80 off a terminal), so that --help never imports shutil: the same text."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"} | {"LANG": "C.UTF-8", "COLUMNS": columns}
    clicks_own = subprocess.run(
        [sys.executable, "-c", "from smtpdoctor.cli import cli\n"
         "cli.main(['check', '--help'], prog_name='smtpdoctor')"],
        capture_output=True, text=True, env=env, timeout=60, check=False)
    result = run("check", "--help", env={"COLUMNS": columns})
    assert result.code == 0
    assert clicks_own.stdout.startswith("Usage: smtpdoctor check")
    assert result.stdout == clicks_own.stdout


def test_providers_stay_readable_at_80_columns():
    result = run("providers", env={"COLUMNS": "80"})
    assert result.code == 0
    # Only a URL longer than the line may pass it: it is never cut.
    assert all(len(line) <= 80 or re.fullmatch(r"\s+get it  https://\S+", line)
               for line in result.stdout.splitlines())
    assert "    host    smtp.qq.com\n    ports   465/ssl 587/starttls\n" in result.stdout
    assert "│" not in result.stdout


def test_no_escape_codes_off_a_terminal_unless_force_color_asks(passing):
    """A CI log that renders colour (GitHub Actions) asks with FORCE_COLOR: colour only (SGR),
    never a cursor movement or a spinner; NO_COLOR wins; by default a pipe gets plain text."""
    assert "\x1b" not in (plain := run(*passing)).stdout + plain.stderr
    coloured = run(*passing, env={"FORCE_COLOR": "1"})
    assert coloured.code == 0 and "\x1b[" in coloured.stdout
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured.stdout + coloured.stderr).count("\x1b") == 0
    def timeless(text: str) -> str:
        return re.sub(r" +\d+ ms", " N ms", text)

    assert timeless(re.sub(r"\x1b\[[0-9;]*m", "", coloured.stdout)) == timeless(plain.stdout)
    for env in ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, {"FORCE_COLOR": "0"}, {"FORCE_COLOR": ""}):
        quiet = run(*passing, env=env)
        assert "\x1b" not in quiet.stdout + quiet.stderr, env


# --- any output encoding ----------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["gbk", "cp1252", "ascii"])
@pytest.mark.parametrize("as_json", [False, True])
def test_any_output_encoding(passing, encoding, as_json):
    result = subprocess.run([SCRIPT, *passing, "--lang", "zh", *(["--json"] if as_json else [])],
                            capture_output=True, env={**os.environ, "PYTHONIOENCODING": encoding})
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode(encoding)  # what a console of that code page shows
    assert "Traceback" not in result.stderr.decode(encoding, "replace")
    if as_json:
        assert json.loads(text)["ok"] is True
    else:
        assert text.rstrip().endswith(("✓ 全部检查通过", "OK 全部检查通过", "OK \\u5168\\u90e8\\u68c0\\u67e5\\u901a\\u8fc7"))
        if encoding != "gbk":
            assert "OK dns" in text or "OK 全部" in text or "\\u" in text


# --- exit codes that mean one thing -------------------------------------------------------

def test_a_closed_pipe_keeps_the_verdict(passing):
    done = subprocess.run(["bash", "-c", "set -o pipefail; " + " ".join(f"'{a}'" for a in [SCRIPT, *passing])
                           + " | grep -q smtpdoctor; echo ${PIPESTATUS[0]}"],
                          capture_output=True, text=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert done.stdout.strip() == "0"
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


@pytest.mark.parametrize(("args", "verdict"), [
    (["--help"], 0), (["--version"], 0), (["providers"], 0), (["providers", "--json"], 0),
    (["explain", "EAUTH"], 0), (["config", "--env-file", "/dev/null"], 2),
    (["check", "--env-file", "/dev/null", "--json"], 2),
])
def test_a_reader_that_is_gone_before_the_first_line_never_changes_the_code(args, verdict):
    # The reader closes its end before smtpdoctor writes a byte (`| head -1` on a slow start).
    line = " ".join(f"'{a}'" for a in [SCRIPT, *args])
    done = subprocess.run(["bash", "-c", line + " | (exec 0<&-; sleep 1); echo ${PIPESTATUS[0]}"],
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == str(verdict), done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


@pytest.mark.parametrize("redirect", [">&-", ">/dev/full"])
def test_closed_or_full_stdout_keeps_the_verdict(passing, redirect):
    result = run(*passing, stdout=None, shell_redirect=redirect)
    assert result.code == 0, result.stderr
    no_traceback(result)
    assert "Exception ignored" not in result.stderr


def test_closed_stdout_keeps_a_failure_too(smtp_env):
    result = run("check", "--env-file", smtp_env(closed_port()), "--alt-ports", "none",
                 stdout=None, shell_redirect=">&-")
    assert result.code == 1


@pytest.mark.parametrize(("sig", "code", "word"), [(signal.SIGINT, 130, "interrupted"),
                                                     (signal.SIGTERM, 143, "terminated")])
def test_signals_end_the_run_within_a_second(smtp_env, sig, code, word):
    with DroppingPort() as dropped:
        # The signal comes well after start-up (handlers installed even on a loaded
        # machine) and well before the 3 s connect limit ends the run by itself.
        proc = subprocess.Popen([SCRIPT, "check", "--env-file", smtp_env(dropped.port), "--timeout", "3",
                                 "--alt-ports", str(closed_port())],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1.5)
        sent = time.monotonic()
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=10)
        took = time.monotonic() - sent
    assert proc.returncode == code
    assert took < 1.0
    assert err.decode() == f"smtpdoctor: {word}\n"


@pytest.mark.parametrize("args", [
    ["check", "--timeout", "abc"],
    ["check", "--until", "nope"],
    ["send-test"],
    ["check", "--ca-file", "/nonexistent/ca.pem"],
    ["check", "--no-such-option"],
])
def test_usage_errors_under_json_are_one_document(args):
    result = run(*args, "--json")
    assert result.code == 2
    doc = result.doc
    assert (doc["ok"], doc["exit_code"], doc["findings"][0]["reason"]) == (False, 2, "config.usage")
    assert doc["probes"] == []
    assert result.stderr.strip()  # and said on stderr, as a usage error always is


def test_unwritable_junit_path_is_exit_2_before_any_probe(starttls_server, smtp_env, ca_file):
    result = run("check", "--env-file", smtp_env(starttls_server.port), "--ca-file", ca_file, "--json",
                 "--junit-xml", "/nonexistent-folder/report.xml")
    assert result.code == 2
    assert [f["reason"] for f in result.doc["findings"] if f["severity"] == "error"] == [
        "config.output_unwritable"]
    assert {p["status"] for p in result.doc["probes"]} == {"skip"}
    assert starttls_server.handler.logins == []


def test_unreadable_env_file_still_prints_json(tmp_path):
    folder = tmp_path / "not-a-file"
    folder.mkdir()
    result = run("check", "--env-file", str(folder), "--json")
    assert result.code == 2
    assert result.doc["findings"][0]["reason"] == "config.dotenv_unreadable"


# --- one deadline for the whole run ---------------------------------------------------------

class Dripping(TCPServer):
    """A greeting dripped one byte a second: each read succeeds, the line never ends in time."""

    def handle(self, conn: socket.socket) -> None:
        def drip() -> None:
            try:
                for byte in b"220 slow.example ESMTP\r\n":
                    conn.sendall(bytes([byte]))
                    time.sleep(1)
            except OSError:
                pass
            finally:
                conn.close()

        threading.Thread(target=drip, daemon=True).start()


def test_max_time_bounds_a_dripping_server(smtp_env):
    with Dripping() as server:
        result = run("check", "--env-file", smtp_env(server.port), "--timeout", "30", "--max-time", "2",
                     "--alt-ports", "none", "--json")
    assert result.code == 1
    assert result.seconds < 2 + 1.0
    failed = next(p for p in result.doc["probes"] if p["status"] == "fail")
    # The greeting is smtp's to report, however the wait for it ended.
    assert (failed["name"], failed["error"]["code"], failed["error"]["reason"]) == (
        "smtp", "ETIMEDOUT", "smtp.greeting_timeout")
    assert "--max-time" in failed["summary"]
    no_traceback(result)


def test_timeout_alone_bounds_a_dripping_server(smtp_env):
    """Each byte arrives in time, but the greeting line does not: --timeout bounds the step."""
    with Dripping() as server:
        result = run("check", "--env-file", smtp_env(server.port), "--timeout", "2", "--alt-ports", "none",
                     "--json")
    assert result.code == 1
    assert result.seconds < 2 + 1.0
    failed = next(p for p in result.doc["probes"] if p["status"] == "fail")
    assert (failed["name"], failed["error"]["reason"]) == ("smtp", "smtp.greeting_timeout")
    no_traceback(result)


def test_max_time_includes_retries_and_their_delays(smtp_env):
    with DroppingPort() as dropped:
        result = run("check", "--env-file", smtp_env(dropped.port), "--timeout", "1", "--retries", "10",
                     "--retry-delay", "1", "--max-time", "3.5", "--alt-ports", "none", "--json")
    assert result.code == 1
    assert result.seconds < 3.5 + 1.0
    assert result.doc.get("attempts", 1) >= 2


# --- hostile servers ------------------------------------------------------------------------

class Hostile(TCPServer):
    """A raw server that misbehaves the way ``script`` says."""

    def __init__(self, script: Callable[[socket.socket], None]) -> None:
        self.script = script
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        def talk() -> None:
            try:
                self.script(conn)
            except OSError:
                pass
            finally:
                conn.close()

        threading.Thread(target=talk, daemon=True).start()


def answering(reply: Callable[[bytes], bytes | None], greeting: bytes = b"220 hostile ESMTP\r\n"):
    def script(conn: socket.socket) -> None:
        conn.sendall(greeting)
        for line in conn.makefile("rb"):
            verb = (line.split() or [b""])[0].upper()
            out = reply(verb)
            if out is None:
                return
            conn.sendall(out)
    return script


EHLO = b"250-hostile\r\n250 AUTH PLAIN LOGIN\r\n"


def by_verb(**replies: bytes) -> Callable[[bytes], bytes]:
    return lambda verb: replies.get(verb.decode(errors="replace"), b"250 ok\r\n")


def endless_line(conn: socket.socket) -> None:
    for _ in range(200):
        conn.sendall(b"220 " + b"a" * 65536)


def close_mid_handshake(conn: socket.socket) -> None:
    conn.recv(50)  # the start of the ClientHello, then nothing


HOSTILE = {
    "greeting line that never ends": (endless_line, "smtp", "smtp.protocol_error"),
    "1 MB multi-line reply": (answering(by_verb(EHLO=(b"250-" + b"y" * 1000 + b"\r\n") * 1000 + b"250 ok\r\n")),
                              "smtp", "smtp.protocol_error"),
    "binary garbage": (lambda c: (c.sendall(bytes(range(256)) * 16), time.sleep(2)), "smtp",
                       "smtp.protocol_error"),
    "close right after accept": (lambda c: None, "smtp", "smtp.disconnected"),
    "10,000 EHLO lines": (answering(by_verb(EHLO=b"".join(b"250-X%d\r\n" % i for i in range(10000))
                                            + b"250 AUTH PLAIN\r\n")), "smtp", "smtp.protocol_error"),
    "AUTH challenge that never ends": (answering(by_verb(EHLO=b"250-h\r\n250 AUTH LOGIN\r\n",
                                                         AUTH=(b"334-" + b"A" * 100 + b"\r\n") * 20000)),
                                       "auth", "smtp.protocol_error"),
    "invalid base64 in a 334": (answering(by_verb(EHLO=b"250-h\r\n250 AUTH LOGIN\r\n",
                                                  AUTH=b"334 !!not base64!!\r\n")), "auth",
                                "smtp.protocol_error"),
    "reply code 999": (answering(by_verb(EHLO=b"999 what\r\n")), "smtp", "smtp.protocol_error"),
    "reply code 2x0": (answering(by_verb(EHLO=b"2x0 what\r\n")), "smtp", "smtp.protocol_error"),
    "continuation codes that disagree": (answering(by_verb(EHLO=b"250-h\r\n451-odd\r\n250 AUTH PLAIN\r\n",
                                                           AUTH=b"250 ok\r\n")), "auth", "smtp.protocol_error"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_servers_get_a_verdict(case, smtp_env):
    script, probe, reason = HOSTILE[case]
    with Hostile(script) as server:
        result = run("check", "--env-file", smtp_env(server.port), "--security", "plain",
                     "--timeout", "3", "--max-time", "8", "--alt-ports", "none", "--json")
    assert result.code == 1, result.stderr
    failed = next(p for p in result.doc["probes"] if p["status"] == "fail")
    assert (failed["name"], failed["error"]["reason"]) == (probe, reason)
    assert result.seconds < 8
    assert result.peak_mb < PEAK_RSS_LIMIT_MB, result.peak_mb
    no_traceback(result)
    assert PASSWORD not in result.stdout


@pytest.mark.parametrize(("reply", "reason"), [
    (b"454 4.7.0 TLS not available due to local problem\r\n", "tls.handshake_failed"),
    (b"220 go ahead\r\nthis is no TLS at all\r\n", "tls.handshake_failed"),
])
def test_starttls_refused_or_answered_in_plaintext(reply, reason, smtp_env):
    ehlo = b"250-h\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n"
    with Hostile(answering(by_verb(EHLO=ehlo, STARTTLS=reply))) as server:
        result = run("check", "--env-file", smtp_env(server.port, "SMTP_TLS=true\n"), "--timeout", "3",
                     "--alt-ports", "none", "--json")
    assert result.code == 1
    failed = next(p for p in result.doc["probes"] if p["status"] == "fail")
    assert (failed["name"], failed["error"]["reason"]) == ("tls", reason)
    no_traceback(result)


def test_a_close_mid_tls_handshake(smtp_env):
    with Hostile(close_mid_handshake) as server:
        result = run("check", "--env-file", smtp_env(server.port, "SMTP_SECURE=true\n"), "--timeout", "3",
                     "--alt-ports", "none", "--json")
    assert result.code == 1
    failed = next(p for p in result.doc["probes"] if p["status"] == "fail")
    assert failed["name"] == "tls"
    no_traceback(result)


def test_escape_sequences_and_forged_lines_never_reach_the_output(smtp_env, tmp_path):
    evil = b"535 5.7.8 no\x1b[2J\x1b]0;pwned\x07 \n::add-mask::secret\r\n::error title=x::forged\r\n"
    with Hostile(answering(by_verb(EHLO=EHLO, AUTH=evil))) as server:
        env = smtp_env(server.port)
        junit = tmp_path / "report.xml"
        text = run("check", "--env-file", env, "--security", "plain", "--alt-ports", "none",
                   "--format", "github", "--junit-xml", str(junit))
        doc = run("check", "--env-file", env, "--security", "plain", "--alt-ports", "none", "--json")
    assert text.code == 1
    assert "\x1b" not in text.stdout and "\x07" not in text.stdout
    assert not [line for line in text.stdout.splitlines() if line.lstrip().startswith("::")
                and not line.startswith(("::error title=smtpdoctor", "::warning title=smtpdoctor"))]
    from xml.etree import ElementTree

    ElementTree.parse(junit)  # control characters would make it unparseable
    assert "\x1b" not in junit.read_text()
    assert "\\x1b" in json.dumps(doc.doc)  # JSON keeps it, escaped


# --- hostile settings files -------------------------------------------------------------------

def make_fifo(path: Path) -> None:
    os.mkfifo(path)


HOSTILE_FILES: dict[str, Callable[[Path], None]] = {
    "binary": lambda p: p.write_bytes(os.urandom(4096)),
    "NUL bytes": lambda p: p.write_bytes(b"SMTP_HOST=smtp.qq.com\x00\nSMTP_PORT=465\n"),
    "50 MB": lambda p: p.write_bytes(b"SMTP_HOST=x\n" * (50 * 1024 * 1024 // 12)),
    "invalid UTF-8": lambda p: p.write_bytes(b"SMTP_HOST=smtp.\xff\xfe.com\n"),
    "UTF-16": lambda p: p.write_text("SMTP_HOST=smtp.qq.com\n", encoding="utf-16"),
    "100,000 lines": lambda p: p.write_text("".join(f"K{i}=v\n" for i in range(100_000))),
    "10 MB line with an unclosed quote": lambda p: p.write_text('SMTP_PASSWORD="' + "x" * 10_000_000),
    "a directory": lambda p: p.mkdir(),
    "a FIFO": make_fifo,
    "a symlink loop": lambda p: (p.symlink_to(p.with_name("loop2")),
                                 p.with_name("loop2").symlink_to(p)),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_FILES))
@pytest.mark.parametrize("as_json", [False, True])
def test_hostile_env_files_are_exit_2_with_a_clear_message(case, as_json, tmp_path):
    path = tmp_path / "hostile.env"
    HOSTILE_FILES[case](path)
    result = run("check", "--env-file", str(path), *(["--json"] if as_json else []), timeout=20)
    assert result.code == 2, result.stderr
    assert result.seconds < 5
    assert result.peak_mb < PEAK_RSS_LIMIT_MB
    no_traceback(result)
    if as_json:
        finding = result.doc["findings"][0]
        assert finding["reason"] in ("config.dotenv_unreadable", "config.dotenv_missing")
        assert re.search(r"cannot be read|does not exist", finding["message"])
    else:
        assert "hostile.env" in result.stdout


# --- what the user typed ----------------------------------------------------------------------

def test_a_subject_with_a_line_break_is_refused_before_connecting(starttls_server, smtp_env, ca_file):
    result = run("send-test", "you@example.com", "--subject", "hi\r\nBcc: everyone@example.com",
                 "--env-file", smtp_env(starttls_server.port), "--ca-file", ca_file, "--json")
    assert result.code == 2
    assert "config.header_control_char" in [f["reason"] for f in result.doc["findings"]]
    assert starttls_server.handler.logins == []


@pytest.mark.parametrize("where", ["file", "option"])
def test_a_sender_with_a_line_break_is_exit_2(starttls_server, smtp_env, ca_file, where, tmp_path):
    if where == "file":
        env = tmp_path / "s.env"
        env.write_text(f'SMTP_HOST=localhost\nSMTP_PORT={starttls_server.port}\nSMTP_USER={USER}\n'
                       f'SMTP_PASSWORD={PASSWORD}\nSMTP_FROM="app@example.com\\r\\nBcc: x@example.com"\n')
        args = ["--env-file", str(env)]
    else:
        args = ["--env-file", smtp_env(starttls_server.port), "--from", "app@example.com\nBcc: x@example.com"]
    result = run("send-test", "you@example.com", *args, "--ca-file", ca_file, "--json")
    assert result.code == 2
    assert "config.value_control_char" in [f["reason"] for f in result.doc["findings"]
                                           if f["severity"] == "error"]
    assert starttls_server.handler.received == []


def test_non_ascii_recipient_without_smtputf8_gets_a_clear_verdict(good_tls, smtp_env, ca_file):
    ehlo = b"250-h\r\n250 AUTH PLAIN\r\n"
    with Hostile(answering(by_verb(EHLO=ehlo, AUTH=b"235 ok\r\n"))) as server:
        result = run("send-test", "用户@example.com", "--env-file", smtp_env(server.port),
                     "--security", "plain", "--alt-ports", "none", "--json")
    assert result.code == 1
    failed = next(p for p in result.doc["probes"] if p["status"] == "fail")
    assert (failed["name"], failed["error"]["reason"]) == ("send", "message.smtputf8_unsupported")
    no_traceback(result)


def test_non_ascii_recipient_is_sent_with_smtputf8(good_tls, smtp_env, ca_file, smtp_server):
    server = smtp_server("starttls", good_tls, smtputf8=True)
    result = run("send-test", "用户@example.com", "--env-file", smtp_env(server.port),
                 "--ca-file", ca_file, "--alt-ports", "none", "--json")
    assert result.code == 0, result.doc["probes"]
    assert server.handler.received[0].rcpt_tos == ["用户@example.com"]


@pytest.mark.parametrize("encoding", ["gbk", "cp1252", "ascii"])
def test_probe_columns_stay_aligned_where_the_marks_degrade(smtp_env, encoding):
    # A pass, a failure and skips in one report: every probe name starts in the same column.
    result = run("check", "--env-file", smtp_env(closed_port()), "--alt-ports", "none",
                 env={"PYTHONIOENCODING": encoding})
    lines = [line for line in result.stdout.splitlines()
             if re.match(r"  (OK  |FAIL|-   ) (dns|tcp|tls|smtp|auth|envelope)\b", line)]
    assert [line[2:6] for line in lines][:3] == ["OK  ", "FAIL", "-   "], result.stdout
    assert len({line.index(name) for line, name in
                ((line, line[7:].split()[0]) for line in lines)}) == 1
