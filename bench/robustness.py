"""Every hostile case of issue 8 as a user meets it: the installed console script against a
misbehaving server, a hostile settings file, a closed or full stdout, a signal. Prints each
case's exit code, wall time and peak memory (RSS of the process and its children).

    python bench/robustness.py

The same cases are tests in tests/test_robust.py, which assert the limits; this prints the figures.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trustme

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.conftest import server_context
from tests.console import SCRIPT, run
from tests.servers import PASSWORD, USER, DroppingPort, SMTPServer, closed_port
from tests.test_robust import HOSTILE, HOSTILE_FILES, Dripping, Hostile


def env_file(folder: Path, port: int) -> str:
    path = folder / f"{port}.env"
    path.write_text(f"SMTP_HOST=localhost\nSMTP_PORT={port}\nSMTP_USER={USER}\nSMTP_PASSWORD={PASSWORD}\n")
    path.chmod(0o600)
    return str(path)


def row(case: str, code: int, seconds: float, peak_mb: float | None, what: str = "") -> None:
    peak = f"{peak_mb:6.1f} MB" if peak_mb is not None else "      —  "
    print(f"| {case} | {code} | {seconds:.2f} s | {peak} | {what} |")


def failed_reason(stdout: str) -> str:
    import json

    try:
        doc = json.loads(stdout)
    except ValueError:
        return ""
    failed = [p for p in doc.get("probes", []) if p["status"] == "fail"]
    if failed:
        return f"{failed[0]['name']}: {failed[0]['error']['code']} {failed[0]['error']['reason']}"
    return ", ".join(f["reason"] for f in doc.get("findings", []) if f["severity"] == "error")


def main() -> None:
    logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd's own deprecation notes
    folder = Path(tempfile.mkdtemp())
    print("| case | exit | wall | peak | verdict |\n| --- | --- | --- | --- | --- |")
    for case, (script, _, _) in sorted(HOSTILE.items()):
        with Hostile(script) as server:
            r = run("check", "--env-file", env_file(folder, server.port), "--security", "plain",
                    "--timeout", "3", "--max-time", "8", "--alt-ports", "none", "--json")
        row(f"server: {case}", r.code, r.seconds, r.peak_mb, failed_reason(r.stdout))
    from tests.test_robust import answering, by_verb, close_mid_handshake

    ehlo = b"250-h\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n"
    tls_cases = {
        "close mid-TLS-handshake": (close_mid_handshake, "SMTP_SECURE=true\n"),
        "STARTTLS answered 454": (answering(by_verb(EHLO=ehlo, STARTTLS=b"454 4.7.0 TLS not available\r\n")),
                                  "SMTP_TLS=true\n"),
        "STARTTLS answered in plaintext": (answering(by_verb(EHLO=ehlo, STARTTLS=b"220 go\r\nno TLS\r\n")),
                                           "SMTP_TLS=true\n"),
    }
    for case, (script, flag) in tls_cases.items():
        with Hostile(script) as server:
            path = env_file(folder, server.port)
            Path(path).write_text(Path(path).read_text() + flag)
            r = run("check", "--env-file", path, "--timeout", "3", "--alt-ports", "none", "--json")
        row(f"server: {case}", r.code, r.seconds, r.peak_mb, failed_reason(r.stdout))
    for limits in (["--timeout", "30", "--max-time", "2"], ["--timeout", "2"]):
        with Dripping() as server:
            r = run("check", "--env-file", env_file(folder, server.port), *limits, "--alt-ports", "none",
                    "--json")
        row(f"server: greeting dripped 1 byte/s, {' '.join(limits)}", r.code, r.seconds, r.peak_mb,
            failed_reason(r.stdout))

    for case, make in sorted(HOSTILE_FILES.items()):
        sub = folder / case.replace(" ", "_").replace(",", "")
        sub.mkdir()
        make(sub / "hostile.env")
        r = run("check", "--env-file", str(sub / "hostile.env"), "--json", timeout=30)
        row(f".env: {case}", r.code, r.seconds, r.peak_mb, failed_reason(r.stdout))

    ca = trustme.CA()
    ca_file = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with SMTPServer("starttls", server_context(ca, "localhost")) as server:
        passing = ["check", "--env-file", env_file(folder, server.port), "--ca-file", str(ca_file),
                   "--alt-ports", "none"]
        for encoding in ("gbk", "cp1252", "ascii"):
            for extra in ([], ["--json"]):
                r = run(*passing, "--lang", "zh", *extra, env={"PYTHONIOENCODING": encoding})
                row(f"stdout {encoding}{' --json' if extra else ''}, --lang zh", r.code, r.seconds, r.peak_mb)
        for redirect in (">&-", ">/dev/full", "| head -c 10 >/dev/null"):
            r = run(*passing, stdout=None, shell_redirect=redirect)
            row(f"stdout {redirect}".replace("|", "piped to"), r.code, r.seconds, r.peak_mb)

    for sig, word in ((signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM")):
        with DroppingPort() as dropped:
            argv = [SCRIPT, "check", "--env-file", env_file(folder, dropped.port), "--timeout", "1",
                    "--alt-ports", str(closed_port())]
            proc = subprocess.Popen(argv,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            time.sleep(0.7)
            sent = time.monotonic()
            proc.send_signal(sig)
            _, err = proc.communicate(timeout=10)
            row(f"{word} during a dropped connect", proc.returncode, time.monotonic() - sent, None,
                f"signal to exit; stderr {err.decode().strip()!r}")
    os.system(f"rm -rf {folder}")


if __name__ == "__main__":
    main()
