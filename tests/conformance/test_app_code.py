"""smtpdoctor reads the app's own configuration code; the app's own code, run for real, is the
judge. Each folder under tests/apps is a small app written the way real projects write
their mail settings (seed 003's config.py byte for byte, the Flask Mega-Tutorial's
``is not None``, Django's ``== 'True'``, python-decouple, django-environ, nodemailer with
``=== 'true'``, compiled TypeScript). For each case the folder is copied beside a .env, the
app's code sends once against a loopback server (tests/conformance/apps/run_*.{py,js}), and
``smtpdoctor check`` runs in that folder with no --client and no project file: it must pass
exactly where the app delivers, and every fix it offers, written into the .env, must make the
app deliver."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.conformance.harness import SCRUBBED, missing_runtime
from tests.conformance.servers import ConformanceServer
from tests.conformance.test_pairs import first_failure
from tests.conftest import server_context
from tests.servers import PASSWORD, USER

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
APPS = Path(__file__).resolve().parent.parent / "apps"
RUNNERS = Path(__file__).resolve().parent / "apps"
HANG = 6.0
RECIPIENT = "rcpt@example.net"


@dataclass(frozen=True)
class Case:
    app: str
    server: str  # "starttls" or "ssl"
    env: Mapping[str, str]  # "{port}" is the server's port
    delivers: bool  # what the app's own code did when this case was written
    reason: str = ""  # smtpdoctor's first failure, when the app fails
    fix: Mapping[str, str] = field(default_factory=dict)  # a fix it must offer ("{ssl}": that port)

    @property
    def id(self) -> str:
        return f"{self.app}-{self.server}-" + ",".join(f"{k}={v}" for k, v in self.env.items()
                                                      if k.endswith(("TLS", "SSL", "SECURE")))


def login(host: str, port: str, user: str, password: str, sender: str) -> dict[str, str]:
    return {host: "localhost", port: "{port}", user: USER, password: PASSWORD, sender: USER}


FLASK = login("MAIL_SERVER", "MAIL_PORT", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_DEFAULT_SENDER")
DJANGO = login("EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "DEFAULT_FROM_EMAIL")
# nodemailer resolves names with its own DNS queries, not /etc/hosts: the address, which the
# test certificate names too.
NODE = {**login("SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASS", "MAIL_FROM"), "SMTP_HOST": "127.0.0.1"}
LARAVEL = login("MAIL_HOST", "MAIL_PORT", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_FROM_ADDRESS")
CASES = (
    # Seed 003: MAIL_USE_TLS defaults to 'true' and is read as .lower() in ['true', 'on', '1'].
    Case("seed003", "starttls", FLASK, True),
    Case("seed003", "starttls", {**FLASK, "MAIL_USE_TLS": "yes"}, False, "auth.not_offered",
         {"MAIL_USE_TLS": "true"}),
    Case("seed003", "starttls", {**FLASK, "MAIL_USE_TLS": "On"}, True),
    # The Mega-Tutorial: MAIL_USE_TLS = os.environ.get('MAIL_USE_TLS') is not None; no MAIL_USE_SSL.
    Case("megatutorial", "starttls", {**FLASK, "MAIL_USE_TLS": "false"}, True),
    Case("megatutorial", "starttls", FLASK, False, "auth.not_offered", {"MAIL_USE_TLS": "true"}),
    Case("megatutorial", "ssl", {**FLASK, "MAIL_USE_SSL": "true"}, False),
    # Django settings with os.getenv('EMAIL_USE_TLS', 'False') == 'True'.
    Case("django_true", "starttls", {**DJANGO, "EMAIL_USE_TLS": "true"}, False, "auth.not_offered",
         {"EMAIL_USE_TLS": "True"}),
    Case("django_true", "starttls", {**DJANGO, "EMAIL_USE_TLS": "True"}, True),
    # python-decouple: config('EMAIL_USE_TLS', default=True, cast=bool).
    Case("decouple_app", "starttls", DJANGO, True),
    Case("decouple_app", "starttls", {**DJANGO, "EMAIL_USE_TLS": "maybe"}, False, "config.code_raises"),
    # django-environ: env.bool('EMAIL_USE_TLS', default=False) takes 'ok' and refuses 't'.
    Case("environ_app", "starttls", {**DJANGO, "EMAIL_USE_TLS": "ok"}, True),
    Case("environ_app", "starttls", {**DJANGO, "EMAIL_USE_TLS": "t"}, False, "auth.not_offered",
         {"EMAIL_USE_TLS": "true"}),
    # nodemailer with secure: process.env.EMAIL_SECURE === 'true'.
    Case("node_strict", "ssl", {**NODE, "EMAIL_SECURE": "True"}, False, "", {"EMAIL_SECURE": "true"}),
    Case("node_strict", "starttls", {**NODE, "EMAIL_SECURE": "1"}, True),
    # Compiled TypeScript: secure unless SMTP_SECURE is 'false' in any case.
    Case("node_ts", "ssl", NODE, True),
    # 'no' is not 'false': secure stays on, the STARTTLS port fails; the SSL port is the fix.
    Case("node_ts", "starttls", {**NODE, "SMTP_SECURE": "no"}, False, "", {"SMTP_PORT": "{ssl}"}),
    # Laravel 11's config/mail.php: the mailer defaults to log, and MAIL_ENCRYPTION is never read.
    Case("laravel", "starttls", LARAVEL, False, "config.mailer_not_smtp"),
    Case("laravel", "starttls", {**LARAVEL, "MAIL_MAILER": "smtp", "MAIL_ENCRYPTION": "ssl"}, True),
    Case("laravel", "ssl", {**LARAVEL, "MAIL_MAILER": "smtp", "MAIL_SCHEME": "smtps"}, True),
    Case("laravel", "ssl", {**LARAVEL, "MAIL_MAILER": "smtp"}, False, "", {"MAIL_SCHEME": "smtps"}),
)


def runner(app: str) -> list[str]:
    if app == "laravel":
        return ["php", str(RUNNERS / "run_laravel.php"), "{folder}"]
    if app.startswith("node"):
        module = "dist/mailer.js" if (APPS / app / "dist").is_dir() else "mailer.js"
        return ["node", str(RUNNERS / "run_node.js"), "{folder}", module]
    kind = {"seed003": "mailer:send", "megatutorial": "mailing:send"}.get(app, "django")
    return [sys.executable, str(RUNNERS / "run_python.py"), "{folder}", kind]


def needs(app: str) -> str | None:
    if app.startswith("node") and importlib.util.find_spec("tree_sitter_javascript") is None:
        return "the code extra (tree-sitter-javascript) is not installed"
    if app == "laravel" and importlib.util.find_spec("tree_sitter_php") is None:
        return "the code extra (tree-sitter-php) is not installed"
    return missing_runtime("nodemailer" if app.startswith("node") else
                           "laravel" if app == "laravel" else
                           "flask-mail" if app == "megatutorial" else
                           "smtplib" if app == "seed003" else "django")


def dotenv(env: Mapping[str, str], port: int) -> str:
    return "".join(f"{k}={v.replace('{port}', str(port))}\n" for k, v in env.items())


def run_app(folder: Path, app: str, ca_file: str) -> tuple[bool, str]:
    from dotenv import dotenv_values

    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env.update({k: v for k, v in dotenv_values(folder / ".env").items() if v is not None})
    env.update(SSL_CERT_FILE=ca_file, NODE_EXTRA_CA_CERTS=ca_file, PYTHONDONTWRITEBYTECODE="1")
    command = [part.replace("{folder}", str(folder)) for part in runner(app)] + [RECIPIENT]
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=HANG,
                              stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        return False, "hung"
    for line in reversed(done.stdout.splitlines()):
        try:
            result = json.loads(line)
        except ValueError:
            continue
        return bool(result["delivered"]), str(result.get("error", ""))
    return False, f"runner crashed: {done.stderr.strip()[-300:]}"


def smtpdoctor(folder: Path, ca_file: str, alt_ports: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "smtpdoctor", "check", "--env-file", str(folder / ".env"),
                           "--ca-file", ca_file, "--alt-ports", alt_ports, "--timeout", "2", "--json"],
                          capture_output=True, text=True, timeout=60, check=False, cwd=folder)
    doc: dict[str, Any] = json.loads(done.stdout)
    return doc



@pytest.fixture(scope="module")
def servers(ca: trustme.CA) -> Iterator[dict[str, int]]:
    context = server_context(ca, "localhost", "127.0.0.1")
    with ConformanceServer("starttls", context) as starttls, ConformanceServer("ssl", context) as ssl_:
        yield {"starttls": starttls.port, "ssl": ssl_.port}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_the_app_code_decides_as_the_app_does(case: Case, servers, ca_file, tmp_path):
    reason = needs(case.app)
    if reason:
        if os.environ.get("CONFORMANCE_REQUIRE_ALL") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    folder = tmp_path / case.app
    shutil.copytree(APPS / case.app, folder)
    (folder / ".env").write_text(dotenv(case.env, servers[case.server]), encoding="utf-8")
    delivered, error = run_app(folder, case.app, ca_file)
    assert delivered == case.delivers, f"the app itself: {error}"
    doc = smtpdoctor(folder, ca_file, f"{servers['ssl']},{servers['starttls']}")
    assert (doc["exit_code"] == 0) == delivered, (doc["exit_code"], first_failure(doc), error)
    if case.reason:
        assert first_failure(doc) == case.reason
    fixes = [fix["changes"] for fix in doc.get("fixes", [])]
    if case.fix:
        assert {k: v.replace("{ssl}", str(servers["ssl"])) for k, v in case.fix.items()} in fixes
    for changes in fixes:
        fixed = {**case.env, **changes}
        (folder / ".env").write_text(dotenv(fixed, servers[case.server]), encoding="utf-8")
        after, error = run_app(folder, case.app, ca_file)
        assert after, f"fix {changes}: the app still fails: {error}"
