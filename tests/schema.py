"""Every JSON document the test suite produces is validated against the JSON Schema the package
ships (smtpdoctor/schemas/document.schema.json), with no hook in the product code:

- in-process runs (click's CliRunner, ``cli.main()``): ``emit_json``, which prints every
  document, is wrapped for the whole session, in ``smtpdoctor.views.console`` and in every
  module that imported it by name;
- the Python API: ``Report.to_dict()`` is wrapped;
- the console script as a subprocess: ``tests/console.py``'s ``measured`` (what its ``run``
  calls) is wrapped; a run given ``--json`` whose stdout is one JSON value is validated.

A document that does not validate fails the test that produced it, at teardown, with every
violation. The suite validates against a strict copy of the schema (``strict``): an object that
declares no ``additionalProperties`` allows no member the schema does not name, so a field added
to the code without the schema fails here, while the shipped schema stays open for consumers.
``SMTPDOCTOR_SCHEMA_STRICT=0`` validates against the shipped schema as it is.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from importlib.resources import files
from typing import Any

import pytest

RESOURCE = "schemas/document.schema.json"  # inside the package: importlib.resources.files("smtpdoctor")


@functools.cache
def shipped() -> dict[str, Any]:
    """The schema as the installed package ships it."""
    text = files("smtpdoctor").joinpath(RESOURCE).read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def strict(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with every object that declares no additionalProperties (nor
    unevaluatedProperties) closed: ``unevaluatedProperties: false``, which sees the members
    named through ``$ref``, ``allOf`` and ``if``/``then``/``else`` beside it."""

    def close(node: Any) -> Any:
        if isinstance(node, dict):
            node = {k: close(v) for k, v in node.items()}
            kind = node.get("type")
            is_object = kind == "object" or (isinstance(kind, list) and "object" in kind)
            if is_object and "additionalProperties" not in node and "unevaluatedProperties" not in node:
                node["unevaluatedProperties"] = False
            return node
        if isinstance(node, list):
            return [close(v) for v in node]
        return node

    return close(copy.deepcopy(schema))  # type: ignore[no-any-return]


@functools.cache
def validator(closed: bool = True) -> Any:
    from jsonschema import Draft202012Validator

    schema = strict(shipped()) if closed else shipped()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def problems(document: object, *, closed: bool | None = None) -> list[str]:
    """Every way ``document`` breaks the schema, as ``path: message`` lines (none: it is valid)."""
    if closed is None:
        closed = os.environ.get("SMTPDOCTOR_SCHEMA_STRICT", "1") != "0"
    from jsonschema.exceptions import best_match

    found = []
    for error in sorted(validator(closed).iter_errors(document), key=lambda e: list(e.absolute_path)):
        while error.context:  # anyOf (a value or null): say what is wrong with the value
            value = [e for e in error.context if e.schema != {"type": "null"}]
            error = best_match(value or error.context)
        where = "/".join(str(p) for p in error.absolute_path) or "(document)"
        found.append(f"{where}: {error.message[:300]}")
    return found


class Ledger:
    """What was validated: documents per channel over the session, the tests that produced at
    least one, and the current test's documents, kept as the JSON text they were printed as and
    validated when the test ends (so that no timed step of a test pays for validation)."""

    def __init__(self) -> None:
        self.documents: Counter[str] = Counter()
        self.tests: set[str] = set()
        self.current: str | None = None
        self.pending: list[tuple[str, str]] = []
        self.violations: list[str] = []

    def record(self, channel: str, document: object) -> None:
        self.pending.append((channel, document if isinstance(document, str) else json.dumps(document)))

    def settle(self) -> list[str]:
        """Validate what is pending; every violation so far, which are then forgotten."""
        pending, self.pending = self.pending, []
        for channel, text in pending:
            self.documents[channel] += 1
            if self.current is not None:
                self.tests.add(self.current)
            self.violations += [f"[{channel}] {line}" for line in problems(json.loads(text))]
        found, self.violations = self.violations, []
        return found


LEDGER = Ledger()


def _wrapped_emit(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def emit_json(document: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        LEDGER.record("in-process", document)
        return original(document, *args, **kwargs)

    return emit_json


def _wrapped_listing(original: Callable[..., None]) -> Callable[..., None]:
    """emit_json_listing (a fleet's document written a row at a time): the whole document is
    recorded as emit_json would have been given it."""
    @functools.wraps(original)
    def emit_json_listing(head: dict[str, Any], key: str, items: Callable[[], Any]) -> None:
        LEDGER.record("in-process", {**head, key: list(items())})
        return original(head, key, items)

    return emit_json_listing


def _wrapped_to_dict(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    @functools.wraps(original)
    def to_dict(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        document = original(self, *args, **kwargs)
        LEDGER.record("to_dict", document)
        return document

    return to_dict


def _wrapped_measured(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def measured(argv: list[str], *args: Any, **kwargs: Any) -> Any:
        outcome = original(argv, *args, **kwargs)
        proc = outcome[0]
        if any("--json" in a for a in argv) and proc.stdout:
            try:
                document = json.loads(proc.stdout)
            except ValueError:  # cut short on purpose (a closed pipe, --max-time): the test says
                return outcome
            LEDGER.record("subprocess", document)
        return outcome

    return measured


@pytest.fixture(scope="session")
def _schema_wrappers() -> Iterator[None]:
    """Install the wrappers once for the session: a module imported later binds the wrapped
    emit_json from smtpdoctor.views.console."""
    import sys

    from smtpdoctor.model import Report
    from smtpdoctor.views import console as views_console
    from tests import console as test_console

    wrappers = {"emit_json": _wrapped_emit, "emit_json_listing": _wrapped_listing}
    originals = {name: getattr(views_console, name) for name in wrappers}
    wrapped = {name: wrap(originals[name]) for name, wrap in wrappers.items()}
    with pytest.MonkeyPatch.context() as mp:
        for name, module in list(sys.modules.items()):
            for function, original in originals.items():
                if name.startswith("smtpdoctor") and getattr(module, function, None) is original:
                    mp.setattr(module, function, wrapped[function])
        mp.setattr(Report, "to_dict", _wrapped_to_dict(Report.to_dict))
        mp.setattr(test_console, "measured", _wrapped_measured(test_console.measured))
        yield


@pytest.fixture(autouse=True)
def schema_checked(request: pytest.FixtureRequest, _schema_wrappers: None) -> Iterator[None]:
    """Fail the test whose JSON document the shipped schema does not describe."""
    LEDGER.current = request.node.nodeid
    yield
    found = LEDGER.settle()
    LEDGER.current = None
    if found:
        pytest.fail("a JSON document does not match smtpdoctor/schemas/document.schema.json:\n  "
                    + "\n  ".join(found[:20]), pytrace=False)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in LEDGER.settle():  # printed outside any test (a module's fixture): said here
        terminalreporter.write_line(f"JSON schema violation: {line}", red=True)
    total = sum(LEDGER.documents.values())
    if not total:
        return
    channels = ", ".join(f"{n} {c}" for c, n in sorted(LEDGER.documents.items()))
    terminalreporter.write_line(f"JSON schema: {total} documents validated ({channels}) "
                                f"in {len(LEDGER.tests)} tests")
