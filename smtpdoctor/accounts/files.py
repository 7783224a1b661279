"""Many accounts at once (``--accounts SOURCE``): the rows of a file, of stdin, or of a
PostgreSQL query, each read as that tenant's app reads its own settings."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

# Accounts files are settings, not data sets: past this, something else was given.
MAX_SOURCE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Problem:
    """Why a source or a row cannot be used: an "accounts.*" phrase and what fills it, so the
    report says it in its own language (``str()`` names the phrase, for logs and tracebacks)."""

    key: str
    params: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        values = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"accounts.{self.key}" + (f" ({values})" if values else "")

    def said(self) -> dict[str, object]:
        """As a finding's ``detail`` (a § phrase) and the values that fill it."""
        return {"detail": f"§accounts.{self.key}", **self.params}


def problem(key: str, **params: object) -> Problem:
    return Problem(key, {k: str(v) for k, v in params.items()})


class AccountsError(ValueError):
    """The source as a whole cannot be read; ``problem`` says why."""

    def __init__(self, key: str, **params: object) -> None:
        self.problem = problem(key, **params)
        super().__init__(str(self.problem))


@dataclass(frozen=True)
class Account:
    """One row. ``problem`` says why the row itself cannot be used (that row's exit 2)."""

    index: int
    values: Mapping[str, object] = field(default_factory=dict)
    problem: Problem | None = None
    # Set when two rows would have the same label: "t1 (row 4)".
    shown_as: str | None = None

    @property
    def tenant_id(self) -> str | None:
        value = self.values.get("tenant_id")
        return None if value in (None, "") else str(value)

    @property
    def setting_name(self) -> str | None:
        value = self.values.get("setting_name")
        return None if value in (None, "") else str(value)

    @property
    def label(self) -> str:
        """``tenant_id/setting_name`` as the multi-tenant API names a setting (the row's
        ``setting_id`` or ``id`` where it has no name), else the row number."""
        if self.shown_as:
            return self.shown_as
        return self.own_label or f"row {self.index + 1}"

    @property
    def own_label(self) -> str:
        named = self.setting_name or next((str(self.values[k]) for k in ("setting_id", "id")
                                           if self.values.get(k) not in (None, "")), None)
        return "/".join(p for p in (self.tenant_id, named) if p)

    def view(self) -> dict[str, object]:
        return {"index": self.index, "label": self.label, "tenant_id": self.tenant_id,
                "setting_name": self.setting_name}


def distinct_labels(accounts: list[Account]) -> list[Account]:
    """Rows whose labels repeat (seven settings of tenant t1 with no name) get their row number."""
    from collections import Counter

    seen = Counter(a.own_label for a in accounts if a.own_label)
    return [replace(a, shown_as=f"{a.own_label} (row {a.index + 1})") if seen[a.own_label] > 1 else a
            for a in accounts]


def read_accounts(source: str, stdin: IO[str] | None = None) -> list[Account]:
    """The rows of a .jsonl, .json or .csv file, or of JSON Lines on stdin (``-``)."""
    if source == "-":
        if stdin is None:
            raise AccountsError("no_stdin")
        return parse_jsonl(stdin.read(MAX_SOURCE_BYTES))
    path = Path(source)
    try:
        if path.stat().st_size > MAX_SOURCE_BYTES:
            raise AccountsError("too_large", mb=MAX_SOURCE_BYTES // (1024 * 1024))
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise AccountsError("missing") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise AccountsError("unreadable", error=getattr(exc, "strerror", None) or str(exc)) from exc
    suffix = path.suffix.lower()
    if suffix == ".jsonl" or suffix == ".ndjson":
        return parse_jsonl(text)
    if suffix == ".json":
        return parse_json(text)
    if suffix == ".csv":
        return parse_csv(text)
    raise AccountsError("unknown_kind", name=path.name)


def parse_jsonl(text: str) -> list[Account]:
    accounts: list[Account] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        index = len(accounts)
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            accounts.append(Account(index, problem=problem("line_not_json", line=number, error=exc.msg)))
            continue
        accounts.append(_account(index, row, problem("line_not_object", line=number)))
    return accounts


def parse_json(text: str) -> list[Account]:
    try:
        rows = json.loads(text)
    except ValueError as exc:
        raise AccountsError("not_json", error=exc) from exc
    if not isinstance(rows, list):
        raise AccountsError("json_not_array")
    return [_account(i, row, problem("item_not_object", item=i + 1)) for i, row in enumerate(rows)]


def parse_csv(text: str) -> list[Account]:
    header = text.split("\n", 1)[0]
    # A spreadsheet saved as CSV in a locale whose decimal mark is the comma uses ";" (or a tab).
    delimiter = next((d for d in (";", "\t") if "," not in header and d in header), ",")
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if not reader.fieldnames:
        raise AccountsError("no_header")
    names = [name.strip() for name in reader.fieldnames]
    twice = sorted({name for name in names if name and names.count(name) > 1})
    if twice:
        raise AccountsError("header_twice", names=", ".join(twice))
    accounts = []
    try:
        for index, row in enumerate(reader):
            extra = row.pop(None, None)  # type: ignore[call-overload,unused-ignore]
            values = {k.strip(): v.strip() for k, v in row.items() if k and v is not None}
            wrong = problem("extra_cells", line=reader.line_num) if extra else None
            accounts.append(Account(index, values, wrong))
    except csv.Error as exc:
        raise AccountsError("not_csv", error=exc) from exc
    return accounts


def _account(index: int, row: Any, not_object: Problem) -> Account:
    if not isinstance(row, dict):
        return Account(index, problem=not_object)
    return Account(index, row)


def decrypt_accounts(accounts: list[Account], columns: Sequence[str], key_env: str | None,
                     environ: Mapping[str, str]) -> list[Account]:
    """``columns`` decrypted with the Fernet keys in ``key_env``, whatever the source (a table,
    a ``psql`` export on stdin, a file). A value that does not decrypt is that row's problem."""
    if not columns:
        return accounts
    fernet = fernet_for(key_env, environ)
    from cryptography.fernet import InvalidToken

    out = []
    for account in accounts:
        values, wrong = dict(account.values), account.problem
        for column in columns:
            raw = values.get(column)
            if wrong is not None or raw in (None, ""):
                continue
            token = raw if isinstance(raw, bytes) else str(raw).encode("ascii", "replace")
            try:
                values[column] = fernet.decrypt(token).decode("utf-8")
            except (InvalidToken, UnicodeDecodeError):
                values[column] = None
                wrong = problem("undecryptable", column=column, key_env=key_env)
        out.append(Account(account.index, values, wrong))
    return out


def fernet_for(key_env: str | None, environ: Mapping[str, str]) -> Any:
    """A MultiFernet over the comma-separated keys in ``key_env`` (newest first)."""
    if not key_env or not environ.get(key_env, "").strip():
        raise AccountsError("no_fernet_key", key_env=key_env or "…")
    try:
        from cryptography.fernet import Fernet, MultiFernet
    except ImportError:
        raise AccountsError("no_cryptography") from None
    try:
        return MultiFernet([Fernet(key.strip()) for key in environ[key_env].split(",") if key.strip()])
    except (ValueError, TypeError):
        # Never the key itself in the message.
        raise AccountsError("bad_fernet_key", key_env=key_env) from None
