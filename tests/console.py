"""The installed console script run as a user runs it: a subprocess, timed, its peak memory read."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SCRIPT = str(Path(sys.executable).parent / "smtpdoctor")
PEAK_RSS_LIMIT_MB = 120


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float

    @property
    def doc(self) -> dict:
        return json.loads(self.stdout)


def run_in(folder: Path, *args: str, timeout: float = 60) -> Run:
    """The console script run in ``folder``, with no mail variables in its environment."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "MAIL_", "EMAIL_"))}
    environ |= {"LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
    proc = subprocess.run([SCRIPT, *args], capture_output=True, cwd=folder, env=environ, timeout=timeout,
                          check=False)
    return Run(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"),
               0.0, 0.0)


def run(*args: str, env: dict[str, str] | None = None, stdout: int | None = subprocess.PIPE,
        shell_redirect: str = "", timeout: float = 60) -> Run:
    """The console script in a subprocess: exit code, output, wall time, peak RSS."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "MAIL_", "EMAIL_"))}
    environ |= {"LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8"} | (env or {})
    environ.pop("COLUMNS", None) if "COLUMNS" not in (env or {}) else None
    argv = [SCRIPT, *args]
    if shell_redirect:
        argv = ["sh", "-c", " ".join(shlex.quote(a) for a in argv) + " " + shell_redirect]
    proc, took, peak = measured(argv, stdout=stdout, env=environ, timeout=timeout)
    return Run(proc.returncode, (proc.stdout or b"").decode("utf-8", "replace"),
               (proc.stderr or b"").decode("utf-8", "replace"), took, peak)


# A wrapper waits for the command and reports its peak RSS and its CPU seconds (user and
# system), children included.
MEASURE = ("import resource, subprocess, sys\n"
           "code = subprocess.call(sys.argv[2:])\n"
           "used = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
           "open(sys.argv[1], 'w').write(f'{used.ru_maxrss} {used.ru_utime + used.ru_stime}')\n"
           "sys.exit(code)\n")


def measured(argv: list[str], *, stdout: int | None = subprocess.PIPE, env: dict[str, str] | None = None,
             timeout: float = 600) -> tuple[subprocess.CompletedProcess[bytes], float, float]:
    """Run ``argv``: the finished process, its wall time in seconds, its peak RSS in MiB."""
    proc, took, peak, _ = measured_cpu(argv, stdout=stdout, env=env, timeout=timeout)
    return proc, took, peak


def measured_cpu(argv: list[str], *, stdout: int | None = subprocess.PIPE, env: dict[str, str] | None = None,
                 timeout: float = 600) -> tuple[subprocess.CompletedProcess[bytes], float, float, float]:
    """:func:`measured`, and the CPU seconds the process used."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-c", MEASURE, rss.name, *argv], stdout=stdout,
                              stderr=subprocess.PIPE, env=env, timeout=timeout, check=False)
        took = time.monotonic() - started
        peak_kb, cpu = (rss.read() or "0 0").split()
    return proc, took, int(peak_kb) / 1024, float(cpu)


def no_traceback(result: Run) -> None:
    assert "Traceback" not in result.stderr and "Task exception" not in result.stderr, result.stderr
