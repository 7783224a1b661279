"""The one path from a settings source to a Report, for the command line and for code that
already holds the settings (a "test connection" endpoint, a tenant table).

The mapping functions (:func:`check`, :func:`acheck`, …) read nothing implicitly: no
``.env``, no environment, no app folder. The command line reads the app's files first
(:func:`read_settings`) and then takes the same road: options → :class:`RunOptions` → a run
inside one ``asyncio.run`` → a Report."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, Unpack

from smtpdoctor.codes import CLIENT_IDS, PROBE_ORDER
from smtpdoctor.runner.options import (
    LIMITS,
    BadOption,
    RunOptions,
    parse_dkim_selectors,
    parse_dns_server,
    parse_domain,
    parse_ports,
    parse_proxy_option,
    parse_resolves,
)

if TYPE_CHECKING:
    import ssl

    from smtpdoctor.classify import Match
    from smtpdoctor.config.preflight import Preflight
    from smtpdoctor.config.values import Options as Overrides
    from smtpdoctor.model import Checked, Report
    from smtpdoctor.outcomes import Retry
    from smtpdoctor.providers import Provider, ProviderTable
    from smtpdoctor.runner.fleet import AccountsSource

__all__ = ["LIMITS", "BadOption", "Options", "RunOptions", "acheck", "asend_test", "check",
           "send_test"]

T = TypeVar("T")


class Options(TypedDict, total=False):
    """Keyword options of :func:`check` and friends, as on the command line."""

    timeout: float  # seconds for each network step (default 10)
    max_time: float  # one deadline for the whole run
    dns_server: str  # "IP[:PORT]"
    family: str  # "auto", "4" (IPv4 only) or "6" (IPv6 only)
    resolves: tuple[str, ...]  # "HOST:PORT:ADDRESS": connect there, the certificate checked for HOST
    proxy: str  # "socks5://[user:password@]host:port" (socks5h, socks4, http): connect through it
    ca_file: str  # extra CA certificates (PEM)
    client: str  # how the app connects: "aiosmtplib", "nodemailer", … (default: from the variables)
    until: str  # stop after this probe
    lang: str  # "en" or "zh"
    alt_ports: str  # ports tried when the configured one fails ("none" to skip)
    verbose: bool  # keep the redacted SMTP transcript in the report
    retries: int  # run again while the failure is one that can pass later (DNS, timeouts, 4xx)
    retry_delay: float  # seconds between retries (default 5)
    domain: bool  # also check the sender's domain: mx, spf, dkim, dmarc
    dkim_selectors: tuple[str, ...]  # the DKIM selectors to check (default: the provider's)
    subject: str  # send_test: the test message's subject
    body: str  # send_test: its first paragraph
    confirm: bool  # send_test: follow the message into the mailbox over IMAP
    confirm_timeout: float  # how long confirm waits (default 60)
    keep: bool  # with confirm: leave the test message in the mailbox


# Options whose text the run takes parsed, and the parser of each.
PARSERS: dict[str, Callable[[Any], Any]] = {
    "dns_server": parse_dns_server, "alt_ports": parse_ports, "domain_name": parse_domain,
    "dkim_selectors": parse_dkim_selectors, "resolves": parse_resolves, "proxy": parse_proxy_option,
}
RUN_FIELDS = frozenset(RunOptions._fields)
SECONDS = frozenset({"timeout", "max_time", "retry_delay", "confirm_timeout"})


def parse_option(name: str, value: Any) -> Any:
    """``value`` as the run takes it (``"465,587"`` → ``(465, 587)``); BadOption says why not."""
    return PARSERS[name](value)


def run_options(given: Mapping[str, Any]) -> RunOptions:
    """The options as a run takes them, each default from :class:`RunOptions`. A value that
    cannot be used raises ValueError (TypeError for the wrong type) naming the option, before
    any connection."""
    values = {k: v for k, v in given.items() if v is not None}
    for name, (low, high) in LIMITS.items():
        _within(values, name, low, high)
    for name, allowed in (("until", PROBE_ORDER), ("lang", ("en", "zh")), ("family", ("auto", "4", "6"))):
        if values.get(name) is not None and values[name] not in allowed:
            raise ValueError(f"{name}={values[name]!r}: use one of {', '.join(allowed)}")
    for name in ("dns_server", "alt_ports", "proxy"):
        if isinstance(values.get(name), str):
            try:
                values[name] = parse_option(name, values[name])
            except BadOption as exc:
                raise ValueError(f"{name}: {exc}") from exc
        elif name in values and not isinstance(values[name], tuple):
            raise TypeError(f"{name} must be a string, not {values[name]!r}")
    for name in ("dkim_selectors", "resolves"):
        if name in values:
            if isinstance(values[name], str):
                values[name] = (values[name],)
            values[name] = parse_option(name, tuple(values[name]))
    return RunOptions(**{k: v for k, v in values.items() if k in RUN_FIELDS})


def _within(given: Mapping[str, object], name: str, low: float, high: float) -> None:
    value = given.get(name)
    if value is None:
        return
    unit = " seconds" if name in SECONDS else ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number{' of' + unit if unit else ''}, not {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name}={value!r}: give between {low:g} and {high:g}{unit}")


def _api_options(options: Options) -> tuple[RunOptions, str | None]:
    unknown = set(options) - set(Options.__annotations__)
    if unknown:
        raise TypeError(f"unknown option(s): {', '.join(sorted(unknown))}")
    client = options.get("client")
    if client is not None and client not in ("auto", *CLIENT_IDS):
        raise ValueError(f"client={client!r}: use one of {', '.join(('auto', *CLIENT_IDS))}")
    return run_options({k: v for k, v in options.items() if k != "client"}), client


# --- where the settings come from --------------------------------------------------------

def read_settings(env_file: str | None, overrides: Overrides, client: str | None = None,
                  environ: Mapping[str, str] | None = None) -> Preflight:
    """The settings as the app reads them: the dotenv file (``./.env`` when it exists and none
    is named), the environment, the app folder; then lint. Bad input becomes findings."""
    from smtpdoctor.config.preflight import resolve

    return resolve(env_file, os.environ if environ is None else environ, overrides, client=client)


def settings_overrides(**given: str | None) -> Overrides:
    """Command-line overrides (``host``, ``port``, ``user``, ``sender``, ``security``, ``provider``)."""
    from smtpdoctor.config.values import Options as Overrides

    return Overrides(**given)


def mapping_settings(values: Mapping[str, object], client: str | None = None) -> Preflight:
    from smtpdoctor.config.preflight import resolve_mapping

    return resolve_mapping(values, client)


def with_output_file(preflight: Preflight, junit_xml: str | None = None,
                     metrics_file: str | None = None) -> Preflight:
    """A report file that cannot be written is a usage error, found before any probe runs."""
    from smtpdoctor.model import Finding, Severity, frozen_params

    unwritable = tuple(Finding(Severity.ERROR, "config.output_unwritable", frozen_params(problem))
                       for problem in output_file_problems(junit_xml, metrics_file))
    if not unwritable:
        return preflight
    return preflight._replace(findings=(*preflight.findings, *unwritable))


def output_file_problems(junit_xml: str | None = None,
                         metrics_file: str | None = None) -> list[dict[str, str]]:
    """Each report file that cannot be written: its option, its path and why not."""
    named = (("--junit-xml", junit_xml), ("--metrics-file", metrics_file))
    return [{"option": option, "file": path, "detail": problem} for option, path in named
            if path and (problem := output_path_problem(path)) is not None]


def output_path_problem(path: str | None) -> str | None:
    """Why a report file cannot be written there, or None."""
    if not path:
        return None
    from pathlib import Path

    target = Path(path)
    folder = target.parent
    if target.is_dir():
        return "it is a folder"
    if not folder.is_dir():
        return f"the folder {folder} does not exist"
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        return "permission denied"
    return None


# --- the runs -----------------------------------------------------------------------------

def tls_context_ahead(options: RunOptions) -> ssl.SSLContext | None:
    """The run's TLS context, begun now: a thread reads the system's trust store while the
    command reads the settings and imports the run (the context waits for it before its first
    handshake). None when ``--ca-file`` cannot be used: the run then says so itself."""
    import ssl

    from smtpdoctor.wire.trust import tls_context

    try:
        return tls_context(options.ca_file)
    except (ssl.SSLError, OSError):
        return None


def run_sync(work: Coroutine[Any, Any, T]) -> T:
    """The one event loop of a command."""
    import asyncio

    return asyncio.run(work)


async def arun(command: str, preflight: Preflight, recipients: tuple[str, ...], options: RunOptions, *,
               on_step: Callable[[str], None] | None = None,
               on_retry: Callable[[Retry], None] | None = None,
               write_fix: bool = False, reread: Callable[[], Preflight] | None = None,
               context: ssl.SSLContext | None = None) -> Report:
    """``check`` or ``send-test``. With ``write_fix``, the verified changes go into the dotenv
    file and the run is made again on the file as it now is (``reread``), whose verdict is the
    exit code, as it will be for the app. ``context``: from :func:`tls_context_ahead`."""
    from smtpdoctor.runner.check import arun_command

    report = await arun_command(command, preflight, recipients, options, on_step=on_step, on_retry=on_retry,
                                context=context)
    if not write_fix:
        return report

    from smtpdoctor.config.dotenv_edit import write_fixes

    report, written = write_fixes(report, preflight)
    if written is None or reread is None:
        return report
    again = await arun_command(command, reread(), recipients, options, on_step=on_step, on_retry=on_retry)
    return again._replace(written=written)


async def arun_accounts(command: str, where: AccountsSource, options: RunOptions, *,
                        client: str | None = None, recipients: tuple[str, ...] = (),
                        on_total: Callable[[int], None] | None = None,
                        on_done: Callable[[Checked], None] | None = None,
                        junit_xml: str | None = None, metrics_file: str | None = None,
                        context: ssl.SSLContext | None = None) -> Report | list[Checked]:
    """Every account of ``where`` checked (``config``: linted, no connection) as its own app
    would be; a Report with one finding (exit 2) when the source or a report file cannot be used."""
    from smtpdoctor.runner.fleet import FleetProblem, run_fleet

    unwritable = output_file_problems(junit_xml, metrics_file)
    if unwritable:
        return FleetProblem("config.output_unwritable", dict(unwritable[0])).report(command)
    try:
        return await run_fleet(command, where, options, client=None if client == "auto" else client,
                               recipients=recipients, environ=os.environ, stdin=sys.stdin,
                               on_done=on_done, on_total=on_total, context=context)
    except FleetProblem as exc:
        return exc.report(command)


def accounts_source(source: str, query: str | None = None, decrypt_columns: tuple[str, ...] = (),
                    fernet_key_env: str | None = None) -> AccountsSource:
    from smtpdoctor.runner.fleet import AccountsSource

    return AccountsSource(source, query, tuple(decrypt_columns), fernet_key_env)


async def adomain(preflight: Preflight, domain: str | None, options: RunOptions) -> Report:
    """`smtpdoctor domain`: mx, spf, dkim and dmarc of ``domain`` (default: the sender's)."""
    from smtpdoctor.runner.domain import arun_domain

    return await arun_domain(preflight, domain, options)


def config_report(preflight: Preflight) -> Report:
    """`smtpdoctor config`: the settings and what looks wrong, no network."""
    from smtpdoctor.config.lint import offline_gate
    from smtpdoctor.model import Report

    return Report("config", preflight.settings, preflight.provider, offline_gate(preflight.findings))


def explain(query: str, env_file: str | None = None
            ) -> tuple[list[Match], Preflight | None]:
    """What ``query`` may mean, and the settings to name the fix in (the dotenv file named,
    else ``./.env`` when there is one, else none)."""
    from smtpdoctor.classify import explain as find
    from smtpdoctor.providers import load_providers

    matches = find(query, load_providers())
    preflight = None
    if env_file is not None or os.path.isfile(".env"):
        preflight = read_settings(env_file, settings_overrides())
        if preflight.settings.family is None:
            preflight = None
    return matches, preflight


def provider_ids() -> list[str]:
    return [p.id for p in providers().providers]


def reason_ids() -> list[str]:
    """Every reason explain knows, and the error codes (EAUTH…)."""
    from smtpdoctor.catalog import catalog
    from smtpdoctor.model import ErrorCode

    return sorted(catalog()) + [code.value for code in ErrorCode]


def providers() -> ProviderTable:
    from smtpdoctor.providers import load_providers

    return load_providers()


def provider_of(preflight: Preflight | None) -> Provider | None:
    return preflight.provider if preflight is not None else None


# --- the Python API -----------------------------------------------------------------------

async def acheck(settings: Mapping[str, object], **options: Unpack[Options]) -> Report:
    """Check ``settings`` (any family's variables, or the multi-tenant field names) from
    inside a running event loop. Nothing is sent: the envelope step ends with RSET."""
    run, client = _api_options(options)
    return await arun("check", mapping_settings(settings, client), (), run)


async def asend_test(settings: Mapping[str, object], recipient: str | tuple[str, ...],
                     **options: Unpack[Options]) -> Report:
    """Everything :func:`acheck` does, then one real test message to ``recipient``."""
    recipients = (recipient,) if isinstance(recipient, str) else tuple(recipient)
    run, client = _api_options(options)
    return await arun("send-test", mapping_settings(settings, client), recipients, run)


def check(settings: Mapping[str, object], **options: Unpack[Options]) -> Report:
    """:func:`acheck` for code without an event loop (a script, a sync endpoint's thread)."""
    _no_running_loop("acheck")
    return run_sync(acheck(settings, **options))


def send_test(settings: Mapping[str, object], recipient: str | tuple[str, ...],
              **options: Unpack[Options]) -> Report:
    _no_running_loop("asend_test")
    return run_sync(asend_test(settings, recipient, **options))


def _no_running_loop(instead: str) -> None:
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(f"an event loop is running here: use `await smtpdoctor.{instead}(...)`")
