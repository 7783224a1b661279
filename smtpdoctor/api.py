"""The Python API: what `smtpdoctor check` and `send-test` do, for code that already
holds the settings (a "test connection" endpoint, a tenant table). Nothing is read
implicitly: no ``.env``, no environment, no app folder."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TypedDict, Unpack

from smtpdoctor.model import Report
from smtpdoctor.preflight import resolve_mapping
from smtpdoctor.run import RunOptions, arun_command


class Options(TypedDict, total=False):
    """Keyword options of :func:`check` and friends, as on the command line."""

    timeout: float  # seconds for each network step (default 10)
    max_time: float  # one deadline for the whole run
    dns_server: str  # "IP[:PORT]"
    ca_file: str  # extra CA certificates (PEM)
    client: str  # how the app connects: "aiosmtplib", "nodemailer", … (default: from the variables)
    until: str  # stop after this probe
    lang: str  # "en" or "zh"
    alt_ports: str  # ports tried when the configured one fails ("none" to skip)
    verbose: bool  # keep the redacted SMTP transcript in the report


def _run_options(options: Options) -> RunOptions:
    defaults = RunOptions()
    return RunOptions(
        timeout=options.get("timeout", defaults.timeout),
        max_time=options.get("max_time"),
        dns_server=options.get("dns_server"),
        ca_file=options.get("ca_file"),
        until=options.get("until"),
        lang=options.get("lang", "en"),
        alt_ports=options.get("alt_ports", defaults.alt_ports),
        verbose=options.get("verbose", False),
    )


async def acheck(settings: Mapping[str, object], **options: Unpack[Options]) -> Report:
    """Check ``settings`` (any family's variables, or the multi-tenant field names) from
    inside a running event loop. Nothing is sent: the envelope step ends with RSET."""
    preflight = resolve_mapping(settings, options.get("client"))
    return await arun_command("check", preflight, (), _run_options(options))


async def asend_test(settings: Mapping[str, object], recipient: str | tuple[str, ...],
                     **options: Unpack[Options]) -> Report:
    """Everything :func:`acheck` does, then one real test message to ``recipient``."""
    recipients = (recipient,) if isinstance(recipient, str) else tuple(recipient)
    preflight = resolve_mapping(settings, options.get("client"))
    return await arun_command("send-test", preflight, recipients, _run_options(options))


def check(settings: Mapping[str, object], **options: Unpack[Options]) -> Report:
    """:func:`acheck` for code without an event loop (a script, a sync endpoint's thread)."""
    _no_running_loop("acheck")
    return asyncio.run(acheck(settings, **options))


def send_test(settings: Mapping[str, object], recipient: str | tuple[str, ...],
              **options: Unpack[Options]) -> Report:
    _no_running_loop("asend_test")
    return asyncio.run(asend_test(settings, recipient, **options))


def _no_running_loop(instead: str) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(f"an event loop is running here: use `await smtpdoctor.{instead}(...)`")
