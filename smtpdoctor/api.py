"""The Python API: what `smtpdoctor check` and `send-test` do, for code that already
holds the settings (a "test connection" endpoint, a tenant table). Nothing is read
implicitly: no ``.env``, no environment, no app folder."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TypedDict, Unpack

from smtpdoctor.config.preflight import resolve_mapping
from smtpdoctor.model import Report
from smtpdoctor.runner.check import RunOptions, arun_command


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
    """The options as a run takes them; a value the command line would refuse raises
    ValueError (TypeError for the wrong type) naming the option, before any connection."""
    from smtpdoctor.codes import CLIENT_IDS, PROBE_ORDER
    from smtpdoctor.runner.check import parse_dns_server, parse_ports

    given: dict[str, object] = dict(options)
    unknown = set(given) - set(Options.__annotations__)
    if unknown:
        raise TypeError(f"unknown option(s): {', '.join(sorted(unknown))}")
    _within(given, "timeout", 0.1, 300)
    _within(given, "max_time", 0.5, 86400)
    for name, allowed in (("client", ("auto", *CLIENT_IDS)), ("until", PROBE_ORDER), ("lang", ("en", "zh"))):
        if given.get(name) is not None and given[name] not in allowed:
            raise ValueError(f"{name}={given[name]!r}: use one of {', '.join(allowed)}")
    for name, parse in (("dns_server", parse_dns_server), ("alt_ports", parse_ports)):
        value = given.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a string, not {value!r}")
        try:
            parse(value)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
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


def _within(given: dict[str, object], name: str, low: float, high: float) -> None:
    value = given.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number of seconds, not {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name}={value!r}: give between {low:g} and {high:g} seconds")


async def acheck(settings: Mapping[str, object], **options: Unpack[Options]) -> Report:
    """Check ``settings`` (any family's variables, or the multi-tenant field names) from
    inside a running event loop. Nothing is sent: the envelope step ends with RSET."""
    run_options = _run_options(options)
    preflight = resolve_mapping(settings, options.get("client"))
    return await arun_command("check", preflight, (), run_options)


async def asend_test(settings: Mapping[str, object], recipient: str | tuple[str, ...],
                     **options: Unpack[Options]) -> Report:
    """Everything :func:`acheck` does, then one real test message to ``recipient``."""
    recipients = (recipient,) if isinstance(recipient, str) else tuple(recipient)
    run_options = _run_options(options)
    preflight = resolve_mapping(settings, options.get("client"))
    return await arun_command("send-test", preflight, recipients, run_options)


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
