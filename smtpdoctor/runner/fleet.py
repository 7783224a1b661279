"""Check many accounts at once: bounded concurrency, a per-host limit that respects
providers' concurrent-connection limits, one TLS context and one DNS answer per host
shared by every row. The job as a whole: read the source, decrypt, refuse an empty one."""

from __future__ import annotations

import asyncio
import ssl
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from smtpdoctor.accounts.files import Account, AccountsError, decrypt_accounts, distinct_labels, read_accounts
from smtpdoctor.config.preflight import resolve_mapping
from smtpdoctor.config.values import ClientChoice
from smtpdoctor.model import Checked, Finding, Report, Severity, frozen_params
from smtpdoctor.runner.check import Shared, arun_command, probe_names
from smtpdoctor.runner.options import RunOptions
from smtpdoctor.wire.trust import tls_context


@dataclass(frozen=True)
class AccountsSource:
    """Where the rows come from: a file, ``-`` (stdin) or a ``postgresql://`` URL with a query,
    and the columns to decrypt with the Fernet keys in ``fernet_key_env``."""

    source: str
    query: str | None = None
    decrypt_columns: tuple[str, ...] = ()
    fernet_key_env: str | None = None

    @property
    def is_postgres(self) -> bool:
        return self.source.startswith(("postgresql://", "postgres://"))


class FleetProblem(ValueError):
    """The run as a whole cannot start: one finding (``reason``, ``params``), exit 2."""

    def __init__(self, reason: str, params: dict[str, object]) -> None:
        super().__init__(reason)
        self.reason, self.params = reason, params

    def report(self, command: str) -> Report:
        finding = Finding(Severity.ERROR, self.reason, frozen_params(self.params))
        return Report(command, None, None, (finding,))


async def run_fleet(command: str, where: AccountsSource, options: RunOptions, *, client: str | None,
                    recipients: tuple[str, ...], environ: Mapping[str, str], stdin: IO[str] | None,
                    on_done: Callable[[Checked], None] | None = None,
                    on_total: Callable[[int], None] | None = None,
                    context: ssl.SSLContext | None = None) -> list[Checked]:
    """Every row of ``where`` checked (``config``: linted) as its own app would be. Rows never
    read .env or the environment. Raises FleetProblem when the source cannot be used.
    ``context``: the TLS context begun ahead (made here when None)."""
    shown = where.source
    try:
        if where.is_postgres:
            from smtpdoctor.accounts.postgres import read_pg_accounts, shown_url

            shown = shown_url(where.source)
            accounts = await read_pg_accounts(where.source, where.query, options.timeout)
        else:
            accounts = read_accounts(where.source, stdin)
        accounts = distinct_labels(decrypt_accounts(accounts, where.decrypt_columns, where.fernet_key_env,
                                                    environ))
    except AccountsError as exc:
        raise FleetProblem("config.accounts_unreadable", {"source": shown, **exc.problem.said()}) from exc
    if not accounts:
        # A gate that checked nothing must not pass: an empty export, a query whose filter matched no row.
        empty = "no_rows" if where.is_postgres else "empty"
        raise FleetProblem("config.accounts_unreadable", {"source": shown, "detail": f"§accounts.{empty}"})
    try:
        context = context or tls_context(options.ca_file)
    except (ssl.SSLError, OSError) as exc:
        raise FleetProblem("config.bad_ca_file", {"file": options.ca_file, "detail": str(exc)}) from exc
    if on_total is not None:
        on_total(len(accounts))
    choice: str | ClientChoice | None = client
    if client is None:
        # The API beside the table (seed 004's requirements.txt: aiosmtplib) decides how a row's
        # security_protocol is read, as its own code reads it.
        from smtpdoctor.config.app import manifest_choice

        choice = manifest_choice(Path.cwd())
    return await check_accounts(accounts, command, options, context, client=choice, recipients=recipients,
                                source=shown, on_done=on_done)


async def check_accounts(
    accounts: list[Account],
    command: str,
    options: RunOptions,
    context: ssl.SSLContext,
    *,
    client: str | ClientChoice | None = None,
    recipients: tuple[str, ...] = (),
    source: str = "",
    on_done: Callable[[Checked], None] | None = None,
) -> list[Checked]:
    """Every account checked as its own app would be; results in the accounts' order."""
    shared = Shared()
    everyone = asyncio.Semaphore(options.concurrency)
    hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(options.per_host))

    async def one(account: Account) -> Checked:
        if account.problem is not None:
            report = bad_row(command, account, source, options)
        elif command == "config":  # the settings alone: no connection, no slot to wait for
            from smtpdoctor.config.lint import offline_gate

            preflight = resolve_mapping(account.values, client)
            report = Report(command, preflight.settings, preflight.provider, offline_gate(preflight.findings))
        else:
            preflight = resolve_mapping(account.values, client)
            host = (preflight.settings.host or "").lower()
            # The host's limit first: a row waiting for its host holds no global slot.
            async with hosts[host], everyone:
                report = await arun_command(command, preflight, recipients, options,
                                            context=context, shared=shared)
        checked = Checked(account.label, account.view(), report)
        if on_done is not None:
            on_done(checked)
        return checked

    return list(await asyncio.gather(*(one(a) for a in accounts)))


def bad_row(command: str, account: Account, source: str, options: RunOptions) -> Report:
    from smtpdoctor.probes.session import say, skipped

    assert account.problem is not None
    finding = Finding(Severity.ERROR, "config.bad_account",
                      frozen_params({"account": account.label, "source": source, **account.problem.said()}))
    names = probe_names(command, None, options) if command != "config" else ()
    return Report(command, None, None, (finding,), tuple(skipped(n, say("skip.config_error")) for n in names))
