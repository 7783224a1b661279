"""A passing `smtpdoctor check` beside what a user would otherwise run, as whole processes,
paired in one go, against one loopback STARTTLS + AUTH server: a bare smtplib script
(STARTTLS, login, MAIL, RCPT, RSET, QUIT), the ratios' base, trusting only the test CA; the
same reading the system store too, as an app's create_default_context() does; the same after
importing smtpdoctor's dependencies (the floor of any check made of them); and swaks when it
is installed.

    python bench/versus.py [N] [--against DIR]

The programs take turns (round-robin, after one unmeasured turn that writes bytecode), so a
busy moment costs each alike; ratios are to the bare script's median. With ``--against DIR``
(a checkout of another commit: ``git worktree add /tmp/before HEAD~3``) that tree's smtpdoctor
runs in the same rounds, for a before/after table. A measurement, not a test.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.fleet import starttls_server
from bench.startup import ENVIRONMENT, OURS, arguments
from tests.servers import PASSWORD, USER

SCRIPT = Path(sys.executable).parent / "smtpdoctor"
BARE = """
import smtplib, ssl, sys
port, ca, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
if sys.argv[5:] == ["floor"]:  # and first what a check cannot do without (its dependencies' imports)
    import asyncio, click, dotenv, aiosmtplib  # noqa: F401
context = ssl.create_default_context(cafile=ca)
if sys.argv[5:] in (["system"], ["floor"]):  # as an app verifies: the system's store and the test CA
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=ca)
with smtplib.SMTP("localhost", port, timeout=10) as client:
    client.starttls(context=context)
    client.login(user, password)
    client.mail(user)
    client.rcpt(user)
    client.rset()
"""


def once_ms(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    started = time.perf_counter()
    code = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          check=False, env=env).returncode
    return (time.perf_counter() - started) * 1000, code


def main() -> None:
    runs, against = arguments(15)
    with tempfile.TemporaryDirectory() as folder, starttls_server(folder) as (server, ca_file):
        env_file = os.path.join(folder, ".env")
        Path(env_file).write_text(f"SMTP_HOST=localhost\nSMTP_PORT={server.port}\nSMTP_USER={USER}\n"
                                  f"SMTP_PASSWORD={PASSWORD}\n")
        bare_file = os.path.join(folder, "bare.py")
        Path(bare_file).write_text(BARE)
        ours = [str(SCRIPT), "check", "--env-file", env_file, "--ca-file", ca_file, "--alt-ports", "none"]
        cases: dict[str, tuple[list[str], dict[str, str]]] = {
            "bare smtplib script": ([sys.executable, bare_file, str(server.port), ca_file, USER, PASSWORD],
                                    ENVIRONMENT),
            # The same script verifying as an app does (create_default_context() reads the system
            # store, ~50 ms) and as smtpdoctor does: the store plus --ca-file. Not the ratio's base.
            "bare smtplib, system store + CA": ([sys.executable, bare_file, str(server.port), ca_file, USER,
                                                 PASSWORD, "system"], ENVIRONMENT),
            # ... after importing click, asyncio, aiosmtplib and python-dotenv: the floor of a
            # check made of these libraries, however little it did itself.
            "the same, after the dependencies' imports": (
                [sys.executable, bare_file, str(server.port), ca_file, USER, PASSWORD, "floor"], ENVIRONMENT),
            "smtpdoctor check --alt-ports none": (ours, OURS),
        }
        if against:
            cases["smtpdoctor check [before]"] = (ours, {**ENVIRONMENT, "PYTHONPATH": against})
        if swaks := shutil.which("swaks"):
            cases["swaks --tls --auth --quit-after RCPT"] = (
                [swaks, "--server", f"localhost:{server.port}", "--tls", "--tls-ca-path", ca_file,
                 "--auth", "LOGIN", "--auth-user", USER, "--auth-password", PASSWORD,
                 "--to", USER, "--from", USER, "--quit-after", "RCPT"], ENVIRONMENT)
        times: dict[str, list[float]] = {name: [] for name in cases}
        codes: dict[str, int] = {}
        for turn in range(runs + 1):
            for name, (command, env) in cases.items():
                ms, codes[name] = once_ms(command, env)
                if turn:
                    times[name].append(ms)
    medians = {name: statistics.median(ms) for name, ms in times.items()}
    bare = medians["bare smtplib script"]
    print(f"median of {runs} alternating runs; goal: smtpdoctor check ≤ 2.0× the bare script")
    if not shutil.which("swaks"):
        print("(swaks is not installed here: its row is left out)")
    for name, ms in medians.items():
        print(f"{name:40} {ms:7.1f} ms  {ms / bare:4.2f}×  exit {codes[name]}")


if __name__ == "__main__":
    main()
