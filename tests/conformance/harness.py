"""Run a real client library's driver on one settings object and read what happened.

``run_client(name, settings) -> Outcome`` launches the driver program for ``name`` (one of
``CLIENTS``) as a subprocess with a hard timeout, and ``run_many`` runs a list of them
concurrently. Settings are the driver's JSON (see each driver's docstring); besides them:

- ``trust``: ``"env"`` (default) puts ``ca_file`` in the machine's trust store for the
  subprocess, as an operator would: SSL_CERT_FILE for Python (OpenSSL's default verify
  paths, which ``ssl.create_default_context()`` loads) and NODE_EXTRA_CA_CERTS for Node;
  ``"arg"`` passes ``ca_file`` in the library's own argument only (aiosmtplib ``cert_bundle``,
  nodemailer ``tls.ca``, smtplib ``create_default_context(cafile=…)``); ``"system"`` adds
  nothing, so the test CA is untrusted.
- ``hard_timeout``: seconds after the driver's imports before it reports a hang (default 20);
  the subprocess itself is killed ``KILL_GRACE`` seconds later if even that fails.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DRIVERS = HERE / "drivers"
NODE_DIR = HERE / "node"
KILL_GRACE = 15.0

# name → (program, the module or file its runtime needs)
CLIENTS: dict[str, tuple[list[str], str]] = {
    "smtplib": ([sys.executable, str(DRIVERS / "smtplib_driver.py")], "smtplib"),
    "flask-mail": ([sys.executable, str(DRIVERS / "flask_mail_driver.py")], "flask_mail"),
    "django": ([sys.executable, str(DRIVERS / "django_driver.py")], "django"),
    "aiosmtplib": ([sys.executable, str(DRIVERS / "aiosmtplib_driver.py")], "aiosmtplib"),
    "nodemailer": (["node", str(NODE_DIR / "driver.js")], "nodemailer"),
    # Symfony Mailer as Laravel's MailManager builds it (Debian's php-symfony-mailer).
    "laravel": (["php", str(HERE / "php" / "send.php")], "symfony-mailer"),
}
SYMFONY_AUTOLOAD = Path("/usr/share/php/Symfony/Component/Mailer/autoload.php")
# Variables that would change what the driver trusts or how it connects, from the caller's
# environment: the harness decides them.
SCRUBBED = ("SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS", "NODE_OPTIONS",
            "NODE_TLS_REJECT_UNAUTHORIZED", "REQUESTS_CA_BUNDLE")


@dataclass(frozen=True)
class Outcome:
    """What the app would have seen: the send returned (``delivered``) or raised ``error``
    (``"<ExceptionClass>: <message>"``); ``hung`` when it had not finished in time."""

    delivered: bool
    error: str = ""
    hung: bool = False
    seconds: float = 0.0

    @property
    def text(self) -> str:
        return "delivered" if self.delivered else self.error


def missing_runtime(name: str) -> str | None:
    """Why ``name`` cannot run here, or None."""
    if name not in CLIENTS:
        raise KeyError(f"no driver for client {name!r}; known: {sorted(CLIENTS)}")
    program, needs = CLIENTS[name]
    if name == "laravel":
        if shutil.which("php") is None or not SYMFONY_AUTOLOAD.is_file():
            return "php and Symfony Mailer are not installed (apt-get install php-cli php-symfony-mailer)"
        return None
    if name == "nodemailer":
        if shutil.which(program[0]) is None:
            return "node is not installed (apt-get install nodejs)"
        if not (NODE_DIR / "node_modules" / "nodemailer" / "package.json").is_file():
            return f"nodemailer is not installed: run `npm ci` in {NODE_DIR}"
        return None
    if importlib.util.find_spec(needs) is None:
        return f"{needs} is not installed in {sys.executable}'s environment"
    return None


def environment(settings: Mapping[str, Any]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    ca_file = settings.get("ca_file")
    if settings.get("trust", "env") == "env" and ca_file:
        env["SSL_CERT_FILE"] = str(ca_file)
        env["NODE_EXTRA_CA_CERTS"] = str(ca_file)
    return env


def run_client(name: str, settings: Mapping[str, Any]) -> Outcome:
    """Make the real ``name`` library send one message with ``settings``."""
    reason = missing_runtime(name)
    if reason:
        raise RuntimeError(reason)
    program, _ = CLIENTS[name]
    settings = dict(settings)
    settings.setdefault("trust", "env")
    hard = float(settings.setdefault("hard_timeout", 20))
    started = time.monotonic()
    try:
        done = subprocess.run([*program, json.dumps(settings)], capture_output=True, text=True,
                              env=environment(settings), timeout=hard + KILL_GRACE,
                              stdin=subprocess.DEVNULL, cwd=HERE, check=False)
    except subprocess.TimeoutExpired:
        return Outcome(False, f"Hung: driver killed after {hard + KILL_GRACE:g} s", True,
                       time.monotonic() - started)
    elapsed = time.monotonic() - started
    for line in reversed(done.stdout.splitlines()):
        try:
            result = json.loads(line)
        except ValueError:
            continue
        if isinstance(result, dict) and "delivered" in result:
            return Outcome(bool(result["delivered"]), str(result.get("error") or ""),
                           bool(result.get("hung")), elapsed)
    tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
    return Outcome(False, f"DriverCrashed: exit {done.returncode}: {tail}", False, elapsed)


def run_many(jobs: Iterable[tuple[str, Mapping[str, Any]]], workers: int = 8) -> list[Outcome]:
    """``run_client`` over ``jobs`` concurrently, results in the jobs' order."""
    jobs = list(jobs)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(lambda job: run_client(*job), jobs))
