"""Check many accounts at once: bounded concurrency, a per-host limit that respects
providers' concurrent-connection limits, one TLS context and one DNS answer per host
shared by every row, and one document for the lot."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smtpdoctor.accounts.files import Account
from smtpdoctor.codes import ExitCode
from smtpdoctor.config.preflight import resolve_mapping
from smtpdoctor.model import Finding, Report, Severity, frozen_params
from smtpdoctor.runner.check import RunOptions, Shared, arun_command

if TYPE_CHECKING:
    import ssl

# Microsoft answers "432 4.3.2 Concurrent connections limit exceeded" past a handful per
# mailbox; QQ and NetEase cut off bursts from one IP. Three per host is a polite default.
DEFAULT_CONCURRENCY = 20
DEFAULT_PER_HOST = 3


@dataclass(frozen=True)
class Checked:
    account: Account
    report: Report


async def check_accounts(
    accounts: list[Account],
    command: str,
    options: RunOptions,
    context: ssl.SSLContext,
    *,
    client: str | None = None,
    recipients: tuple[str, ...] = (),
    source: str = "",
    concurrency: int = DEFAULT_CONCURRENCY,
    per_host: int = DEFAULT_PER_HOST,
    on_done: Callable[[Checked], None] | None = None,
) -> list[Checked]:
    """Every account checked as its own app would be; results in the accounts' order."""
    shared = Shared()
    everyone = asyncio.Semaphore(concurrency)
    hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(per_host))

    async def one(account: Account) -> Checked:
        if account.problem is not None:
            report = bad_row(command, account, source, options)
        elif command == "config":  # the settings alone: no connection, no slot to wait for
            preflight = resolve_mapping(account.values, client)
            report = Report(command, preflight.settings, preflight.provider, preflight.findings)
        else:
            preflight = resolve_mapping(account.values, client)
            host = (preflight.settings.host or "").lower()
            # The host's limit first: a row waiting for its host holds no global slot.
            async with hosts[host], everyone:
                report = await arun_command(command, preflight, recipients, options,
                                            context=context, shared=shared)
        checked = Checked(account, report)
        if on_done is not None:
            on_done(checked)
        return checked

    return list(await asyncio.gather(*(one(a) for a in accounts)))


def bad_row(command: str, account: Account, source: str, options: RunOptions) -> Report:
    from smtpdoctor.probes.session import say, skipped
    from smtpdoctor.runner.check import probe_names

    assert account.problem is not None
    finding = Finding(Severity.ERROR, "config.bad_account",
                      frozen_params({"account": account.label, "source": source, **account.problem.said()}))
    names = probe_names(command, None, options) if command != "config" else ()
    return Report(command, None, None, (finding,), tuple(skipped(n, say("skip.config_error")) for n in names))


def worst(checked: list[Checked]) -> ExitCode:
    """The exit code of the run: the worst row's (2 > 1 > 0)."""
    return max((c.report.exit_code for c in checked), default=ExitCode.OK)


def summary(checked: list[Checked]) -> dict[str, int]:
    codes = [c.report.exit_code for c in checked]
    return {"total": len(codes), "passed": codes.count(ExitCode.OK),
            "failed": codes.count(ExitCode.PROBE_FAILED), "config_errors": codes.count(ExitCode.CONFIG_ERROR)}


def fleet_document(command: str, checked: list[Checked], lang: str) -> dict[str, Any]:
    """One JSON document: ``accounts`` (a check document per row, with ``account``) and ``summary``."""
    from smtpdoctor.views.document import SCHEMA, document

    code = worst(checked)
    return {
        "schema": SCHEMA,
        "ok": code is ExitCode.OK,
        "exit_code": int(code),
        "command": command,
        "summary": summary(checked),
        "accounts": [{"account": c.account.view(), **document(c.report, lang)} for c in checked],
    }
