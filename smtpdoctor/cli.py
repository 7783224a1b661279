"""The command line: click options → ``api`` → ``views``, and exit codes that mean one thing.

Heavy modules (rich, dnspython, aiosmtplib) are imported inside the commands that use
them, so ``smtpdoctor --help`` starts at the cost of click alone."""

from __future__ import annotations

import contextlib
import errno
import signal
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from smtpdoctor import api
from smtpdoctor.codes import CLIENT_IDS, PROBE_ORDER, ExitCode, __version__
from smtpdoctor.views import commands
from smtpdoctor.views import help as HELP
from smtpdoctor.views.console import echo_error, help_width, silence_stdout

F = TypeVar("F", bound=Callable[..., Any])
DEFAULTS = api.RunOptions()


def options(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(func: F) -> F:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func
    return apply


def parsed(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A click callback that checks a value with the run's own parser."""
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is None:
            return value
        try:
            api.parse_option(name, value)
        except api.BadOption as exc:
            raise click.BadParameter(str(exc)) from exc
        return value
    return callback


def opt(*decls: str, command: str = "", **kwargs: Any) -> Callable[[F], F]:
    """A click option whose help is the command line's text for it (views/help.py)."""
    name = next(d for d in decls if d.startswith("--"))
    text = HELP.OPTIONS.get(f"{command} {name}".strip()) or HELP.OPTIONS[name]
    key = name[2:].replace("-", "_")
    if key in api.LIMITS:  # a number within the run's own limits: whole for a count, else seconds
        low, high = api.LIMITS[key]
        whole = isinstance(getattr(DEFAULTS, key), int)
        kwargs["type"] = click.IntRange(int(low), int(high)) if whole else click.FloatRange(low, high)
    return click.option(*decls, help=text, **kwargs)


def completing(values: Callable[[], list[str]]) -> Callable[[click.Context, Any, str], list[str]]:
    """Shell completion from the run's own table (provider ids, reason ids)."""
    return lambda ctx, param, incomplete: [v for v in values() if v.startswith(incomplete)]


def command(name: str, **kwargs: Any) -> Callable[[Callable[..., Any]], click.Command]:
    return cli.command(name, help=HELP.COMMANDS[name], **kwargs)


def languages(command: str = "") -> Callable[[F], F]:
    return opt("--lang", command=command, type=click.Choice(["en", "zh"]), default=None)


# What names the sender and its provider: all that `domain` reads of the settings.
sender_options = options(
    opt("--env-file", type=click.Path(dir_okay=True), default=None), opt("--host"), opt("--from", "sender"),
    opt("--provider", "provider_id", metavar="ID", shell_complete=completing(api.provider_ids)),
    languages(), opt("--json", "as_json", is_flag=True),
)
settings_options = options(
    sender_options, opt("--port"), opt("--user"),
    opt("--security", type=click.Choice(["auto", "ssl", "starttls", "plain"]), default=None),
    opt("--client", type=click.Choice(["auto", *CLIENT_IDS]), default="auto", show_default=True),
)
account_source_options = options(
    opt("--accounts", metavar="SOURCE"), opt("--query", metavar="SQL"),
    opt("--decrypt-column", "decrypt_columns", multiple=True, metavar="COLUMN"),
    opt("--fernet-key-env", metavar="VAR"),
)
accounts_options = options(
    account_source_options,
    opt("--concurrency", default=DEFAULTS.concurrency, show_default=True),
    opt("--per-host", default=DEFAULTS.per_host, show_default=True),
)


def report_options(command: str = "") -> Callable[[F], F]:
    return options(opt("--format", "output_format", type=click.Choice(["text", "github"]), default=None),
                   opt("--junit-xml", command=command, type=click.Path(dir_okay=False, writable=True)))


network_options = options(
    opt("--timeout", default=DEFAULTS.timeout, show_default=True),
    opt("--max-time", default=None, metavar="SECONDS"),
    opt("--dns-server", metavar="IP[:PORT]", callback=parsed("dns_server")),
    opt("--proxy", metavar="URL", callback=parsed("proxy")),
    opt("--ca-file", type=click.Path(exists=True, dir_okay=False)),
    opt("--alt-ports", default=",".join(map(str, DEFAULTS.alt_ports)), show_default=True,
        callback=parsed("alt_ports"), metavar="LIST"),
    opt("--until", type=click.Choice(PROBE_ORDER), default=None), opt("--retries"),
    opt("--retry-delay", default=DEFAULTS.retry_delay, show_default=True),
    opt("--family", type=click.Choice(("auto", "4", "6")), default="auto"),
    opt("--resolve", "resolves", multiple=True, metavar="HOST:PORT:ADDR", callback=parsed("resolves")),
    report_options(), opt("--metrics-file", type=click.Path(dir_okay=False, writable=True)),
    opt("-v", "--verbose", is_flag=True), opt("-q", "--quiet", is_flag=True),
)
# What check and send-test share: the settings, the network, the report files, --accounts.
probing_options = options(settings_options, network_options, accounts_options)
dkim_option = opt("--dkim-selector", "dkim_selectors", multiple=True, metavar="SELECTOR",
                  callback=parsed("dkim_selectors"))


@click.group(help=HELP.COMMANDS[""], context_settings={"help_option_names": ["-h", "--help"],
                                                       "max_content_width": HELP.WIDTH})
@click.version_option(__version__, prog_name="smtpdoctor")
def cli() -> None:
    pass


@command("check")
@probing_options
@opt("--domain", "domain", is_flag=True)
@dkim_option
@opt("--fix", "write_fix", is_flag=True)
def check(**params: Any) -> None:
    if params["accounts"] and params["write_fix"]:
        raise click.UsageError("--fix writes one dotenv file; it cannot be used with --accounts.")
    sys.exit(commands.network("check", params, (), commands.pick_lang(params["lang"])))


@command("domain")
@click.argument("domain_name", metavar="[DOMAIN]", required=False, callback=parsed("domain_name"))
@sender_options
@opt("--timeout", command="domain", default=DEFAULTS.timeout, show_default=True)
@opt("--max-time", default=None, metavar="SECONDS")
@opt("--dns-server", command="domain", metavar="IP[:PORT]", callback=parsed("dns_server"))
@dkim_option
@report_options("domain")
@opt("-v", "--verbose", command="domain", is_flag=True)
@opt("-q", "--quiet", is_flag=True)
def domain(**params: Any) -> None:
    sys.exit(commands.domain(params, commands.pick_lang(params["lang"])))


@command("send-test")
@click.argument("recipients", nargs=-1, required=True, metavar="RECIPIENT...")
@opt("--subject", default=None)
@opt("--body", default=None)
@opt("--confirm", is_flag=True)
@opt("--confirm-timeout", default=DEFAULTS.confirm_timeout, show_default=True)
@opt("--keep", is_flag=True)
@probing_options
def send_test(recipients: tuple[str, ...], **params: Any) -> None:
    sys.exit(commands.network("send-test", params, recipients, commands.pick_lang(params["lang"])))


@command("config")
@settings_options
@account_source_options
def config(**params: Any) -> None:
    sys.exit(commands.config(params, commands.pick_lang(params["lang"])))


@command("providers")
@languages("providers")
@opt("--json", "as_json", command="providers", is_flag=True)
def providers(lang: str | None, as_json: bool) -> None:
    sys.exit(commands.providers(commands.pick_lang(lang), as_json))


@command("explain")
@click.argument("code", required=False, shell_complete=completing(api.reason_ids))
@languages("explain")
@opt("--json", "as_json", command="explain", is_flag=True)
@opt("--env-file", command="explain", type=click.Path(dir_okay=False), default=None)
@opt("--file", "bounce", command="explain", type=click.File("r", encoding="utf-8", errors="replace"))
def explain(code: str | None, lang: str | None, as_json: bool, env_file: str | None, bounce: Any) -> None:
    sys.exit(commands.explain(code, commands.pick_lang(lang), as_json, env_file, bounce))


class Stopped(BaseException):
    """SIGINT (Ctrl-C) or SIGTERM (systemd stopping the unit, docker stop).

    A BaseException of our own, so neither a probe's crash handler nor click's
    Ctrl-C handling (a blank line, "Aborted!", exit 1) gets in the way."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.code = 128 + signum
        self.word = "terminated" if signum == signal.SIGTERM else "interrupted"


def _stop(signum: int, frame: object) -> None:
    raise Stopped(signum)


def main() -> None:
    """Console-script entry: 0/1/2 are the verdict; 130 and 143 an interrupt or SIGTERM;
    3 a crash (a bug). A usage error under --json is still one JSON document."""
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    code: int
    try:
        width = help_width(HELP.WIDTH)  # the width click picks, without its shutil import
        result = cli.main(prog_name="smtpdoctor", standalone_mode=False, terminal_width=width)
        code = result if isinstance(result, int) else 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if type(sys.stdout).__name__.endswith("PacifyFlushWrapper"):  # click's EPIPE exit 1
            silence_stdout()  # for --help or --version: those never fail
            code = int(ExitCode.OK)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        _usage_error(exc)
        code = int(ExitCode.CONFIG_ERROR)
    except Stopped as stop:
        echo_error(f"smtpdoctor: {stop.word}")
        code = stop.code
    except (KeyboardInterrupt, click.exceptions.Abort):
        echo_error("smtpdoctor: interrupted")
        code = 130
    except Exception as exc:  # the last line of defence: never a bare traceback
        if isinstance(exc, OSError) and exc.errno in (errno.EPIPE, errno.ENOSPC):
            silence_stdout()  # output not written; the commands return their verdicts themselves
            code = int(ExitCode.OK)
        else:
            echo_error(f"smtpdoctor: internal error: {type(exc).__name__}: {exc}\n"
                       "This is a bug in smtpdoctor; please report it with the command you ran.")
            code = int(ExitCode.INTERNAL_ERROR)
    sys.exit(code)


def _usage_error(exc: click.ClickException) -> None:
    """Say what is wrong with the command line; under --json, as the document."""
    if "--json" in sys.argv[1:]:
        name = next((a for a in sys.argv[1:] if a in cli.commands), None)
        commands.usage(name, exc.format_message(), commands.pick_lang(None))
    with contextlib.suppress(OSError):
        exc.show()

