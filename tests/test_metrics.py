"""--metrics-file: what check and send-test leave for Prometheus (the node exporter's textfile
collector), read back with prometheus_client's own parser; written atomically, checked before any
probe, never carrying a secret; and the systemd timer that runs it every five minutes."""

from __future__ import annotations

import datetime
import itertools
import json
import os
import re
import shlex
import shutil
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from smtpdoctor.model import Checked, ProbeResult, Report, Status
from smtpdoctor.views import metrics
from tests.console import no_traceback, run
from tests.imap_server import Delivering, IMAPServer
from tests.servers import PASSWORD, USER, SMTPServer

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PROBES = ("dns", "tcp", "tls", "smtp", "auth", "envelope")
STATUSES = ("pass", "warn", "fail", "skip")
EVERY_FAMILY = {f"smtpdoctor_{name}" for name in metrics.FAMILIES}


def parsed(path: Path) -> dict[str, list[tuple[dict[str, str], float]]]:
    """The file as Prometheus reads it: family → [(labels, value)]; every family a gauge with help."""
    families = {}
    for family in text_string_to_metric_families(path.read_text(encoding="utf-8")):
        assert family.type == "gauge" and family.documentation, family.name
        assert family.name not in families  # each family once, its samples together
        families[family.name] = [(dict(s.labels), s.value) for s in family.samples]
    return families


def one(families: dict, name: str, **labels: str) -> float:
    """The value of the one sample of ``name`` whose labels include ``labels``."""
    found = [value for have, value in families[name] if labels.items() <= have.items()]
    assert len(found) == 1, (name, labels, families.get(name))
    return found[0]


def probe_states(families: dict, **labels: str) -> dict[str, str]:
    """probe → the one status whose series is 1; each probe has exactly four series."""
    states: dict[str, list[str]] = {}
    for have, value in families["smtpdoctor_probe_status"]:
        if labels.items() <= have.items():
            states.setdefault(have["probe"], [])
            if value == 1:
                states[have["probe"]].append(have["status"])
            else:
                assert value == 0
    counts = {p: sum(labels.items() <= h.items() and h["probe"] == p
                     for h, _ in families["smtpdoctor_probe_status"]) for p in states}
    assert set(counts.values()) == {4}, counts
    assert all(len(s) == 1 for s in states.values()), states
    return {probe: s[0] for probe, s in states.items()}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The collector's folder: nothing in it but what smtpdoctor writes."""
    path = tmp_path / "textfile_collector"
    path.mkdir()
    return path


# --- one app -------------------------------------------------------------------------------------

def test_a_passing_check_writes_every_series(check, account, starttls_server, folder, no_password_leak):
    target = folder / "smtpdoctor.prom"
    before = time.time()
    out = check(account(starttls_server.port), "--metrics-file", str(target))
    after = time.time()
    assert out.exit_code == 0, out.stdout
    families = parsed(target)
    base = {"command": "check", "host": "localhost", "port": str(starttls_server.port)}
    assert set(families) == EVERY_FAMILY - {"smtpdoctor_failure_info", "smtpdoctor_delivery_latency_seconds"}
    assert one(families, "smtpdoctor_check_success", **base) == 1
    assert one(families, "smtpdoctor_exit_code", **base) == 0
    assert probe_states(families, **base) == dict.fromkeys(PROBES, "pass")
    durations = {labels["probe"]: value for labels, value in families["smtpdoctor_probe_duration_seconds"]}
    # The JSON document rounds to a tenth of a millisecond; the metrics keep the microseconds.
    assert durations == pytest.approx({p["name"]: p["duration_ms"] / 1000 for p in out.doc["probes"]}, abs=6e-5)
    assert one(families, "smtpdoctor_certificate_days_left", **base) == out.probe("tls")["details"]["days_left"]
    assert before <= one(families, "smtpdoctor_last_run_timestamp_seconds", **base) <= after + 0.001
    # Every series names the command, the host and the port, and nothing about the login.
    for samples in families.values():
        for labels, _ in samples:
            assert base.items() <= labels.items()
            assert set(labels) <= {"command", "host", "port", "probe", "status", "code", "reason"}
    text = target.read_text(encoding="utf-8")
    no_password_leak(text)
    assert USER not in text
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # the collector runs as its own user
    assert sorted(os.listdir(folder)) == ["smtpdoctor.prom"]  # no temporary file left


def test_a_wrong_password_names_the_failure(check, account, good_tls, smtp_server, folder, no_password_leak):
    server = smtp_server("starttls", good_tls, password="another-password")
    target = folder / "smtpdoctor.prom"
    out = check(account(server.port), "--metrics-file", str(target))
    assert out.exit_code == 1
    families = parsed(target)
    assert one(families, "smtpdoctor_check_success") == 0
    assert one(families, "smtpdoctor_exit_code") == 1
    error = out.probe("auth")["error"]
    assert families["smtpdoctor_failure_info"] == [
        ({"command": "check", "host": "localhost", "port": str(server.port), "probe": "auth",
          "code": "EAUTH", "reason": error["reason"]}, 1.0)]
    assert probe_states(families) == {"dns": "pass", "tcp": "pass", "tls": "pass", "smtp": "pass",
                                      "auth": "fail", "envelope": "skip"}
    # A skipped probe took no time: it has no duration, rather than a 0 that drags an average down.
    assert {labels["probe"] for labels, _ in families["smtpdoctor_probe_duration_seconds"]} == set(PROBES) - {"envelope"}
    text = target.read_text(encoding="utf-8")
    no_password_leak(text)
    assert USER not in text and "another-password" not in text


def test_a_configuration_error_is_exit_code_2_with_its_reason(check, env_file, folder):
    target = folder / "smtpdoctor.prom"
    out = check(env_file(SMTP_PORT="587", SMTP_USER=USER, SMTP_PASSWORD=PASSWORD), "--metrics-file", str(target))
    assert out.exit_code == 2
    families = parsed(target)
    assert one(families, "smtpdoctor_exit_code") == 2
    assert families["smtpdoctor_failure_info"] == [
        ({"command": "check", "host": "", "port": "587", "probe": "settings", "code": "ECONFIG",
          "reason": "config.missing_host"}, 1.0)]
    assert set(probe_states(families).values()) == {"skip"}
    assert "smtpdoctor_probe_duration_seconds" not in families


def test_help_and_type_lines_do_not_follow_the_language(check, env_file, folder):
    """The collector merges the files of its folder: a metric's HELP must be the same in each."""
    env = env_file(SMTP_PORT="587")
    heads = []
    for lang in ("en", "zh"):
        target = folder / f"{lang}.prom"
        assert check(env, "--lang", lang, "--metrics-file", str(target)).exit_code == 2
        heads.append([line for line in target.read_text(encoding="utf-8").splitlines() if line.startswith("#")])
    assert heads[0] == heads[1] and len(heads[0]) == 2 * 5


def test_send_test_confirm_reports_the_delivery_latency(good_tls, ca, ca_file, env_file, smtpdoctor, folder,
                                                        tmp_path_factory):
    cert = tmp_path_factory.mktemp("imap") / "cert.pem"
    ca.issue_cert("localhost", "127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(cert))
    target = folder / "smtpdoctor.prom"
    with IMAPServer(USER, "imap-Secret-42", str(cert), ca_file) as imap, \
            SMTPServer("starttls", good_tls, handler=Delivering(imap=imap, delay=0.3)) as smtp:
        env = env_file(SMTP_HOST="localhost", SMTP_PORT=smtp.port, SMTP_USER=USER, SMTP_PASSWORD=PASSWORD,
                       IMAP_HOST="localhost", IMAP_PORT=imap.port, IMAP_USER=USER, IMAP_PASSWORD="imap-Secret-42")
        out = smtpdoctor("send-test", USER, "--confirm", "--confirm-timeout", "10", "--env-file", env,
                         "--ca-file", ca_file, "--alt-ports", "none", "--json", "--metrics-file", str(target))
    assert out.exit_code == 0, out.doc["probes"]
    families = parsed(target)
    latency = one(families, "smtpdoctor_delivery_latency_seconds", command="send-test")
    assert latency == out.probe("delivery")["details"]["latency_ms"] / 1000 and latency >= 0.2
    assert probe_states(families, command="send-test")["delivery"] == "warn"  # INBOX, the receiver's DMARC failed
    assert one(families, "smtpdoctor_check_success") == 1
    no_password = target.read_text(encoding="utf-8")
    assert PASSWORD not in no_password and "imap-Secret-42" not in no_password


# --- many accounts -------------------------------------------------------------------------------

def test_accounts_each_have_their_series_and_labels_are_escaped(starttls_server, smtpdoctor, ca_file, tmp_path,
                                                                folder, no_password_leak):
    odd = 'say "hi" \\ then\nnext line'
    rows = [
        {"tenant_id": "t1", "setting_name": "main", "smtp_host": "localhost", "smtp_port": starttls_server.port,
         "smtp_username": USER, "smtp_password": PASSWORD, "security_protocol": "STARTTLS", "from_email": USER},
        {"tenant_id": "t2", "setting_name": odd, "smtp_host": "localhost", "smtp_port": starttls_server.port,
         "smtp_username": USER, "smtp_password": "wrong-one", "security_protocol": "STARTTLS", "from_email": USER},
        {"tenant_id": "t3", "setting_name": "no host", "smtp_port": 587, "smtp_username": USER,
         "smtp_password": PASSWORD},
    ]
    source = tmp_path / "accounts.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    target = folder / "fleet.prom"
    out = smtpdoctor("check", "--accounts", str(source), "--ca-file", ca_file, "--alt-ports", "none",
                     "--timeout", "2", "--json", "--metrics-file", str(target))
    assert out.exit_code == 2  # the worst row's
    families = parsed(target)
    labels = [a["account"]["label"] for a in out.doc["accounts"]]
    assert labels == ["t1/main", f"t2/{odd}", "t3/no host"]
    codes = {a: one(families, "smtpdoctor_exit_code", account=a) for a in labels}
    assert codes == {"t1/main": 0, f"t2/{odd}": 1, "t3/no host": 2}
    assert {a: one(families, "smtpdoctor_check_success", account=a) for a in labels} == {
        "t1/main": 1, f"t2/{odd}": 0, "t3/no host": 0}
    assert probe_states(families, account=f"t2/{odd}")["auth"] == "fail"
    assert one(families, "smtpdoctor_failure_info", account="t3/no host", probe="settings") == 1
    assert one(families, "smtpdoctor_failure_info", account=f"t2/{odd}", probe="auth", code="EAUTH") == 1
    # The text format's escapes, on one line: a line feed in a label cannot start a forged sample.
    text = target.read_text(encoding="utf-8")
    assert 'account="t2/say \\"hi\\" \\\\ then\\nnext line"' in text
    assert all(line.startswith(("# HELP smtpdoctor_", "# TYPE smtpdoctor_", "smtpdoctor_"))
               for line in text.splitlines())
    assert {labels["account"] for samples in families.values() for labels, _ in samples} == set(labels)
    no_password_leak(text)
    assert "wrong-one" not in text and USER not in text


@pytest.mark.parametrize("value", ["plain", 'a"b', "a\\b", "a\nb", "a\\nb", '\\"\n', "邮件/租户"])
def test_a_label_value_round_trips_through_the_parser(value, tmp_path):
    report = Report("check", None, None, probes=(ProbeResult("dns", Status.PASS, 1.5),))
    text = metrics.fleet_metrics("check", [_checked(value, report)], now=1700000000.5)
    path = tmp_path / "m.prom"
    path.write_text(text, encoding="utf-8")
    families = parsed(path)
    assert {labels["account"] for labels, _ in families["smtpdoctor_exit_code"]} == {value}
    assert one(families, "smtpdoctor_last_run_timestamp_seconds") == 1700000000.5
    assert one(families, "smtpdoctor_probe_duration_seconds") == 0.0015


def _checked(label: str, report: Report) -> Checked:
    return Checked(label, {"index": 0, "label": label}, report)


# --- a path that cannot be written: exit 2, nothing probed ---------------------------------------

@pytest.mark.parametrize("path", ["/nonexistent-folder/smtpdoctor.prom", "{folder}/no/such/dir/x.prom"])
def test_an_unwritable_path_is_exit_2_before_any_connection(check, account, folder, path):
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    with listener:
        env = account(listener.getsockname()[1])
        out = check(env, "--metrics-file", path.format(folder=folder))
        assert out.exit_code == 2
        assert [f["reason"] for f in out.doc["findings"] if f["severity"] == "error"] == ["config.output_unwritable"]
        assert "cannot be written" in out.doc["findings"][-1]["message"]
        assert {p["status"] for p in out.doc["probes"]} == {"skip"}
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected
        # The same run with a writable path does connect: the assertion above can fail.
        again = check(env, "--until", "tcp", "--metrics-file", str(folder / "ok.prom"))
        assert again.exit_code == 0
        listener.accept()[0].close()


def test_an_unwritable_path_with_accounts_logs_nobody_in(starttls_server, smtpdoctor, ca_file, tmp_path):
    source = tmp_path / "accounts.jsonl"
    source.write_text(json.dumps({"smtp_host": "localhost", "smtp_port": starttls_server.port,
                                  "smtp_username": USER, "smtp_password": PASSWORD,
                                  "security_protocol": "STARTTLS"}) + "\n")
    for extra in (["--json"], []):
        out = smtpdoctor("check", "--accounts", str(source), "--ca-file", ca_file,
                         "--metrics-file", "/nonexistent-folder/fleet.prom", *extra)
        assert out.exit_code == 2
        assert "/nonexistent-folder/fleet.prom cannot be written" in out.stdout
    assert starttls_server.handler.logins == []


def test_an_unwritable_path_through_the_console_script(starttls_server, account, ca_file, tmp_path):
    """The installed script, text and JSON: exit 2, a sentence, never a traceback."""
    env = account(starttls_server.port)
    text = run("check", "--env-file", env, "--ca-file", ca_file, "--metrics-file", "/nonexistent-folder/m.prom")
    assert text.code == 2
    assert "The report file /nonexistent-folder/m.prom cannot be written" in text.stdout
    no_traceback(text)
    folder_given = run("check", "--env-file", env, "--metrics-file", str(tmp_path), "--json")
    assert folder_given.code == 2 and folder_given.doc["findings"][0]["reason"] == "config.usage"
    assert "is a directory" in folder_given.stderr
    no_traceback(folder_given)
    assert starttls_server.handler.logins == []


# --- written atomically --------------------------------------------------------------------------

def test_an_existing_file_is_replaced_whole(check, account, starttls_server, folder):
    target = folder / "smtpdoctor.prom"
    target.write_text("# stale\n" + 'smtpdoctor_exit_code{command="check"} 1\n' * 2000)
    target.chmod(0o600)
    inode = target.stat().st_ino
    old_mask = os.umask(0o077)  # a strict umask must not hide the file from the collector
    try:
        out = check(account(starttls_server.port), "--metrics-file", str(target))
    finally:
        os.umask(old_mask)
    assert out.exit_code == 0
    text = target.read_text(encoding="utf-8")
    assert "stale" not in text and text.endswith("\n")
    assert one(parsed(target), "smtpdoctor_exit_code") == 0
    assert target.stat().st_ino != inode  # renamed over, not truncated and rewritten in place
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert sorted(os.listdir(folder)) == ["smtpdoctor.prom"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(check, account, starttls_server, folder,
                                                                       monkeypatch):
    target = folder / "smtpdoctor.prom"
    target.write_text("smtpdoctor_exit_code 0\n")

    def full_disk(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(metrics.os, "replace", full_disk)
    out = check(account(starttls_server.port), "--metrics-file", str(target))
    assert out.exit_code == 0  # the verdict is the check's, as with a JUnit file that cannot be written
    assert f"could not write {target}: No space left on device" in out.stderr
    assert target.read_text() == "smtpdoctor_exit_code 0\n"
    assert sorted(os.listdir(folder)) == ["smtpdoctor.prom"]


def test_the_temporary_file_is_one_the_collector_skips(folder, monkeypatch):
    """node_exporter reads only *.prom: the file being written must not be one."""
    seen: list[str] = []
    real = os.replace

    def watch(src: str, dst: str) -> None:
        seen.append(os.path.basename(src))
        real(src, dst)

    monkeypatch.setattr(metrics.os, "replace", watch)
    metrics.write_metrics(str(folder / "smtpdoctor.prom"), "smtpdoctor_exit_code 0\n")
    assert len(seen) == 1 and not seen[0].endswith(".prom") and seen[0].startswith(".")


# --- the systemd timer and service ---------------------------------------------------------------

VENV_SCRIPT = "/opt/smtpdoctor/bin/smtpdoctor"
METRICS = "/var/lib/node_exporter/textfile_collector/smtpdoctor.prom"
SERVICE = EXAMPLES / "smtpdoctor-check.service"
TIMER = EXAMPLES / "smtpdoctor-check.timer"


def unit_value(path: Path, key: str) -> str:
    found = re.findall(rf"^{key}=(.*)$", path.read_text(), re.M)
    assert len(found) == 1, (path.name, key, found)
    return found[0]


def test_the_service_runs_the_check_as_a_user_into_the_collector_folder():
    assert unit_value(SERVICE, "Type") == "oneshot"
    assert unit_value(SERVICE, "User") not in ("root", "0")
    args = shlex.split(unit_value(SERVICE, "ExecStart"))
    assert args[:2] == [VENV_SCRIPT, "check"]
    assert args[args.index("--metrics-file") + 1] == METRICS
    assert unit_value(SERVICE, "ReadWritePaths") == os.path.dirname(METRICS)
    # A failing check is news for the metrics, not a failed unit; a bug (3) still fails it.
    assert unit_value(SERVICE, "SuccessExitStatus").split() == ["1", "2"]
    # The run ends itself (--max-time, with start-up to spare) before systemd kills it, and long
    # before the timer's next start.
    max_time = float(args[args.index("--max-time") + 1])
    assert max_time + 5 <= float(unit_value(SERVICE, "TimeoutStartSec")) < 300


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_the_timer_fires_every_five_minutes():
    spec = unit_value(TIMER, "OnCalendar")
    done = subprocess.run(["systemd-analyze", "calendar", "--iterations=4", spec], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "TZ": "UTC", "LC_ALL": "C"})
    assert done.returncode == 0, done.stderr
    stamps = re.findall(r"(?:Next elapse|Iter\. #\d+): \w+ (\S+ \S+) UTC", done.stdout)
    assert len(stamps) == 4, done.stdout
    times = [datetime.datetime.fromisoformat(s) for s in stamps]
    assert {(b - a).total_seconds() for a, b in itertools.pairwise(times)} == {300}
    assert times[0].minute % 5 == 0 and times[0].second == 0
    assert unit_value(TIMER, "WantedBy") == "timers.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_analyze_verify_finds_nothing_but_the_binary_this_machine_lacks(tmp_path):
    units = [str(SERVICE), str(TIMER)]
    as_shipped = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True, text=True, timeout=60)
    # /opt/smtpdoctor does not exist here; verify says so, and that is all it may say about our units.
    ours = [line for line in as_shipped.stderr.splitlines() if "smtpdoctor-check" in line]
    assert as_shipped.returncode != 0 and ours, as_shipped.stderr
    assert all(VENV_SCRIPT in line and "not executable" in line for line in ours), ours
    # A copy pointing at the smtpdoctor this test runs verifies clean: no unknown key, no bad value.
    copy = tmp_path / "units"
    copy.mkdir()
    (copy / SERVICE.name).write_text(SERVICE.read_text().replace(VENV_SCRIPT, str(Path(sys.executable).parent /
                                                                                  "smtpdoctor")))
    shutil.copy(TIMER, copy / TIMER.name)
    done = subprocess.run(["systemd-analyze", "verify", str(copy / SERVICE.name), str(copy / TIMER.name)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert [line for line in done.stderr.splitlines() if "smtpdoctor-check" in line] == []


def test_the_service_command_as_written_leaves_metrics(starttls_server, account, ca_file, tmp_path):
    """ExecStart's own options against a loopback server (the test CA through SSL_CERT_FILE, as the
    system store would hold a real one): exit 0, and a file the collector can read."""
    args = shlex.split(unit_value(SERVICE, "ExecStart"))[1:]
    target = tmp_path / "smtpdoctor.prom"
    args[args.index("--metrics-file") + 1] = str(target)
    args[args.index("--env-file") + 1] = account(starttls_server.port)
    result = run(*args, env={"SSL_CERT_FILE": ca_file})
    assert (result.code, result.stdout) == (0, "")  # --quiet: nothing in the journal on success
    no_traceback(result)
    assert one(parsed(target), "smtpdoctor_check_success") == 1
