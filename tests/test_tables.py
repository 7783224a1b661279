"""The compiled tables the package ships beside its TOML sources: in sync, used, and never
trusted once the source changes."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import pytest

from smtpdoctor import tables
from smtpdoctor.catalog import PACKAGE
from smtpdoctor.providers import table_path

SOURCES = [PACKAGE / "reasons.toml", PACKAGE / "phrases.toml", table_path()]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_each_compiled_table_is_its_source(source: Path) -> None:
    compiled = tables.compiled_path(source)
    wanted = tables.compiled_text(source)
    if os.environ.get("SMTPDOCTOR_UPDATE_TABLES") and (not compiled.is_file() or compiled.read_text() != wanted):
        compiled.parent.mkdir(exist_ok=True)
        compiled.write_text(wanted, encoding="utf-8")
    assert compiled.is_file(), f"{compiled} is missing: SMTPDOCTOR_UPDATE_TABLES=1 pytest {__file__}"
    assert compiled.read_text(encoding="utf-8") == wanted, (
        f"{source.name} changed since {compiled.name} was made: SMTPDOCTOR_UPDATE_TABLES=1 pytest {__file__}")
    assert tables.load_table(source) == tomllib.loads(source.read_text(encoding="utf-8"))


def test_a_compiled_table_from_other_bytes_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "reasons.toml"
    source.write_text('[a]\nen = "edited"\n', encoding="utf-8")
    monkeypatch.setattr(tables, "COMPILED", tmp_path / "compiled")
    (tmp_path / "compiled").mkdir()
    stale = {"source": tables.fingerprint(b'[a]\nen = "old"\n'), "table": {"a": {"en": "old"}}}
    (tmp_path / "compiled" / "reasons.json").write_text(json.dumps(stale), encoding="utf-8")
    assert tables.load_table(source) == {"a": {"en": "edited"}}
    fresh = {"source": tables.fingerprint(source.read_bytes()), "table": {"a": {"en": "from json"}}}
    (tmp_path / "compiled" / "reasons.json").write_text(json.dumps(fresh), encoding="utf-8")
    assert tables.load_table(source) == {"a": {"en": "from json"}}  # the fast path is taken
    (tmp_path / "compiled" / "reasons.json").write_text("{not json", encoding="utf-8")
    assert tables.load_table(source) == {"a": {"en": "edited"}}
