"""Ground truth: the real client libraries (smtplib, Flask-Mail, Django, aiosmtplib,
nodemailer) against loopback servers, over the matrix in cases.py. Each case asserts what the
library really does; the whole matrix runs once, concurrently, for the module.

Set CONFORMANCE_WRITE_TABLE=1 to rewrite ground_truth.md from this run; otherwise the test
``test_table_is_current`` checks that the table in the repository says the same per case
(delivered, hung, or the exception class).

A client whose runtime is missing (Flask-Mail or Django not installed, no node, no
``npm ci`` in tests/conformance/node) is skipped with the reason; with CONFORMANCE_REQUIRE_ALL=1
(for CI) it fails instead, so a lost install step cannot pass as skips. Cases on ports 25, 465
and 587 are skipped where those cannot be bound (not root, or taken)."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import ssl
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.conformance.cases import (
    CASES,
    DELIVERED,
    HANG_TIMEOUT,
    SERVER_KINDS,
    VARIANTS,
    Case,
    client_pem,
)
from tests.conformance.harness import Outcome, missing_runtime, run_client
from tests.conformance.servers import ConformanceServer
from tests.servers import SilentServer, closed_port

TABLE = Path(__file__).with_name("ground_truth.md")
WRITE_ENV = "CONFORMANCE_WRITE_TABLE"
REQUIRE_ENV = "CONFORMANCE_REQUIRE_ALL"

pytestmark = [
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
    pytest.mark.filterwarnings("ignore:Session.login_data is deprecated"),
]


@dataclass
class Result:
    outcome: Outcome | None  # None: skipped
    received: int | None  # messages for the case's recipient that reached the server
    skip: str = ""
    runtime_missing: bool = False
    ports: set[str] = field(default_factory=set)  # the servers' ports, PORT in the table

    @property
    def text(self) -> str:
        if self.outcome is None:
            return f"skipped: {self.skip}"
        return normalise(self.outcome.text, self.ports)


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        # as asyncio's server does: a closed connection's TIME_WAIT does not make it busy
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextlib.contextmanager
def servers(contexts: dict[str, ssl.SSLContext]) -> Iterator[tuple[dict[str, Any], dict[str, str]]]:
    """Every server kind the cases use, started; and the kinds that cannot run, with why."""
    used = {case.server for case in CASES}
    running: dict[str, Any] = {}
    unavailable: dict[str, str] = {}
    with contextlib.ExitStack() as stack:
        for name in sorted(used):
            kind = SERVER_KINDS[name]
            if kind.mode == "closed":
                running[name] = closed_port()
            elif kind.mode == "silent":
                running[name] = stack.enter_context(SilentServer())
            elif kind.port is not None and not port_free(kind.port):
                unavailable[name] = f"port {kind.port} is taken or needs privileges here"
            else:
                running[name] = stack.enter_context(ConformanceServer(
                    kind.mode, contexts[kind.cert] if kind.cert else None, auth=kind.auth,
                    auth_before_tls=kind.auth_before_tls, port=kind.port))
        yield running, unavailable


def port_of(server: Any) -> int:
    return server if isinstance(server, int) else int(server.port)


def run_matrix(contexts: dict[str, ssl.SSLContext], ca_file: str) -> dict[str, Result]:
    results: dict[str, Result] = {}
    with servers(contexts) as (running, unavailable):
        jobs: list[tuple[Case, dict[str, Any]]] = []
        for index, case in enumerate(CASES):
            reason = missing_runtime(VARIANTS[case.variant].driver)
            if reason or case.server in unavailable:
                results[case.id] = Result(None, None, reason or unavailable[case.server],
                                          runtime_missing=bool(reason))
                continue
            recipient = f"case{index}@example.net"
            jobs.append((case, case.settings(port_of(running[case.server]), ca_file, recipient)))
        hanging = [job for job in jobs if job[0].hangs]
        working = [job for job in jobs if not job[0].hangs]
        # Hangs wait on the clock, not the CPU: they all run at once, beside the rest.
        with ThreadPoolExecutor(max_workers=len(hanging) + 4) as pool:
            futures = [(case, pool.submit(run_client, VARIANTS[case.variant].driver, settings))
                       for case, settings in [*hanging, *working]]
            for case, future in futures:
                results[case.id] = Result(future.result(), None)
        # the recorder keeps a message before DATA's 250 goes out, so this is already complete
        for case, settings in jobs:
            server = running[case.server]
            if isinstance(server, ConformanceServer):
                results[case.id].received = server.delivered_to(settings["recipient"])
        ports = {str(port_of(server)) for server in running.values()}
    for result in results.values():
        result.ports = ports
    return results


def normalise(error: str, ports: set[str]) -> str:
    """Server ports (random) become PORT, so the table is stable from run to run; a
    multi-line message (OpenSSL's, through Node) becomes one line."""
    error = " ".join(error.split())
    return re.sub(r"\b\d{2,5}\b", lambda m: "PORT" if m.group(0) in ports else m.group(0), error)


@pytest.fixture(scope="module")
def matrix(request: pytest.FixtureRequest, ca: trustme.CA, ca_file: str) -> dict[str, Result]:
    ca.issue_cert("client.test").private_key_and_cert_chain_pem.write_to_path(client_pem(ca_file))
    contexts = {name: request.getfixturevalue(name)
                for name in ("good_tls", "untrusted_tls", "wrong_name_tls", "expired_tls")}
    results = run_matrix(contexts, ca_file)
    if os.environ.get(WRITE_ENV):
        TABLE.write_text(render(results), encoding="utf-8")
    return results


def test_case_ids_are_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_real_client(matrix: dict[str, Result], case: Case) -> None:
    result = matrix[case.id]
    if result.outcome is None:
        if result.runtime_missing and os.environ.get(REQUIRE_ENV):
            pytest.fail(f"{result.skip} ({REQUIRE_ENV} is set)")
        pytest.skip(result.skip)
    outcome = result.outcome
    if case.expect == DELIVERED:
        assert outcome.delivered, outcome.error
    else:
        assert not outcome.delivered
        assert re.match(case.expect, outcome.error), outcome.error
    if result.received is not None:
        # what the app saw agrees with what the server got
        assert result.received == (1 if outcome.delivered else 0), (outcome, result.received)


def kind_of(text: str) -> str:
    """delivered, hung, or the exception class: what the table must keep saying."""
    if text == DELIVERED:
        return text
    if text.startswith("Hung:"):
        return "hung"
    return text.split(":", 1)[0]


def render(results: dict[str, Result]) -> str:
    lines = [
        "# Ground truth: real clients against loopback servers",
        "",
        "Generated by `CONFORMANCE_WRITE_TABLE=1 python -m pytest tests/conformance` "
        f"({len(results)} cases); do not edit by hand. Each row: the client as an app "
        "uses it, the server (cases.SERVER_KINDS), the client's flags in the library's own terms, the "
        "credentials, the library's own timeout if the app passes one, where the test CA is trusted "
        "(env: the trust store via SSL_CERT_FILE / NODE_EXTRA_CA_CERTS; arg: the library's own CA "
        "argument; system: not at all), and what really happened. `Hung: ...` means no result "
        f"within the watchdog's {HANG_TIMEOUT:g} s (the library would have waited longer: its own "
        "timeout, if any, is longer or none). Server ports are random and shown as PORT. Case ids are "
        "`cases.Case.id`; the assertions are in test_ground_truth.py.",
        "",
        "Servers:",
        "",
    ]
    lines += [f"- `{name}`: {kind.about}" for name, kind in SERVER_KINDS.items()]
    lines += ["", "Clients:", ""]
    lines += [f"- `{name}` ({variant.driver}): {variant.about}" for name, variant in VARIANTS.items()]
    lines += ["", "| client | server | flags | creds | lib timeout | CA | observed | research doc says |",
              "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for case in CASES:
        result = results[case.id]
        observed = result.text
        flags = ", ".join(f"{k}={v}" for k, v in case.flags.items()) or "-"
        timeout = "-" if case.timeout is None else f"{case.timeout:g} s"
        claim = case.claim + (f" — **differs**: {case.differs}" if case.differs else "")
        cells = [case.variant, case.server, flags, case.creds, timeout, case.trust, observed, claim]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def test_table_is_current(matrix: dict[str, Result]) -> None:
    if os.environ.get(WRITE_ENV):
        pytest.skip(f"{TABLE.name} was just written")
    assert TABLE.is_file(), f"run with {WRITE_ENV}=1 to write {TABLE}"
    rows = [line for line in TABLE.read_text(encoding="utf-8").splitlines()
            if line.startswith("| ") and not line.startswith(("| client", "| ---"))]
    assert len(rows) == len(CASES), f"{TABLE.name} is out of date: rerun with {WRITE_ENV}=1"
    for case, row in zip(CASES, rows, strict=True):
        result = matrix[case.id]
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]
        assert cells[:2] == [case.variant, case.server], (case.id, row)
        if result.outcome is None or cells[6].startswith("skipped"):
            continue
        assert kind_of(cells[6]) == kind_of(result.text), \
            f"{case.id}: table says {cells[6]!r}, this run {result.text!r}; rerun with {WRITE_ENV}=1"
