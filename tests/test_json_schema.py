"""The JSON Schema the package ships (smtpdoctor/schemas/document.schema.json): it describes the
document of every command, follows the code's own vocabularies, and rejects what it must.

Beyond these tests, every document the suite produces is validated (tests/schema.py)."""

from __future__ import annotations

import copy
import json
import re
import tomllib
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from tests import console
from tests.conftest import Run
from tests.schema import LEDGER, RESOURCE, problems, shipped, strict
from tests.servers import PASSWORD, USER, DNSServer, SMTPServer

DEFS = shipped()["$defs"]


def of_kind(kind: str) -> Draft202012Validator:
    """A validator for one kind of document, ``#/$defs/<kind>``, resolved in the shipped file:
    how a consumer that knows what it ran can validate against that kind alone."""
    uri = shipped()["$id"]
    registry: Registry[Any] = Registry().with_resource(uri, Resource.from_contents(shipped()))
    return Draft202012Validator({"$ref": f"{uri}#/$defs/{kind}"}, registry=registry)


def assert_valid(document: dict[str, Any], kind: str) -> dict[str, Any]:
    """Valid against the shipped schema, its strict copy, and the $def of its kind."""
    assert problems(document, closed=False) == []
    assert problems(document, closed=True) == []
    assert [e.message for e in of_kind(kind).iter_errors(document)] == []
    return document


def enum(name: str) -> list[Any]:
    return DEFS[name]["enum"]  # type: ignore[no-any-return]


# --- the file itself -------------------------------------------------------------------------

def test_the_schema_ships_in_the_package_as_draft_2020_12():
    resource = files("smtpdoctor").joinpath(RESOURCE)
    assert resource.is_file()
    schema = json.loads(resource.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    Draft202012Validator.check_schema(strict(schema))
    # Its policy on new fields is stated, and kept: the shipped file closes no object.
    assert "new field" in schema["description"].lower()
    closed = [node for node in walk(schema) if node.get("additionalProperties") is False
              or node.get("unevaluatedProperties") is False]
    assert closed == []


def walk(node: Any) -> list[dict[str, Any]]:
    """Every subschema of ``node``."""
    if isinstance(node, dict):
        return [node, *(n for v in node.values() for n in walk(v))]
    if isinstance(node, list):
        return [n for v in node for n in walk(v)]
    return []


# --- a document of every command -------------------------------------------------------------

@pytest.fixture
def passing_env(account: Callable[..., str], starttls_server: SMTPServer) -> str:
    return account(starttls_server.port)


def test_check_passing_and_failing(check: Run, account: Callable[..., str], starttls_server: SMTPServer,
                                   smtp_server: Callable[..., SMTPServer], good_tls: Any):
    good = check(account(starttls_server.port), "-v")
    assert good.exit_code == 0
    doc = assert_valid(good.doc, "report_document")
    assert doc["command"] == "check" and doc["transcript"]
    assert [p["name"] for p in doc["probes"]] == ["dns", "tcp", "tls", "smtp", "auth", "envelope"]
    assert isinstance(good.probe("tls")["details"]["days_left"], int)  # typed details (schema 2)

    refusing = smtp_server("starttls", good_tls, password="something else")
    bad = check(account(refusing.port))
    assert bad.exit_code == 1
    doc = assert_valid(bad.doc, "report_document")
    failed = next(p for p in doc["probes"] if p["status"] == "fail")
    assert (failed["name"], failed["error"]["code"], failed["error"]["reply_code"]) == ("auth", "EAUTH", 535)
    assert {p["status"] for p in doc["probes"][doc["probes"].index(failed) + 1:]} == {"skip"}


def test_check_with_a_configuration_error(check: Run, env_file: Callable[..., str]):
    out = check(env_file(SMTP_PORT="587"))
    assert out.exit_code == 2
    assert_valid(out.doc, "report_document")


def test_send_test(smtpdoctor: Run, passing_env: str, ca_file: str):
    out = smtpdoctor("send-test", "you@example.com", "--env-file", passing_env, "--ca-file", ca_file,
                     "--alt-ports", "none", "--timeout", "2", "--json")
    assert out.exit_code == 0, out.stdout
    doc = assert_valid(out.doc, "report_document")
    assert doc["command"] == "send-test" and out.probe("send")["details"]["bytes"] > 0


def test_config(smtpdoctor: Run, env_file: Callable[..., str]):
    out = smtpdoctor("config", "--env-file", env_file(MAIL_SERVER="smtp.qq.com", MAIL_PORT="465",
                                                      MAIL_USERNAME="dev@qq.com", MAIL_PASSWORD="x" * 16),
                     "--json")
    doc = assert_valid(out.doc, "report_document")
    assert (doc["command"], doc["probes"], doc["settings"]["family"]) == ("config", [], "flask-mail")
    assert doc["settings"]["password"] == {"set": True, "length": 16}


def test_domain(smtpdoctor: Run, env_file: Callable[..., str]):
    zone = {"example.test": {"MX": ["10 mx.example.test."], "TXT": ['"v=spf1 include:sendgrid.net -all"']},
            "sendgrid.net": {"TXT": ['"v=spf1 ip4:167.89.0.0/17 -all"']}}
    with DNSServer(zone=zone) as dns:
        out = smtpdoctor("domain", "example.test", "--env-file", env_file(SMTP_FROM="a@example.test"),
                         "--dns-server", dns.address, "--timeout", "3", "--json")
    doc = assert_valid(out.doc, "report_document")
    assert doc["command"] == "domain" and doc["domain"] == "example.test"
    assert [p["name"] for p in doc["probes"]] == ["mx", "spf", "dkim", "dmarc"]
    none = smtpdoctor("domain", "--env-file", env_file(SMTP_HOST="smtp.example.test"), "--json")
    assert none.exit_code == 2
    assert_valid(none.doc, "report_document")


def test_accounts(smtpdoctor: Run, starttls_server: SMTPServer, ca_file: str, tmp_path: Path):
    rows = [{"tenant_id": "t1", "setting_name": "ok", "smtp_host": "localhost", "smtp_port": starttls_server.port,
             "smtp_username": USER, "smtp_password": PASSWORD, "security_protocol": "STARTTLS"},
            {"tenant_id": "t2", "setting_name": "no host", "smtp_username": USER, "smtp_password": PASSWORD},
            "{not json"]
    source = tmp_path / "accounts.jsonl"
    source.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    out = smtpdoctor("check", "--accounts", str(source), "--ca-file", ca_file, "--alt-ports", "none",
                     "--timeout", "2", "--json")
    doc = assert_valid(out.doc, "fleet_document")
    assert doc["summary"] == {"total": 3, "passed": 1, "failed": 0, "config_errors": 2, "internal_errors": 0}
    assert [a["account"]["index"] for a in doc["accounts"]] == [0, 1, 2]
    for entry in doc["accounts"]:  # an entry is no document of its own: its kind alone
        assert [e.message for e in of_kind("account_entry").iter_errors(entry)] == []
    linted = smtpdoctor("config", "--accounts", str(source), "--json")
    assert assert_valid(linted.doc, "fleet_document")["command"] == "config"
    unreadable = smtpdoctor("check", "--accounts", str(tmp_path / "missing.jsonl"), "--json")
    assert unreadable.exit_code == 2
    assert_valid(unreadable.doc, "report_document")  # the run as a whole could not start


def test_providers(smtpdoctor: Run):
    for lang in ("en", "zh"):
        doc = assert_valid(smtpdoctor("providers", "--json", "--lang", lang).doc, "providers_document")
        assert {"qq", "gmail", "163"} <= {p["id"] for p in doc["providers"]}


def test_explain(smtpdoctor: Run):
    found = smtpdoctor("explain", "535", "--json")
    doc = assert_valid(found.doc, "explain_document")
    assert doc["query"] == "535" and doc["matches"]
    nothing = smtpdoctor("explain", "no such thing at all", "--json")
    assert nothing.exit_code == 2
    assert assert_valid(nothing.doc, "explain_document")["matches"] == []


@pytest.mark.parametrize("argv", [
    ("check", "--timeout", "abc", "--json"),
    ("send-test", "--json"),  # a missing recipient
    ("providers", "--json", "--no-such-option"),
    ("--json", "--no-such-option"),  # no command at all
])
def test_usage_errors_under_json(argv: tuple[str, ...]):
    """main()'s, so the console script's: click's own runner never prints this document."""
    out = console.run(*argv)
    assert out.code == 2
    doc = assert_valid(out.doc, "usage_document")
    assert doc["command"] == (argv[0] if not argv[0].startswith("-") else None)


def test_the_python_api(starttls_server: SMTPServer, ca_file: str):
    import smtpdoctor

    report = smtpdoctor.check({"smtp_host": "localhost", "smtp_port": starttls_server.port,
                               "smtp_username": USER, "smtp_password": PASSWORD},
                              ca_file=ca_file, alt_ports="none", timeout=2)
    assert report.ok
    assert_valid(report.to_dict(), "report_document")
    assert_valid(smtpdoctor.check({"SMTP_USER": USER}).to_dict("zh"), "report_document")


# --- what the schema rejects -----------------------------------------------------------------

@pytest.fixture
def report(check: Run, passing_env: str) -> dict[str, Any]:
    return check(passing_env).doc


def broken(document: dict[str, Any], change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    copied = copy.deepcopy(document)
    change(copied)
    return copied


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d.update(exit_code="0"), r"^exit_code: '0' is not of type 'integer'"),
    (lambda d: d.pop("probes"), r"'probes' is a required property"),
    (lambda d: d["settings"].pop("host"), r"^settings: 'host' is a required property"),
    (lambda d: d["probes"][0].update(status="ok"), r"^probes/0/status: 'ok' is not one of"),
    (lambda d: d["probes"][0].update(name="ping"), r"^probes/0/name: 'ping' is not one of"),
    (lambda d: d["probes"][2]["details"].update(days_left="355"), r"details/days_left: '355' is not of type 'integer'"),
    (lambda d: d["probes"][0]["details"].update(addresses="127.0.0.1"), r"details/addresses: '127.0.0.1' is not of type 'array'"),
    (lambda d: d["probes"][0]["details"].update(extra={"nested": 1}), r"details/extra: \{'nested': 1\} is not of type"),
    (lambda d: d.update(ok=False), r"^exit_code: 0 should not be valid"),
    (lambda d: d.update(schema=1), r"^schema: 2 was expected"),
    (lambda d: d["probes"][4].update(status="fail"), r"^probes/4/error: None is not of type 'object'"),
    (lambda d: d["findings"].append({"severity": "fatal", "reason": "config.x", "message": "m", "remedy": "r"}),
     r"/severity: 'fatal' is not one of"),
])
def test_a_wrong_type_or_a_missing_field_is_rejected(report: dict[str, Any], change: Callable[..., object],
                                                      expected: str):
    assert problems(report) == []
    found = problems(broken(report, change), closed=False)
    assert any(re.search(expected, line) for line in found), found


def test_a_new_field_passes_the_shipped_schema_and_fails_the_suites_strict_copy(report: dict[str, Any]):
    """The shipped schema is open (a later release may add fields); the suite's copy is closed,
    so a field the code prints must be described before the suite passes."""
    grown = broken(report, lambda d: (d.update(elapsed_ms=12.5), d["probes"][0].update(attempts=1)))
    assert problems(grown, closed=False) == []
    found = problems(grown, closed=True)
    assert any("'elapsed_ms' was unexpected" in line for line in found), found
    assert any(line.startswith("probes/0:") and "'attempts' was unexpected" in line for line in found), found


def test_other_kinds_reject_their_own_mistakes(smtpdoctor: Run):
    providers = smtpdoctor("providers", "--json").doc
    assert problems(broken(providers, lambda d: d["providers"][0].update(default_port="465")), closed=False)
    assert problems(broken(providers, lambda d: d["providers"][0]["ports"].update({"465": "tls"})), closed=False)
    explained = smtpdoctor("explain", "535", "--json").doc
    assert problems(broken(explained, lambda d: d["matches"][0].pop("code")), closed=False)
    fleet = {"schema": 2, "ok": True, "exit_code": 0, "command": "check",
             "summary": {"total": 0, "passed": 0, "failed": 0, "config_errors": 0, "internal_errors": 0}, "accounts": []}
    assert problems(fleet) == []
    assert problems({**fleet, "summary": {"total": 1}}, closed=False)
    assert problems({**fleet, "accounts": [{"schema": 2}]}, closed=False)  # an entry is a whole report
    usage = {"schema": 2, "ok": False, "exit_code": 2, "command": "check", "provider": None, "settings": None,
             "findings": [{"severity": "error", "reason": "config.usage", "message": "m", "remedy": "r"}],
             "probes": []}
    assert problems(usage) == []
    assert problems({**usage, "exit_code": 1}, closed=False)


def test_the_suite_wide_check_fails_a_test_whose_document_is_wrong(capsys: pytest.CaptureFixture[str]):
    """The wrapped emit_json (tests/schema.py) keeps what it prints; the document is validated when
    the test ends, and one that does not validate fails the test. Settled here, and taken back."""
    from smtpdoctor.views import console as views_console

    views_console.emit_json({"schema": 2, "ok": True, "exit_code": "0"})
    assert "exit_code" in capsys.readouterr().out
    found = LEDGER.settle()
    assert any(line.startswith("[in-process] exit_code:") for line in found), found
    assert any("'command' is a required property" in line for line in found), found


# --- the schema follows the code's vocabularies ----------------------------------------------

def test_the_enums_are_the_codes_own():
    from smtpdoctor.cli import cli
    from smtpdoctor.codes import CLIENT_IDS, ExitCode
    from smtpdoctor.config.families import FAMILIES
    from smtpdoctor.model import ErrorCode, Severity, Status
    from smtpdoctor.views.document import SCHEMA

    assert set(enum("error_code")) == {c.value for c in ErrorCode}
    assert set(enum("exit_code")) == {int(c) for c in ExitCode}
    assert set(DEFS["probe"]["properties"]["status"]["enum"]) == {s.value for s in Status}
    assert set(DEFS["finding"]["properties"]["severity"]["enum"]) == {s.value for s in Severity}
    assert set(DEFS["settings"]["properties"]["client"]["anyOf"][0]["properties"]["id"]["enum"]) == set(CLIENT_IDS)
    assert set(DEFS["settings"]["properties"]["family"]["enum"]) == {f.id for f in FAMILIES} | {None}
    assert DEFS["report_fields"]["properties"]["schema"]["const"] == SCHEMA
    assert set(DEFS["usage_document"]["properties"]["command"]["enum"]) == {*cli.commands, None}
    assert set(enum("command")) | {"providers", "explain"} == set(cli.commands)


def test_every_probe_the_code_runs_is_named():
    from smtpdoctor.codes import PROBE_ORDER, SEND_PROBE_ORDER
    from smtpdoctor.probes.domain import DOMAIN_PROBES
    from smtpdoctor.runner.pipeline import PROBES

    known = {*PROBES, *PROBE_ORDER, *SEND_PROBE_ORDER, *DOMAIN_PROBES}
    assert known <= set(enum("probe_name"))
    assert set(enum("probe_name")) - known <= {"proxy"}  # DESIGN.md's, between dns and tcp


def test_every_reason_and_mode_fits():
    from smtpdoctor.providers import load_providers

    reasons = tomllib.loads(files("smtpdoctor").joinpath("reasons.toml").read_text(encoding="utf-8"))
    pattern = re.compile(DEFS["reason"]["pattern"])
    assert [r for r in reasons if not pattern.search(r)] == []
    assert {entry["code"] for entry in reasons.values()} <= set(enum("error_code"))
    modes = {mode for p in load_providers().providers for mode in p.ports.values()}
    assert modes <= set(enum("mode"))

