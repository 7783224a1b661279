"""Accounts straight from the tenant database: a ``postgresql://`` URL and a query, read
with asyncpg; password columns decrypted with Fernet keys from an environment variable
(the ``cryptography`` package, MultiFernet for rotated keys). The optional extra
``smtpdoctor[postgres]`` brings both."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from smtpdoctor.accounts import Account, AccountsError

EXTRA = "pip install 'smtpdoctor[postgres]'"


def shown_url(url: str) -> str:
    """The URL with its password masked: it is printed in errors and reports."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "postgresql://…"
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":****@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def fernet_for(key_env: str | None, environ: Mapping[str, str]) -> Any:
    """A MultiFernet over the comma-separated keys in ``key_env`` (newest first)."""
    if not key_env or not environ.get(key_env, "").strip():
        raise AccountsError(f"--decrypt-column needs the Fernet key: set {key_env or 'the variable'} "
                            "and name it with --fernet-key-env")
    try:
        from cryptography.fernet import Fernet, MultiFernet
    except ImportError:
        raise AccountsError(f"decrypting needs the cryptography package: {EXTRA}") from None
    try:
        return MultiFernet([Fernet(key.strip()) for key in environ[key_env].split(",") if key.strip()])
    except (ValueError, TypeError):
        # Never the key itself in the message.
        raise AccountsError(f"{key_env} does not hold Fernet keys (32 url-safe base64 bytes each)") from None


async def read_pg_accounts(url: str, query: str | None, decrypt: Sequence[str], key_env: str | None,
                           environ: Mapping[str, str], timeout: float) -> list[Account]:
    if not query:
        raise AccountsError("a postgresql:// source needs --query SQL")
    fernet = fernet_for(key_env, environ) if decrypt else None
    try:
        import asyncpg
    except ImportError:
        raise AccountsError(f"reading postgresql:// needs asyncpg: {EXTRA}") from None
    try:
        conn = await asyncio.wait_for(asyncpg.connect(url), timeout)
    except (OSError, TimeoutError, ValueError, asyncpg.PostgresError) as exc:
        detail = str(exc).replace(urlsplit(url).password or "\0", "****") or type(exc).__name__
        raise AccountsError(f"cannot connect to {shown_url(url)}: {detail}") from None
    try:
        records = await conn.fetch(query, timeout=timeout)
    except (asyncpg.PostgresError, TimeoutError) as exc:
        raise AccountsError(f"the query failed: {exc or type(exc).__name__}") from None
    finally:
        await conn.close()
    return [_decrypted(i, dict(record), decrypt, fernet, key_env) for i, record in enumerate(records)]


def _decrypted(index: int, values: dict[str, object], columns: Sequence[str], fernet: Any,
               key_env: str | None) -> Account:
    if not columns:
        return Account(index, values)
    from cryptography.fernet import InvalidToken

    for column in columns:
        raw = values.get(column)
        if raw in (None, ""):
            continue
        token = raw if isinstance(raw, bytes) else str(raw).encode("ascii", "replace")
        try:
            values[column] = fernet.decrypt(token).decode("utf-8")
        except (InvalidToken, UnicodeDecodeError):
            values[column] = None
            return Account(index, values, f"{column} cannot be decrypted with the keys in {key_env}")
    return Account(index, values)
