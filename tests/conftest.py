from __future__ import annotations

import contextlib
import datetime
import json
import os
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme
from click.testing import CliRunner, Result

from smtpdoctor.cli import cli

# Every JSON document a test produces is validated against the schema the package ships (tests/schema.py).
from tests.schema import _schema_wrappers, pytest_terminal_summary, schema_checked  # noqa: F401
from tests.servers import PASSWORD, USER, SMTPServer

MAIL_PREFIXES = ("SMTP_", "MAIL_", "EMAIL_", "DEFAULT_EMAIL_", "RESEND_", "FROM_EMAIL",
                 "DEFAULT_FROM_EMAIL", "LC_", "LANG", "GITHUB_ACTIONS", "SSL_CERT",
                 "NO_COLOR")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the machine's own mail settings, locale or ./.env."""
    for name in list(os.environ):
        if name.startswith(MAIL_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def other_ca() -> trustme.CA:
    """A CA the client does not trust: what an intercepting antivirus uses."""
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def server_context(authority: trustme.CA, *names: str,
                   not_before: datetime.datetime | None = None,
                   not_after: datetime.datetime | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(*(names or ("localhost",)), not_before=not_before,
                         not_after=not_after).configure_cert(context)
    return context


@pytest.fixture(scope="session")
def good_tls(ca: trustme.CA) -> ssl.SSLContext:
    return server_context(ca, "localhost", "smtp.test")


@pytest.fixture(scope="session")
def untrusted_tls(other_ca: trustme.CA) -> ssl.SSLContext:
    return server_context(other_ca, "localhost")


@pytest.fixture(scope="session")
def wrong_name_tls(ca: trustme.CA) -> ssl.SSLContext:
    return server_context(ca, "mail.elsewhere.test")


@pytest.fixture(scope="session")
def expired_tls(ca: trustme.CA) -> ssl.SSLContext:
    now = datetime.datetime.now(datetime.UTC)
    return server_context(ca, "localhost", not_before=now - datetime.timedelta(days=400),
                          not_after=now - datetime.timedelta(days=2))


@pytest.fixture(scope="session")
def expiring_tls(ca: trustme.CA) -> ssl.SSLContext:
    now = datetime.datetime.now(datetime.UTC)
    return server_context(ca, "localhost", not_before=now - datetime.timedelta(days=80),
                          not_after=now + datetime.timedelta(days=5))


# --- SMTP servers on loopback, stopped at teardown -------------------------------------------

@pytest.fixture
def smtp_server() -> Iterator[Callable[..., SMTPServer]]:
    """Start an SMTPServer (tests/servers.py) with SMTPServer's own arguments, e.g.
    ``smtp_server("ssl", good_tls, auth_reply=...)``; every server started is stopped at
    teardown, the last started first. A test that stops its server mid-test, or needs it
    inside another server's lifetime, keeps an inline context manager."""
    with contextlib.ExitStack() as stack:

        def start(mode: str = "starttls", context: ssl.SSLContext | None = None,
                  **kwargs: Any) -> SMTPServer:
            return stack.enter_context(SMTPServer(mode, context, **kwargs))

        yield start


@pytest.fixture
def starttls_server(smtp_server: Callable[..., SMTPServer], good_tls: ssl.SSLContext) -> SMTPServer:
    """A working STARTTLS server with the test CA's certificate for localhost."""
    return smtp_server("starttls", good_tls)


@pytest.fixture
def ssl_server(smtp_server: Callable[..., SMTPServer], good_tls: ssl.SSLContext) -> SMTPServer:
    """A working implicit-TLS server with the test CA's certificate for localhost."""
    return smtp_server("ssl", good_tls)


@pytest.fixture
def plain_server(smtp_server: Callable[..., SMTPServer]) -> SMTPServer:
    """A plaintext server that offers no STARTTLS."""
    return smtp_server("plain")


@dataclass
class Outcome:
    """What a user sees from one run: exit code, stdout, stderr, and the JSON
    document when --json was given."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def doc(self) -> dict[str, Any]:
        return json.loads(self.stdout)

    def probe(self, name: str) -> dict[str, Any]:
        return next(p for p in self.doc["probes"] if p["name"] == name)

    def statuses(self) -> dict[str, str]:
        return {p["name"]: p["status"] for p in self.doc["probes"]}

    def reasons(self) -> list[str]:
        return [f["reason"] for f in self.doc["findings"]]


Run = Callable[..., Outcome]


def runner() -> CliRunner:
    """stdout and stderr apart, on every click the floor allows: 8.1 mixes them unless told not to,
    8.2 keeps them apart and no longer takes the flag."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


@pytest.fixture
def smtpdoctor() -> Run:
    """Run the CLI in-process, like a user would from a shell."""

    def run(*args: str, env: dict[str, str] | None = None) -> Outcome:
        result: Result = runner().invoke(cli, list(args), env=env, catch_exceptions=False)
        return Outcome(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def check(smtpdoctor: Run, ca_file: str) -> Run:
    """`check --json` on a dotenv file against loopback servers: the test CA,
    no alternative ports unless asked, a short limit."""

    def run(env: str, *extra: str, timeout: str = "2", alt_ports: str = "none") -> Outcome:
        return smtpdoctor("check", "--env-file", env, "--ca-file", ca_file, "--alt-ports", alt_ports,
                          "--timeout", timeout, "--json", *extra)

    return run


def failure(out: Outcome) -> dict[str, Any]:
    """The one failed probe of a run."""
    failed = [p for p in out.doc["probes"] if p["status"] == "fail"]
    assert len(failed) == 1, out.doc["probes"]
    return failed[0]


@pytest.fixture
def env_file(tmp_path: Path) -> Callable[..., str]:
    """Write a dotenv file (mode 600, like a careful user) and return its path."""

    def write(text: str = "", name: str = ".env", **values: object) -> str:
        path = tmp_path / name
        body = text + "".join(f"{k}={v}\n" for k, v in values.items())
        path.write_text(body, encoding="utf-8")
        path.chmod(0o600)
        return str(path)

    return write


@pytest.fixture
def account(env_file: Callable[..., str]) -> Callable[..., str]:
    """A generic SMTP_* dotenv for a server on localhost:PORT."""

    def write(port: int, **extra: object) -> str:
        values: dict[str, object] = {"SMTP_HOST": "localhost", "SMTP_PORT": port,
                                     "SMTP_USER": USER, "SMTP_PASSWORD": PASSWORD}
        values.update(extra)
        return env_file(**{k: v for k, v in values.items() if v is not None})

    return write


@pytest.fixture
def no_password_leak() -> Iterator[Callable[[str], None]]:
    """Assert that text contains the test password in none of its wire forms."""
    import base64

    forms = [PASSWORD, base64.b64encode(PASSWORD.encode()).decode(),
             base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()]

    def check(text: str) -> None:
        for form in forms:
            assert form not in text

    yield check
