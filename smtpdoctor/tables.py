"""The shipped TOML tables (reasons, phrases, providers), read fast.

The TOML files are the source people edit. Parsing them with ``tomllib`` costs about
30 ms per run, more than a third of a bare smtplib script's whole run, so the package
also ships each table as JSON (``compiled/NAME.json``, parsed in about 1 ms) with the
length and CRC-32 of the TOML it was made from. A JSON whose source no longer matches
(a checkout where the TOML was edited) is ignored and the TOML is parsed instead: an
edit always takes effect, and ``tests/test_tables.py`` fails until the JSON is remade
(``SMTPDOCTOR_UPDATE_TABLES=1 pytest tests/test_tables.py``).
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

COMPILED = Path(__file__).resolve().parent / "compiled"


def fingerprint(source: bytes) -> str:
    """What ties a compiled table to its TOML: an edit changes it (not a security check)."""
    return f"{len(source)}:{zlib.crc32(source):08x}"


def compiled_path(source: Path) -> Path:
    return COMPILED / f"{source.stem}.json"


def load_table(source: Path) -> dict[str, Any]:
    """``source`` (a TOML file) as a dict: from its compiled JSON when that was made from
    these very bytes, else parsed."""
    data = source.read_bytes()
    try:
        compiled = json.loads(compiled_path(source).read_bytes())
        if compiled.get("source") == fingerprint(data):
            table: dict[str, Any] = compiled["table"]
            return table
    except (OSError, ValueError, AttributeError, KeyError):
        pass  # missing or unreadable: parse the source, which is always right
    import tomllib

    return tomllib.loads(data.decode("utf-8"))


def compiled_text(source: Path) -> str:
    """The compiled JSON for ``source`` as it should be on disk."""
    import tomllib

    data = source.read_bytes()
    table = tomllib.loads(data.decode("utf-8"))
    return json.dumps({"source": fingerprint(data), "table": table}, ensure_ascii=False,
                      separators=(",", ":")) + "\n"
