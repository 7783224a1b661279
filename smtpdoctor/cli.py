"""The command line: parse options, resolve settings, run, render, exit.

Heavy modules (rich, dnspython, aiosmtplib) are imported inside the commands
that use them, so ``smtpdoctor --help`` starts at the cost of click alone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from smtpdoctor import __version__
from smtpdoctor.codes import CLIENT_IDS, PROBE_ORDER, ExitCode
from smtpdoctor.views.console import echo_error, emit_json, is_terminal, make_console, silence_stdout

if TYPE_CHECKING:
    from smtpdoctor.config.preflight import Preflight
    from smtpdoctor.model import Report
    from smtpdoctor.runner.check import RunOptions

F = TypeVar("F", bound=Callable[..., Any])


def settings_options(func: F) -> F:
    """Options every command that reads the app's settings shares (DESIGN.md)."""
    decorators = [
        click.option("--env-file", type=click.Path(dir_okay=True), default=None,
                     help="Read this dotenv file (default: ./.env when it exists)."),
        click.option("--host", help="Override the SMTP host."),
        click.option("--port", help="Override the port."),
        click.option("--user", help="Override the username."),
        click.option("--from", "sender", help="Override the sender address."),
        click.option("--security", type=click.Choice(["auto", "ssl", "starttls", "plain"]),
                     default=None, help="Override the TLS mode (auto: from flags, else the port)."),
        click.option("--provider", "provider_id", metavar="ID",
                     help="Treat the settings as this provider's (see `smtpdoctor providers`)."),
        click.option("--client", type=click.Choice(["auto", *CLIENT_IDS]), default="auto",
                     show_default=True,
                     help="How the app connects (auto: from the app folder's dependency "
                     "manifest, else the variable family)."),
        click.option("--lang", type=click.Choice(["en", "zh"]), default=None,
                     help="Language of messages (default from LC_ALL/LC_MESSAGES/LANG)."),
        click.option("--json", "as_json", is_flag=True,
                     help="Print exactly one JSON document on stdout."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def _validated(parse_name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        from smtpdoctor.runner import check as run

        if value is None:
            return value
        try:
            getattr(run, parse_name)(value)
        except run.BadOption as exc:
            raise click.BadParameter(str(exc)) from None
        return value

    return callback


def account_source_options(func: F) -> F:
    """--accounts and where its rows come from (check, send-test, config)."""
    decorators = [
        click.option("--accounts", metavar="SOURCE",
                     help="Many accounts: a .jsonl, .json or .csv file, - for JSON Lines on stdin, "
                     "or a postgresql:// URL with --query. Rows never read .env or the environment."),
        click.option("--query", metavar="SQL", help="With a postgresql:// source: the rows to check."),
        click.option("--decrypt-column", "decrypt_columns", multiple=True, metavar="COLUMN",
                     help="Decrypt this column with Fernet (repeatable)."),
        click.option("--fernet-key-env", metavar="VAR",
                     help="The environment variable holding the Fernet key(s), comma-separated, "
                     "newest first."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def accounts_options(func: F) -> F:
    """--accounts and what goes with it on the network (check, send-test)."""
    decorators = [
        account_source_options,
        click.option("--concurrency", type=click.IntRange(min=1, max=500), default=20, show_default=True,
                     help="Accounts checked at once."),
        click.option("--per-host", type=click.IntRange(min=1, max=100), default=3, show_default=True,
                     help="Accounts checked at once against one SMTP host (providers limit connections)."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def network_options(func: F) -> F:
    """Options of the commands that touch the network (check, send-test)."""
    decorators = [
        click.option("--timeout", type=click.FloatRange(min=0.1, max=300), default=10.0,
                     show_default=True, help="Limit in seconds for each network step."),
        click.option("--max-time", type=click.FloatRange(min=0.5, max=86400), default=None,
                     metavar="SECONDS", help="One deadline for the whole run, retries and their "
                     "delays included (like curl's --max-time): for boot gates and health checks."),
        click.option("--dns-server", metavar="IP[:PORT]", callback=_validated("parse_dns_server"),
                     help="Resolve with this name server and connect to what it returns."),
        click.option("--ca-file", type=click.Path(exists=True, dir_okay=False),
                     help="Also trust these CA certificates (PEM)."),
        click.option("--alt-ports", default="465,587,25,2525", show_default=True,
                     callback=_validated("parse_ports"),
                     metavar="LIST", help="Ports tried at the same time when the configured "
                     "one fails ('none' to skip)."),
        click.option("--until", type=click.Choice(PROBE_ORDER), default=None,
                     help="Stop after this probe; later ones are skipped (like swaks --quit-after)."),
        click.option("--retries", type=click.IntRange(min=0, max=100), default=0,
                     help="Run again this many times while the failure is one that can pass "
                     "later (DNS, timeouts, refused, 4xx): for boot gates."),
        click.option("--retry-delay", type=click.FloatRange(min=0, max=3600), default=5.0,
                     show_default=True, help="Seconds between retries."),
        click.option("--format", "output_format", type=click.Choice(["text", "github"]),
                     default=None, help="github: also print ::error annotations "
                     "(default when GITHUB_ACTIONS=true)."),
        click.option("--junit-xml", type=click.Path(dir_okay=False, writable=True),
                     help="Also write a JUnit XML report (one test case per probe)."),
        click.option("-v", "--verbose", is_flag=True,
                     help="Also show the SMTP transcript, credentials redacted."),
        click.option("--quiet", is_flag=True,
                     help="Print nothing on success; on failure only the failing step."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


# What a run needs from the network options, for the commands that have few or none of them
# (`domain`, `config --accounts`); a command's own options win.
OFFLINE_DEFAULTS: dict[str, Any] = {
    "timeout": 10.0, "max_time": None, "dns_server": None, "ca_file": None, "alt_ports": "none",
    "until": None, "retries": 0, "retry_delay": 0.0, "quiet": False, "verbose": False,
    "junit_xml": None, "output_format": None, "concurrency": 20, "per_host": 3,
}


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


def resolve_from_options(params: dict[str, Any]) -> Preflight:
    from smtpdoctor.config.preflight import resolve
    from smtpdoctor.config.settings import Options

    options = Options(
        host=params.get("host"),
        port=params.get("port"),
        user=params.get("user"),
        sender=params.get("sender"),
        security=params.get("security"),
        provider=params.get("provider_id"),
    )
    return resolve(params.get("env_file"), os.environ, options, client=params.get("client"))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="smtpdoctor")
def cli() -> None:
    """Find out why your app's SMTP mail fails, and how to fix it.

    smtpdoctor reads the mail settings the way your app does (./.env, then the
    environment), flags what cannot work, then checks DNS, TCP, TLS, SMTP,
    AUTH and the envelope in order and names the fix in your own variables.

    \b
    Exit codes: 0 all passed, 1 a check failed, 2 usage or configuration error.

    \b
    Example:
      smtpdoctor check
      smtpdoctor send-test you@example.com
      smtpdoctor explain "535 Login Fail"
    """


@cli.command()
@settings_options
@network_options
@accounts_options
@click.option("--domain", "check_domain", is_flag=True,
              help="Also check the sender's domain after the envelope: mx, spf, dkim, dmarc.")
@click.option("--dkim-selector", "dkim_selectors", multiple=True, metavar="SELECTOR",
              callback=_validated("parse_dkim_selectors"),
              help="The DKIM selector to check (default: the provider's).")
@click.option("--fix", "write_fix", is_flag=True,
              help="Write the changes verified in this run into the dotenv file (a copy of the "
              "original is kept beside it), then check again.")
def check(**params: Any) -> None:
    """Lint the settings, then probe dns → tcp → tls → smtp → auth → envelope.

    Nothing is sent: the envelope step says MAIL FROM and RCPT TO, then RSET.
    A fix is offered only after it worked on the wire in this run; --fix
    writes it into the dotenv file (never a password, never the environment).

    \b
    Example:
      smtpdoctor check
      smtpdoctor check --env-file /srv/app/.env --quiet      # boot gate
      smtpdoctor check --json > smtp-report.json             # CI
      smtpdoctor check --until smtp                          # never logs in
      smtpdoctor check --fix                                 # write what was verified
    """
    run_network_command("check", params, recipients=())


@cli.command()
@click.argument("domain", required=False, callback=_validated("parse_domain"))
@settings_options
@click.option("--timeout", type=click.FloatRange(min=0.1, max=300), default=10.0, show_default=True,
              help="Limit in seconds for the lookups.")
@click.option("--dns-server", metavar="IP[:PORT]", callback=_validated("parse_dns_server"),
              help="Resolve with this name server.")
@click.option("--dkim-selector", "dkim_selectors", multiple=True, metavar="SELECTOR",
              callback=_validated("parse_dkim_selectors"),
              help="The DKIM selector to check (default: the provider's).")
@click.option("--junit-xml", type=click.Path(dir_okay=False, writable=True),
              help="Also write a JUnit XML report.")
@click.option("--format", "output_format", type=click.Choice(["text", "github"]), default=None,
              help="github: also print ::error annotations (default when GITHUB_ACTIONS=true).")
def domain(domain: str | None, **params: Any) -> None:
    """Check the sending DOMAIN (default: the sender's): mx, spf, dkim, dmarc.

    Judged against the provider that really sends the mail: the SMTP host's,
    else the one the domain's MX names. Each fix is the exact DNS record to
    publish. Free-mail senders (@qq.com, @gmail.com…) are skipped.

    \b
    Example:
      smtpdoctor domain
      smtpdoctor domain acme-corp.cn --dkim-selector s1
    """
    import asyncio

    from smtpdoctor.runner.check import arun_domain

    lang = pick_lang(params["lang"])
    params = OFFLINE_DEFAULTS | params
    report = asyncio.run(arun_domain(resolve_from_options(params), domain, run_options(params, lang)))
    finish(report, params, lang)


@cli.command("send-test")
@click.argument("recipients", nargs=-1, required=True, metavar="RECIPIENT...")
@click.option("--subject", default=None, help="Subject of the test message.")
@click.option("--body", default=None, help="First paragraph of the test message.")
@click.option("--confirm", is_flag=True,
              help="Follow the message into the recipient's mailbox over IMAP: INBOX or Junk, how fast, "
              "and the receiving side's SPF/DKIM/DMARC verdicts (pip install 'smtpdoctor[confirm]').")
@click.option("--confirm-timeout", type=click.FloatRange(min=1, max=3600), default=60.0, show_default=True,
              help="How long --confirm waits for the message.")
@click.option("--keep", is_flag=True, help="With --confirm: leave the test message in the mailbox.")
@settings_options
@network_options
@accounts_options
def send_test(recipients: tuple[str, ...], **params: Any) -> None:
    """Run every check, then send a real test message to each RECIPIENT.

    The message has the headers strict servers expect (Date, Message-ID, From,
    To, Subject, UTF-8 text) and says which host, port, account and machine
    sent it. It never contains the password.

    \b
    Example:
      smtpdoctor send-test you@example.com
      smtpdoctor send-test a@example.com b@example.com --subject "deploy 42"
    """
    run_network_command("send-test", params, recipients=recipients)


def run_network_command(command: str, params: dict[str, Any], recipients: tuple[str, ...]) -> None:
    from smtpdoctor.runner.check import run_command

    lang = pick_lang(params["lang"])
    if params.get("accounts"):
        run_accounts_command(command, params, recipients, lang)
        return
    preflight = resolve_from_options(params)
    problem = output_path_problem(params.get("junit_xml"))
    if problem:
        # Found before any probe runs: a report that cannot be written is a usage error.
        from dataclasses import replace

        from smtpdoctor.model import Finding, Severity, frozen_params

        unwritable = Finding(Severity.ERROR, "config.output_unwritable",
                             frozen_params({"file": params["junit_xml"], "detail": problem}))
        preflight = replace(preflight, findings=(*preflight.findings, unwritable))
    options = run_options(params, lang)
    # A spinner only on a terminal: never in logs, pipes, with --json or --quiet.
    quiet = params["as_json"] or params["quiet"] or not is_terminal(sys.stderr)
    progress = None if quiet else make_console(stderr=True)
    report = run_command(command, preflight, recipients, options, progress=progress)
    if params.get("write_fix"):
        from dataclasses import replace

        from smtpdoctor.runner.check import write_fixes

        report, written = write_fixes(report, preflight)
        if written is not None:
            # The file as it is now decides the exit code, as it will for the app.
            again = run_command(command, resolve_from_options(params), recipients, options,
                                progress=progress)
            report = replace(again, written=written)
    finish(report, params, lang)


def run_options(params: dict[str, Any], lang: str) -> RunOptions:
    from smtpdoctor.runner.check import RunOptions

    return RunOptions(
        timeout=params["timeout"],
        dns_server=params["dns_server"],
        ca_file=params["ca_file"],
        alt_ports=params["alt_ports"],
        until=params["until"],
        retries=params["retries"],
        retry_delay=params["retry_delay"],
        subject=params.get("subject"),
        body=params.get("body"),
        max_time=params.get("max_time"),
        lang=lang,
        verbose=params.get("verbose", False),
        domain=params.get("check_domain", False),
        dkim_selectors=tuple(params.get("dkim_selectors") or ()),
        confirm=params.get("confirm", False),
        confirm_timeout=params.get("confirm_timeout") or 60.0,
        keep=params.get("keep", False),
    )


def run_accounts_command(command: str, params: dict[str, Any], recipients: tuple[str, ...],
                         lang: str) -> None:
    """--accounts: every row checked as its own app would be, one document for the lot,
    the worst row's exit code. Rows never read .env or the environment."""
    import asyncio

    from smtpdoctor.model import Finding, Severity, frozen_params

    if params.get("write_fix"):
        raise click.UsageError("--fix writes one dotenv file; it cannot be used with --accounts.")
    source = params["accounts"]
    problem = output_path_problem(params.get("junit_xml"))
    options = run_options(params, lang)
    try:
        if problem:
            raise AccountsProblem("config.output_unwritable",
                                  {"file": params["junit_xml"], "detail": problem})
        checked = asyncio.run(_check_accounts(command, params, recipients, options, source))
    except AccountsProblem as exc:
        from smtpdoctor.model import Report

        finding = Finding(Severity.ERROR, exc.reason, frozen_params(exc.params))
        finish(Report(command, None, None, (finding,)), params, lang)
        return
    finish_fleet(command, checked, params, lang)


class AccountsProblem(Exception):
    """The run as a whole cannot start: one finding, exit 2."""

    def __init__(self, reason: str, params: dict[str, object]) -> None:
        super().__init__(reason)
        self.reason, self.params = reason, params


async def _check_accounts(command: str, params: dict[str, Any], recipients: tuple[str, ...],
                          options: Any, source: str) -> list[Any]:
    import ssl

    from smtpdoctor.accounts.files import AccountsError, decrypt_accounts, read_accounts
    from smtpdoctor.runner.fleet import check_accounts
    from smtpdoctor.wire.net import tls_context

    shown = source
    try:
        if source.startswith(("postgresql://", "postgres://")):
            from smtpdoctor.accounts.postgres import read_pg_accounts, shown_url

            shown = shown_url(source)
            accounts = await read_pg_accounts(source, params.get("query"), params["timeout"])
        else:
            accounts = read_accounts(source, sys.stdin)
        columns, key_env = params.get("decrypt_columns") or (), params.get("fernet_key_env")
        accounts = decrypt_accounts(accounts, columns, key_env, os.environ)
    except AccountsError as exc:
        raise AccountsProblem("config.accounts_unreadable", {"source": shown, **exc.problem.said()}) from None
    if not accounts:
        # A gate that checked nothing must not pass: an empty export, a query whose filter matched no row.
        empty = "no_rows" if source.startswith(("postgresql://", "postgres://")) else "empty"
        raise AccountsProblem("config.accounts_unreadable", {"source": shown, "detail": f"§accounts.{empty}"})
    try:
        context = tls_context(options.ca_file)
    except (ssl.SSLError, OSError) as exc:
        raise AccountsProblem("config.bad_ca_file", {"file": options.ca_file, "detail": str(exc)}) from None
    progress = None
    if not params["as_json"] and not params["quiet"] and is_terminal(sys.stderr):
        from rich.progress import Progress

        progress = Progress(console=make_console(stderr=True), transient=True)
    client = params.get("client") if params.get("client") != "auto" else None
    limits = {"client": client, "recipients": recipients, "source": shown,
              "concurrency": params["concurrency"], "per_host": params["per_host"]}
    if progress is None:
        return await check_accounts(accounts, command, options, context, **limits)
    with progress:
        task = progress.add_task("smtpdoctor", total=len(accounts))
        return await check_accounts(accounts, command, options, context, **limits,
                                    on_done=lambda _: progress.advance(task))


def finish_fleet(command: str, checked: list[Any], params: dict[str, Any], lang: str) -> None:
    """--accounts: the same outputs as one check, for the lot."""
    from smtpdoctor.runner.fleet import fleet_document, worst
    from smtpdoctor.views import ci as ci_output

    def text() -> None:
        from smtpdoctor.views.terminal import print_fleet

        print_fleet(checked, make_console(), lang, quiet=params.get("quiet", False))

    emit(params, worst(checked),
         junit=lambda path: ci_output.write_junit_fleet(checked, command, path, lang),
         # Hundreds of accounts: one compact line (jq reads it as well), a third of the bytes.
         as_json=lambda: emit_json(fleet_document(command, checked, lang),
                                   indent=None if len(checked) > 20 else 2),
         text=text,
         annotations=lambda: [line for c in checked
                              for line in ci_output.github_annotations(c.report, lang, c.account.label)])


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


def finish(report: Report, params: dict[str, Any], lang: str) -> None:
    """Print the report every way asked for, then exit with its code."""
    from smtpdoctor.views import ci as ci_output
    from smtpdoctor.views.document import document

    def text() -> None:
        from smtpdoctor.views.terminal import print_report

        print_report(report, make_console(), lang, quiet=params.get("quiet", False),
                     verbose=params.get("verbose", False))

    emit(params, report.exit_code, junit=lambda path: ci_output.write_junit(report, path, lang),
         as_json=lambda: emit_json(document(report, lang)), text=text,
         annotations=lambda: ci_output.github_annotations(report, lang))


def emit(params: dict[str, Any], code: int, *, junit: Callable[[str], None], as_json: Callable[[], None],
         text: Callable[[], None], annotations: Callable[[], list[str]]) -> None:
    """Every output asked for — JUnit file, the JSON document or the text, GitHub
    annotations — then exit with ``code``, whatever happened to stdout."""
    if params.get("junit_xml"):
        try:
            junit(params["junit_xml"])
        except OSError as exc:  # checked before probing; the disk may still fill up
            echo_error(f"smtpdoctor: could not write {params['junit_xml']}: {exc.strerror or exc}")
    github = params.get("output_format") == "github" or (
        params.get("output_format") is None and os.environ.get("GITHUB_ACTIONS") == "true")
    try:
        if params["as_json"]:
            as_json()
        else:
            text()
        if github:
            # Annotations go to stdout (where Actions reads workflow commands), but
            # never into a --json document, which must stay one parseable value.
            stream = sys.stderr if params["as_json"] else sys.stdout
            for line in annotations():
                click.echo(line, file=stream)
        if sys.stdout is not None:
            sys.stdout.flush()
    except OSError:
        # A closed pipe (`| grep -q`), a full disk: the verdict still decides the exit code.
        silence_stdout()
    sys.exit(int(code))


@cli.command()
@settings_options
@account_source_options
def config(**params: Any) -> None:
    """Show the settings as resolved: each value, the variable and file it came
    from, the settings family and provider, and what looks wrong. Never touches
    the network; the password is shown only as set/length. With --accounts, what
    looks wrong in each row, with no connection made.

    \b
    Example:
      smtpdoctor config
      smtpdoctor config --env-file deploy/.env.production --json
      smtpdoctor config --accounts tenants.jsonl --client aiosmtplib
    """
    from smtpdoctor.model import Report

    lang = pick_lang(params["lang"])
    if params.get("accounts"):
        # Only a PostgreSQL source touches the network (to read the rows), within the default timeout.
        run_accounts_command("config", OFFLINE_DEFAULTS | params, (), lang)
        return
    preflight = resolve_from_options(params)
    report = Report("config", preflight.settings, preflight.provider, preflight.findings)
    if params["as_json"]:
        from smtpdoctor.views.document import document

        emit_json(document(report, lang))
    else:
        from smtpdoctor.views.terminal import print_config

        print_config(report, make_console(), lang)
    sys.exit(int(report.exit_code))


@cli.command()
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None, help="Language of names.")
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON.")
def providers(lang: str | None, as_json: bool) -> None:
    """List the provider table: hosts, ports and TLS modes, username rule,
    password kind and where to get it.

    \b
    Example:
      smtpdoctor providers
      smtpdoctor providers --json | jq '.[] | select(.id == "qq")'
    """
    from smtpdoctor.providers import load_providers

    table = load_providers()
    lang = pick_lang(lang)
    if as_json:
        emit_json({"schema": 1, "providers": [
            {
                "id": p.id, "name": p.display_name(lang), "kind": p.kind,
                "hosts": list(p.hosts) + list(p.host_patterns), "domains": list(p.domains),
                "ports": {str(port): mode for port, mode in sorted(p.ports.items())},
                "default_port": p.default_port, "username": p.username,
                "username_literal": p.username_literal, "password_kind": p.password_kind,
                "sender_must_match_login": p.sender_must_match_login,
                "imap": {"host": p.imap[0], "port": p.imap[1], "security": "ssl"} if p.imap else None,
                "credential_url": p.credential_url, "help_url": p.help_url, "notes": p.notes,
            }
            for p in table.providers
        ]})
        return
    from smtpdoctor.providers import table_lines
    from smtpdoctor.views.console import write_lines

    write_lines(table_lines(table, lang))


@cli.command()
@click.argument("code")
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None, help="Language.")
@click.option("--json", "as_json", is_flag=True, help="Print the explanations as JSON.")
@click.option("--env-file", type=click.Path(dir_okay=False), default=None,
              help="Name the fix in this dotenv file's variables (default: ./.env when it exists).")
def explain(code: str, lang: str | None, as_json: bool, env_file: str | None) -> None:
    """Say what an error means and what to do: an error code (EAUTH,
    ETIMEDOUT), a reply code (535, 5.7.8), a reply text, or what your app
    logged (smtplib, nodemailer, PHPMailer, aiosmtplib), or a reason id.

    \b
    Example:
      smtpdoctor explain EAUTH
      smtpdoctor explain "535 Login Fail"
      smtpdoctor explain "smtplib.SMTPAuthenticationError: (535, b'Error: ...')"
      smtpdoctor explain "Error: getaddrinfo ENOTFOUND smtp.qq.cm"
      smtpdoctor explain "wrong version number" --lang zh
    """
    from pathlib import Path

    from smtpdoctor.providers import load_providers
    from smtpdoctor.views.explain import explain as find

    lang = pick_lang(lang)
    matches = find(code, load_providers())
    settings = provider = None
    if env_file is not None or Path(".env").is_file():
        preflight = resolve_from_options({"env_file": env_file})
        if preflight.settings.family is not None:
            settings, provider = preflight.settings, preflight.provider
    if not matches:
        message = (f"No explanation for {code!r}. Try an error code (EAUTH), a reply code "
                   "(535, 5.7.8), a reply text, or a reason id (tls.wrong_mode).")
        if as_json:
            emit_json({"schema": 1, "query": code, "matches": []})
        click.echo(f"smtpdoctor: {message}", err=True)
        sys.exit(int(ExitCode.CONFIG_ERROR))
    if as_json:
        from dataclasses import asdict

        from smtpdoctor.views.explain import explain_text
        from smtpdoctor.views.words import code_for

        emit_json({"schema": 1, "query": code, "matches": [
            {"reason": m.reason, "code": code_for(m.reason).value,
             "provider": m.provider.id if m.provider else None,
             **asdict(explain_text(m, lang, settings, provider))}
            for m in matches
        ]})
        return
    from smtpdoctor.views.console import width_for, write_lines
    from smtpdoctor.views.explain import explain_lines

    write_lines(explain_lines(matches, lang, width_for(sys.stdout), settings, provider))


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
    """Console-script entry: exit codes that mean one thing, whatever happens.

    0/1/2 are the verdict; 130 and 143 an interrupt or SIGTERM; 3 a crash
    (a bug). A usage error under --json is still one JSON document."""
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    code: int
    try:
        result = cli.main(prog_name="smtpdoctor", standalone_mode=False)
        code = result if isinstance(result, int) else 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
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
    except OSError as exc:
        if exc.errno not in (32, 28):  # EPIPE, ENOSPC: output could not be written
            raise
        silence_stdout()
        code = int(ExitCode.OK)
    except Exception as exc:  # the last line of defence: never a bare traceback
        echo_error(f"smtpdoctor: internal error: {type(exc).__name__}: {exc}\n"
                   "This is a bug in smtpdoctor; please report it with the command you ran.")
        code = int(ExitCode.INTERNAL_ERROR)
    sys.exit(code)


def _usage_error(exc: click.ClickException) -> None:
    """Say what is wrong with the command line; under --json, as the document."""
    message = exc.format_message()
    if "--json" in sys.argv[1:]:
        from smtpdoctor.views.document import usage_document

        command = next((a for a in sys.argv[1:] if a in cli.commands), None)
        try:
            emit_json(usage_document(command, message, pick_lang(None)))
        except OSError:
            silence_stdout()
    with contextlib.suppress(OSError):
        exc.show()
