"""smtpdoctor and the real client, paired: the same .env, the same loopback server.

For each app (its client library and its variable names), each server kind, TLS flags in the
app's own words and credentials, the app's real library sends once (tests/conformance/drivers,
reading the .env the way such an app does) and `smtpdoctor check` runs on that .env. A pair
agrees when ``exit 0 ⇔ delivered``. Two kinds of disagreement are smtpdoctor being strict on
purpose, each under a reason that says the app *will* send: a certificate the client does not
check (``tls.cert_unchecked``) and a password sent in clear (``tls.password_in_clear``).

Then every fix smtpdoctor offers (``fixes[].changes``, verified on the wire in its run) is
written into the .env and the real client sends again: it must deliver.

The counts are printed at the end of the run (see conftest.py)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor.config.reading import parse_bool
from tests.conformance.harness import missing_runtime, run_client
from tests.conformance.servers import ConformanceServer
from tests.servers import PASSWORD, USER, SilentServer, free_port

# The tests' submission servers require AUTH without requiring TLS on purpose (plain+auth).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
STRICT_ON_PURPOSE = frozenset({"tls.cert_unchecked", "tls.password_in_clear"})
HANG = 4.0  # a client that has not sent after this long (no library timeout) did not deliver
SMTPDOCTOR = [sys.executable, "-m", "smtpdoctor"]
RESULTS: list[Pair] = []  # read by conftest.py's summary


@dataclass(frozen=True)
class App:
    """A kind of app: its client (the driver and smtpdoctor's --client), the .env it reads,
    and how it turns that .env into the library's settings."""

    client: str
    driver: str
    env: Callable[[int, str, str], dict[str, str]]  # (port, flags, creds) → .env
    read: Callable[[Mapping[str, str]], dict[str, Any]]  # .env → the driver's settings
    flags: tuple[str, ...] = ("ssl", "starttls", "none")
    creds: tuple[str, ...] = ("good", "wrong", "none")


def login(creds: str, user: str, password: str) -> dict[str, str]:
    if creds == "none":
        return {}
    return {user: USER, password: PASSWORD if creds == "good" else "not-the-password"}


def flag(env: Mapping[str, str], name: str) -> bool:
    return bool(parse_bool(env.get(name, "false")))


def common(env: Mapping[str, str], host: str, port: str, user: str, password: str) -> dict[str, Any]:
    return {"host": env[host], "port": int(env[port]), "user": env.get(user) or None,
            "password": env.get(password) or None, "sender": USER}


APPS: dict[str, App] = {
    # Flask-Mail, booleans read the common way (true/1/yes/on).
    "flask-mail": App(
        "flask-mail", "flask-mail",
        lambda port, flags, creds: {
            "MAIL_SERVER": "localhost", "MAIL_PORT": str(port), "MAIL_DEFAULT_SENDER": USER,
            **({"MAIL_USE_SSL": "true"} if flags == "ssl" else {}),
            **({"MAIL_USE_TLS": "true"} if flags == "starttls" else {}),
            **login(creds, "MAIL_USERNAME", "MAIL_PASSWORD")},
        lambda env: {**common(env, "MAIL_SERVER", "MAIL_PORT", "MAIL_USERNAME", "MAIL_PASSWORD"),
                     "MAIL_USE_SSL": flag(env, "MAIL_USE_SSL"), "MAIL_USE_TLS": flag(env, "MAIL_USE_TLS")}),
    "django": App(
        "django", "django",
        lambda port, flags, creds: {
            "EMAIL_HOST": "localhost", "EMAIL_PORT": str(port), "DEFAULT_FROM_EMAIL": USER,
            **({"EMAIL_USE_SSL": "true"} if flags == "ssl" else {}),
            **({"EMAIL_USE_TLS": "true"} if flags == "starttls" else {}),
            **login(creds, "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD")},
        lambda env: {**common(env, "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD"),
                     "EMAIL_USE_SSL": flag(env, "EMAIL_USE_SSL"), "EMAIL_USE_TLS": flag(env, "EMAIL_USE_TLS")}),
    # nodemailer: secure from EMAIL_SECURE when it is set; left out (nodemailer's default) when not.
    "nodemailer": App(
        "nodemailer", "nodemailer",
        lambda port, flags, creds: {
            "EMAIL_HOST": "localhost", "EMAIL_PORT": str(port), "EMAIL_FROM": USER,
            **({"EMAIL_SECURE": "true"} if flags == "ssl" else {}),
            **({"EMAIL_SECURE": "false"} if flags == "starttls" else {}),
            **login(creds, "EMAIL_USER", "EMAIL_PASS")},
        lambda env: {**common(env, "EMAIL_HOST", "EMAIL_PORT", "EMAIL_USER", "EMAIL_PASS"),
                     # nodemailer resolves names itself (no /etc/hosts): the address, verified as localhost.
                     "host": "127.0.0.1", "servername": "localhost",
                     **({"secure": flag(env, "EMAIL_SECURE")} if "EMAIL_SECURE" in env else {})}),
    # Seed 004's API: SMTP(hostname, port, use_tls=security_protocol == 'TLS'), login with a username.
    "seed004": App(
        "aiosmtplib", "aiosmtplib",
        lambda port, flags, creds: {
            "smtp_host": "localhost", "smtp_port": str(port), "from_email": USER,
            "security_protocol": {"ssl": "TLS", "starttls": "SSL", "none": "NONE", "tls": "tls"}[flags],
            **login(creds, "smtp_username", "smtp_password")},
        lambda env: {**common(env, "smtp_host", "smtp_port", "smtp_username", "smtp_password"),
                     "api": "seed004", "security_protocol": env["security_protocol"]},
        flags=("ssl", "starttls", "none", "tls")),
    # Seed 003's Flask app calls smtplib itself: SMTP(host, port), starttls() with MAIL_USE_TLS,
    # login() always (the app refuses to send without credentials, so none is not a case).
    "seed003": App(
        "smtplib", "smtplib",
        lambda port, flags, creds: {
            "MAIL_SERVER": "localhost", "MAIL_PORT": str(port), "MAIL_DEFAULT_SENDER": USER,
            "MAIL_USE_TLS": "true" if flags == "starttls" else "false",
            **login(creds, "MAIL_USERNAME", "MAIL_PASSWORD")},
        lambda env: {**common(env, "MAIL_SERVER", "MAIL_PORT", "MAIL_USERNAME", "MAIL_PASSWORD"),
                     "pattern": "seed003", "use_tls": flag(env, "MAIL_USE_TLS")},
        flags=("starttls", "none"), creds=("good", "wrong")),
    # Laravel: MAIL_SCHEME read as config/mail.php does (null: port 465 is smtps, else smtp).
    "laravel": App(
        "laravel", "laravel",
        lambda port, flags, creds: {
            "MAIL_MAILER": "smtp", "MAIL_HOST": "localhost", "MAIL_PORT": str(port), "MAIL_FROM_ADDRESS": USER,
            **({"MAIL_SCHEME": "smtps"} if flags == "ssl" else {}),
            **({"MAIL_SCHEME": "smtp"} if flags == "starttls" else {}),
            **login(creds, "MAIL_USERNAME", "MAIL_PASSWORD")},
        lambda env: {**common(env, "MAIL_HOST", "MAIL_PORT", "MAIL_USERNAME", "MAIL_PASSWORD"),
                     "scheme": env.get("MAIL_SCHEME"), "timeout": HANG - 1}),
}

# Server kind → (mode, certificate fixture, AUTH, the credentials and flags tried there).
KINDS: dict[str, tuple[str, str | None, str, tuple[str, ...] | None, tuple[str, ...] | None]] = {
    "ssl": ("ssl", "good_tls", "required", ("good", "wrong"), None),
    "starttls": ("starttls", "good_tls", "required", ("good", "wrong", "none"), None),
    "plain+auth": ("plain", None, "required", ("good",), None),
    "relay": ("plain", None, "none", ("good", "none"), None),
    "ssl/untrusted": ("ssl", "untrusted_tls", "required", ("good",), ("ssl",)),
    "ssl/wrong-name": ("ssl", "wrong_name_tls", "required", ("good",), ("ssl",)),
    "ssl/expired": ("ssl", "expired_tls", "required", ("good",), ("ssl",)),
    "starttls/untrusted": ("starttls", "untrusted_tls", "required", ("good",), ("starttls", "none")),
    "starttls/wrong-name": ("starttls", "wrong_name_tls", "required", ("good",), ("starttls",)),
    "starttls/expired": ("starttls", "expired_tls", "required", ("good",), ("starttls",)),
    "silent": ("silent", None, "none", ("good",), ("starttls",)),
    "closed": ("closed", None, "none", ("good",), ("starttls",)),
}


@dataclass
class Pair:
    app: str
    kind: str
    flags: str
    creds: str
    delivered: bool = False
    error: str = ""
    exit_code: int = -1
    reason: str = ""
    fixes: tuple[Mapping[str, str], ...] = ()
    after_fix: bool | None = None  # the real client with the fixes written in

    @property
    def agrees(self) -> bool:
        return (self.exit_code == 0) == self.delivered

    @property
    def strict_on_purpose(self) -> bool:
        return self.delivered and self.exit_code == 1 and self.reason in STRICT_ON_PURPOSE

    @property
    def id(self) -> str:
        return f"{self.app} {self.kind} flags={self.flags} creds={self.creds}"


@contextlib.contextmanager
def started(contexts: Mapping[str, Any]) -> Iterator[dict[str, int]]:
    ports: dict[str, int] = {}
    with contextlib.ExitStack() as stack:
        for kind, (mode, cert, auth, _, _) in KINDS.items():
            if mode == "closed":
                ports[kind] = free_port()
            elif mode == "silent":
                ports[kind] = stack.enter_context(SilentServer()).port
            else:
                server = ConformanceServer(mode, contexts[cert] if cert else None, auth=auth)  # type: ignore[arg-type]
                ports[kind] = stack.enter_context(server).port
        yield ports


def smtpdoctor(env: Mapping[str, str], client: str, ca_file: str, alt_ports: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ".env"
        path.write_text("".join(f"{k}={v}\n" for k, v in env.items()), encoding="utf-8")
        done = subprocess.run([*SMTPDOCTOR, "check", "--env-file", str(path), "--client", client, "--ca-file",
                               ca_file, "--alt-ports", alt_ports, "--timeout", "2", "--json"],
                              capture_output=True, text=True, timeout=60, check=False, cwd=folder)
    doc: dict[str, Any] = json.loads(done.stdout)
    return doc


def first_failure(doc: Mapping[str, Any]) -> str:
    failed = next((p for p in doc["probes"] if p["status"] == "fail"), None)
    if failed is not None:
        return str(failed["error"]["reason"])
    return str(next((f["reason"] for f in doc["findings"] if f["severity"] == "error"), ""))


def send(app: App, env: Mapping[str, str], ca_file: str) -> tuple[bool, str]:
    outcome = run_client(app.driver, {**app.read(env), "recipient": "rcpt@example.net", "ca_file": ca_file,
                                      "trust": "env", "hard_timeout": HANG})
    return outcome.delivered, outcome.error


def run_pair(pair: Pair, ports: Mapping[str, int], ca_file: str) -> Pair:
    app = APPS[pair.app]
    env = app.env(ports[pair.kind], pair.flags, pair.creds)
    pair.delivered, pair.error = send(app, env, ca_file)
    # The good servers are the alternatives a fix may find: what `check` would try on a host.
    doc = smtpdoctor(env, app.client, ca_file, f"{ports['ssl']},{ports['starttls']}")
    pair.exit_code, pair.reason = int(doc["exit_code"]), first_failure(doc)
    pair.fixes = tuple(fix["changes"] for fix in doc.get("fixes", []))
    if pair.fixes:
        fixed = dict(env)
        for changes in pair.fixes:
            fixed.update(changes)
        pair.after_fix, _ = send(app, fixed, ca_file)
    return pair


def pairs_of(app_name: str) -> list[Pair]:
    app = APPS[app_name]
    out = []
    for kind, (_, _, _, creds, flags) in KINDS.items():
        for f in flags or app.flags:
            for c in creds or ():
                if c in app.creds and (f in app.flags):
                    out.append(Pair(app_name, kind, f, c))
    return out


@pytest.fixture(scope="module")
def ports(good_tls, untrusted_tls, wrong_name_tls, expired_tls) -> Iterator[dict[str, int]]:
    contexts = {"good_tls": good_tls, "untrusted_tls": untrusted_tls, "wrong_name_tls": wrong_name_tls,
                "expired_tls": expired_tls}
    with started(contexts) as running:
        yield running


@pytest.mark.parametrize("app_name", sorted(APPS))
def test_smtpdoctor_passes_exactly_where_the_real_client_delivers(app_name, ports, ca_file):
    reason = missing_runtime(APPS[app_name].driver)
    if reason:
        if os.environ.get("CONFORMANCE_REQUIRE_ALL") == "1":
            pytest.fail(reason)  # CI promises every client (.ci/run installs them)
        pytest.skip(reason)
    with ThreadPoolExecutor(max_workers=6) as pool:
        done = list(pool.map(lambda p: run_pair(p, ports, ca_file), pairs_of(app_name)))
    RESULTS.extend(done)
    wrong = [f"{p.id}: delivered={p.delivered} ({p.error[:90]}) but exit {p.exit_code} {p.reason}"
             for p in done if not p.agrees and not p.strict_on_purpose]
    assert wrong == []
    # A fix cures the port or TLS mode; with a wrong password, or none where the server wants a
    # login, the next step still fails after it (smtpdoctor reports that failure below the fix).
    # With the right credentials the client must deliver, and one that delivered still must.
    broken = [f"{p.id}: fixes {list(p.fixes)} and the real client still fails" for p in done
              if p.fixes and p.after_fix is False and (p.creds == "good" or p.delivered)]
    assert broken == []

