"""Accounts straight from the tenant database: a ``postgresql://`` URL and a query, read
with asyncpg (password columns are decrypted like any source's: accounts.decrypt_accounts).
The optional extra ``smtpdoctor[postgres]`` brings asyncpg and cryptography."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit, urlunsplit

from smtpdoctor.accounts.files import Account, AccountsError


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


async def read_pg_accounts(url: str, query: str | None, timeout: float) -> list[Account]:
    if not query:
        raise AccountsError("no_query")
    try:
        import asyncpg
    except ImportError:
        raise AccountsError("no_asyncpg") from None
    try:
        conn = await asyncio.wait_for(asyncpg.connect(url), timeout)
    except (OSError, TimeoutError, ValueError, asyncpg.PostgresError) as exc:
        detail = str(exc).replace(urlsplit(url).password or "\0", "****") or type(exc).__name__
        # from None: the driver's own exception may carry the URL with its password.
        raise AccountsError("cannot_connect", url=shown_url(url), error=detail) from None
    try:
        records = await conn.fetch(query, timeout=timeout)
    except (asyncpg.PostgresError, TimeoutError) as exc:
        raise AccountsError("query_failed", error=exc or type(exc).__name__) from None
    finally:
        await conn.close()
    return [Account(i, dict(record)) for i, record in enumerate(records)]
