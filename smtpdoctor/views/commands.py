"""Each command as the user meets it: the command line's values handed to the api, the
result handed to the view that shows it, and the exit code to end with."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from smtpdoctor import api
from smtpdoctor.codes import ExitCode
from smtpdoctor.views.console import (
    echo_error,
    emit_json,
    is_terminal,
    silence_stdout,
    width_for,
    write_lines,
)

if TYPE_CHECKING:
    from smtpdoctor.config.preflight import Preflight
    from smtpdoctor.views.emit import Outputs

# The printing views (emit and what it calls) are imported by each command when it prints:
# `--help` starts without them.

# Command-line names that are not the run's own (RunOptions takes the rest as they are).
NOT_RUN_OPTIONS = frozenset({"env_file", "host", "port", "user", "sender", "security", "provider_id",
                             "client", "as_json", "quiet", "junit_xml", "output_format", "accounts",
                             "query", "decrypt_columns", "fernet_key_env", "write_fix", "domain_name",
                             "metrics_file"})


def pick_lang(lang: str | None) -> str:
    """``--lang``, else as gettext picks a message language: LANGUAGE (a list such as
    ``fr:zh_CN:en``, its first supported entry wins) unless the locale is C/POSIX, then the
    first of LC_ALL, LC_MESSAGES, LANG that is set."""
    if lang:
        return lang
    locale = next((os.environ[n] for n in ("LC_ALL", "LC_MESSAGES", "LANG") if os.environ.get(n)), "C")
    if locale not in ("C", "POSIX") and not locale.startswith("C."):
        for entry in os.environ.get("LANGUAGE", "").split(":"):
            if entry[:2].lower() in ("en", "zh"):
                return entry[:2].lower()
    return "zh" if locale.lower().startswith("zh") else "en"


def outputs(params: Mapping[str, Any], lang: str) -> Outputs:
    from smtpdoctor.views import emit

    return emit.Outputs(lang=lang, as_json=params["as_json"], quiet=params.get("quiet", False),
                        verbose=params.get("verbose", False), junit_xml=params.get("junit_xml"),
                        metrics_file=params.get("metrics_file"), output_format=params.get("output_format"))


def run_options(params: Mapping[str, Any], lang: str, **fixed: Any) -> api.RunOptions:
    given = {k: v for k, v in params.items() if k not in NOT_RUN_OPTIONS}
    return api.run_options({**given, **fixed, "lang": lang})


def read_settings(params: Mapping[str, Any]) -> Preflight:
    overrides = api.settings_overrides(host=params.get("host"), port=params.get("port"),
                                       user=params.get("user"), sender=params.get("sender"),
                                       security=params.get("security"), provider=params.get("provider_id"))
    return api.read_settings(params.get("env_file"), overrides, params.get("client"))


def showing_progress(params: Mapping[str, Any]) -> bool:
    """A spinner or bar only on a terminal: never in logs, pipes, with --json or --quiet."""
    return not (params["as_json"] or params.get("quiet")) and is_terminal(sys.stderr)


def network(command: str, params: Mapping[str, Any], recipients: tuple[str, ...], lang: str) -> int:
    """`check` and `send-test`, for one app or (--accounts) many."""
    from smtpdoctor.views import emit

    options = run_options(params, lang)
    if params.get("accounts"):
        return accounts(command, params, recipients, options, lang)
    from smtpdoctor.views.progress import NO_HOOKS, spinner

    context = api.tls_context_ahead(options)  # its trust store read while the settings are
    preflight = api.with_output_file(read_settings(params), params.get("junit_xml"),
                                     params.get("metrics_file"))
    with spinner(lang) if showing_progress(params) else contextlib.nullcontext(NO_HOOKS) as hooks:
        report = api.run_sync(api.arun(command, preflight, recipients, options, on_step=hooks.on_step,
                                       on_retry=hooks.on_retry, write_fix=params.get("write_fix", False),
                                       reread=lambda: read_settings(params), context=context))
    return emit.report(report, outputs(params, lang))


def accounts(command: str, params: Mapping[str, Any], recipients: tuple[str, ...],
             options: api.RunOptions, lang: str) -> int:
    """--accounts: every row checked as its own app would be, one document for the lot,
    the worst row's exit code."""
    from smtpdoctor.views import emit
    from smtpdoctor.views.progress import NO_HOOKS, fleet_bar

    context = api.tls_context_ahead(options)  # its trust store read while the rows are
    # A fleet keeps a thousand connections' coroutines, futures and reports alive: at the
    # default threshold (700 allocations) the youngest generation is collected ~200 times, a
    # millisecond each, for cycles it rarely finds (3-4% of a 1,000-row run's time, measured).
    # The Python API leaves the caller's collector alone; so does the command, once done.
    threshold = gc.get_threshold()
    gc.set_threshold(20_000, *threshold[1:])
    where = api.accounts_source(params["accounts"], params.get("query"),
                                params.get("decrypt_columns") or (), params.get("fernet_key_env"))
    try:
        with fleet_bar() if showing_progress(params) else contextlib.nullcontext(NO_HOOKS) as hooks:
            result = api.run_sync(api.arun_accounts(
                command, where, options, client=params.get("client"), recipients=recipients,
                on_total=hooks.on_total, on_done=hooks.on_done, junit_xml=params.get("junit_xml"),
                metrics_file=params.get("metrics_file"), context=context))
        how = outputs(params, lang)  # a document per row, made as it is written: under the same threshold
        return emit.fleet(command, result, how) if isinstance(result, list) else emit.report(result, how)
    finally:
        gc.set_threshold(*threshold)


def domain(params: Mapping[str, Any], lang: str) -> int:
    from smtpdoctor.views import emit

    options = run_options(params, lang, alt_ports="none")
    preflight = read_settings(params)
    report = api.run_sync(api.adomain(preflight, params.get("domain_name"), options))
    return emit.report(report, outputs(params, lang))


def config(params: Mapping[str, Any], lang: str) -> int:
    from smtpdoctor.views import emit

    if params.get("accounts"):
        # Only a PostgreSQL source touches the network (to read the rows), within the default timeout.
        return accounts("config", params, (), run_options(params, lang, alt_ports="none"), lang)
    return emit.config(api.config_report(read_settings(params)), outputs(params, lang))


def providers(lang: str, as_json: bool) -> int:
    from smtpdoctor.views.providers import table_document, table_lines

    table = api.providers()
    if as_json:
        return json_document(table_document(table, lang))
    return lines(lambda width: table_lines(table, lang))


def explain(code: str | None, lang: str, as_json: bool, env_file: str | None, bounce: Any = None) -> int:
    """`explain CODE`, or `explain --file PATH` (``bounce``: the open file, - for stdin)."""
    from smtpdoctor.catalog import phrase
    from smtpdoctor.views.explain import explain_document, explain_lines

    if (code is None) == (bounce is None):
        said = phrase("explain.one_query", lang)
        if as_json:
            usage("explain", said, lang)
        echo_error(f"smtpdoctor explain: {said}")
        return int(ExitCode.CONFIG_ERROR)
    code = code if code is not None else bounce.read()
    matches, preflight = api.explain(code, env_file)
    settings = preflight.settings if preflight else None
    provider = preflight.provider if preflight else None
    if not matches:
        if as_json:
            json_document(explain_document(code, [], lang))
        echo_error(phrase("explain.nothing", lang, query=repr(code)))
        return int(ExitCode.CONFIG_ERROR)
    if as_json:
        return json_document(explain_document(code, matches, lang, settings, provider))
    return lines(lambda width: explain_lines(matches, lang, width, settings, provider, code))


def usage(command: str | None, message: str, lang: str) -> None:
    """A command line that could not be used, under --json: still one document."""
    from smtpdoctor.views.document import usage_document

    json_document(usage_document(command, message, lang))


def lines(make: Callable[[int], list[str]]) -> int:
    """Plain lines on stdout, made for its width (`providers`, `explain`)."""
    try:
        write_lines(make(width_for(sys.stdout)))
    except OSError:
        silence_stdout()
    return 0


def json_document(doc: dict[str, object]) -> int:
    try:
        emit_json(doc)
    except OSError:
        silence_stdout()
    return 0
