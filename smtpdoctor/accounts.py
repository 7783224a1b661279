"""Many accounts at once (``--accounts SOURCE``): the rows of a file, of stdin, or of a
PostgreSQL query, each read as that tenant's app reads its own settings."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

# Accounts files are settings, not data sets: past this, something else was given.
MAX_SOURCE_BYTES = 64 * 1024 * 1024


class AccountsError(Exception):
    """The source as a whole cannot be read; the message says why."""


@dataclass(frozen=True)
class Account:
    """One row. ``problem`` says why the row itself cannot be used (that row's exit 2)."""

    index: int
    values: Mapping[str, object] = field(default_factory=dict)
    problem: str | None = None

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
        """``tenant_id/setting_name`` as the multi-tenant API names a setting, else the row number."""
        parts = [p for p in (self.tenant_id, self.setting_name) if p]
        return "/".join(parts) if parts else f"row {self.index + 1}"

    def view(self) -> dict[str, object]:
        return {"index": self.index, "label": self.label, "tenant_id": self.tenant_id,
                "setting_name": self.setting_name}


def read_accounts(source: str, stdin: IO[str] | None = None) -> list[Account]:
    """The rows of a .jsonl, .json or .csv file, or of JSON Lines on stdin (``-``)."""
    if source == "-":
        if stdin is None:
            raise AccountsError("no standard input")
        return parse_jsonl(stdin.read(MAX_SOURCE_BYTES))
    path = Path(source)
    try:
        if path.stat().st_size > MAX_SOURCE_BYTES:
            raise AccountsError(f"it is larger than {MAX_SOURCE_BYTES // (1024 * 1024)} MB")
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise AccountsError("it does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AccountsError(getattr(exc, "strerror", None) or str(exc)) from None
    suffix = path.suffix.lower()
    if suffix == ".jsonl" or suffix == ".ndjson":
        return parse_jsonl(text)
    if suffix == ".json":
        return parse_json(text)
    if suffix == ".csv":
        return parse_csv(text)
    raise AccountsError(f"{path.name} is not .jsonl, .json or .csv")


def parse_jsonl(text: str) -> list[Account]:
    accounts: list[Account] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        index = len(accounts)
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            accounts.append(Account(index, problem=f"line {number} is not JSON ({exc.msg})"))
            continue
        accounts.append(_account(index, row, f"line {number}"))
    return accounts


def parse_json(text: str) -> list[Account]:
    try:
        rows = json.loads(text)
    except ValueError as exc:
        raise AccountsError(f"not JSON ({exc})") from None
    if not isinstance(rows, list):
        raise AccountsError("a .json source holds an array of objects")
    return [_account(i, row, f"item {i + 1}") for i, row in enumerate(rows)]


def parse_csv(text: str) -> list[Account]:
    header = text.split("\n", 1)[0]
    # A spreadsheet saved as CSV in a locale whose decimal mark is the comma uses ";" (or a tab).
    delimiter = next((d for d in (";", "\t") if "," not in header and d in header), ",")
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if not reader.fieldnames:
        raise AccountsError("no header row")
    names = [name.strip() for name in reader.fieldnames]
    twice = sorted({name for name in names if name and names.count(name) > 1})
    if twice:
        raise AccountsError(f"the header names {', '.join(twice)} more than once")
    accounts = []
    try:
        for index, row in enumerate(reader):
            extra = row.pop(None, None)  # type: ignore[call-overload,unused-ignore]
            values = {k.strip(): v.strip() for k, v in row.items() if k and v is not None}
            problem = f"line {reader.line_num} has more cells than the header" if extra else None
            accounts.append(Account(index, values, problem))
    except csv.Error as exc:
        raise AccountsError(f"not CSV ({exc})") from None
    return accounts


def _account(index: int, row: Any, where: str) -> Account:
    if not isinstance(row, dict):
        return Account(index, problem=f"{where} is not an object")
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
        values, problem = dict(account.values), account.problem
        for column in columns:
            raw = values.get(column)
            if problem is not None or raw in (None, ""):
                continue
            token = raw if isinstance(raw, bytes) else str(raw).encode("ascii", "replace")
            try:
                values[column] = fernet.decrypt(token).decode("utf-8")
            except (InvalidToken, UnicodeDecodeError):
                values[column] = None
                problem = f"{column} cannot be decrypted with the keys in {key_env}"
        out.append(Account(account.index, values, problem))
    return out


def fernet_for(key_env: str | None, environ: Mapping[str, str]) -> Any:
    """A MultiFernet over the comma-separated keys in ``key_env`` (newest first)."""
    if not key_env or not environ.get(key_env, "").strip():
        raise AccountsError(f"--decrypt-column needs the Fernet key: set {key_env or 'the variable'} "
                            "and name it with --fernet-key-env")
    try:
        from cryptography.fernet import Fernet, MultiFernet
    except ImportError:
        raise AccountsError("decrypting needs the cryptography package: "
                            "pip install 'smtpdoctor[postgres]'") from None
    try:
        return MultiFernet([Fernet(key.strip()) for key in environ[key_env].split(",") if key.strip()])
    except (ValueError, TypeError):
        # Never the key itself in the message.
        raise AccountsError(f"{key_env} does not hold Fernet keys (32 url-safe base64 bytes each)") from None
