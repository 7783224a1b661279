"""``check`` and ``send-test`` as plain functions: settings in, Report out."""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from dataclasses import dataclass, field, replace
from email.utils import parseaddr
from typing import TYPE_CHECKING

from smtpdoctor.config.preflight import Preflight
from smtpdoctor.model import (
    PROBE_ORDER,
    SEND_PROBE_ORDER,
    ErrorCode,
    Finding,
    Report,
    Severity,
    frozen_params,
)
from smtpdoctor.views.words import phrase

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console

    from smtpdoctor.config.oauth import TokenAnswer
    from smtpdoctor.config.settings import Settings
    from smtpdoctor.model import ProbeResult
    from smtpdoctor.probes.session import Session
    from smtpdoctor.runner.pipeline import ProgressHook
    from smtpdoctor.wire.imap import Mailbox

# Failures that can pass on their own a little later (the network coming up
# at boot, a server restarting); a wrong password never does.
RETRIABLE_CODES = {ErrorCode.ETIMEDOUT, ErrorCode.ECONNECTION}
RETRIABLE_REASONS = {"dns.timeout", "dns.error"}


@dataclass(frozen=True)
class RunOptions:
    timeout: float = 10.0
    dns_server: str | None = None
    ca_file: str | None = None
    alt_ports: str = "465,587,25,2525"
    until: str | None = None
    retries: int = 0
    retry_delay: float = 5.0
    subject: str | None = None
    body: str | None = None
    # One deadline for the whole run, retries and their delays included.
    max_time: float | None = None
    lang: str = "en"
    # Keep the (redacted) SMTP transcript in the report: -v.
    verbose: bool = False
    # check --domain: the sending domain's mx/spf/dkim/dmarc after the envelope.
    domain: bool = False
    dkim_selectors: tuple[str, ...] = ()
    # send-test --confirm: follow the message into the mailbox, for this long; --keep leaves it.
    confirm: bool = False
    confirm_timeout: float = 60.0
    keep: bool = False


class BadOption(ValueError):
    """An option's value cannot be used; the message says why."""


def parse_dns_server(text: str) -> tuple[str, int]:
    """``IP``, ``IP:PORT``, ``[IPv6]:PORT`` or a bare IPv6 address."""
    host, port = text.strip(), "53"
    if host.startswith("["):
        host, _, rest = host[1:].partition("]")
        port = rest.removeprefix(":") or "53"
    elif host.count(":") == 1:
        host, port = host.split(":")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise BadOption(f"{text!r} is not an IP address (use IP or IP:PORT)") from None
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise BadOption(f"{port!r} is not a port number")
    return host, int(port)


def parse_dkim_selectors(selectors: tuple[str, ...]) -> tuple[str, ...]:
    """Each --dkim-selector as a DNS name can hold it (``s1``, ``k1.sub``)."""
    from smtpdoctor.probes.records import name_problem

    for selector in selectors:
        problem = name_problem(f"{selector}._domainkey.example.com") if selector.strip() else "it is empty"
        if problem:
            raise BadOption(f"{selector!r} is not a DKIM selector: {problem}")
    return selectors


def parse_domain(text: str) -> str:
    from smtpdoctor.probes.records import name_problem

    problem = name_problem(text)
    if problem:
        raise BadOption(f"{text!r} is not a domain name: {problem}")
    return text


def parse_ports(text: str) -> tuple[int, ...]:
    if text.strip().lower() in ("", "none"):
        return ()
    ports = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or not 1 <= int(part) <= 65535:
            raise BadOption(f"{part!r} is not a port number")
        ports.append(int(part))
    return tuple(dict.fromkeys(ports))


def recipient_problem(recipient: str) -> str | None:
    """Why ``recipient`` is not one plain address (a header-injection attempt,
    a list, a display name), or None."""
    if any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in recipient):
        return "it contains a line break or control character"
    if "," in recipient or ";" in recipient:
        return "give one address per argument"
    if any(ch.isspace() for ch in recipient) or "<" in recipient or ">" in recipient:
        return "no spaces, angle brackets or display names"
    name, address = parseaddr(recipient)
    local, at, domain = recipient.rpartition("@")
    if name or address != recipient or not at or not local or "." not in domain.strip("."):
        return "not an address like you@example.com"
    if len(recipient) > 254:
        return "longer than 254 characters"
    return None


def run_command(
    command: str,
    preflight: Preflight,
    recipients: tuple[str, ...],
    options: RunOptions,
    progress: Console | None = None,
) -> Report:
    """One check or send-test from the command line: a spinner on a terminal's stderr."""
    if progress is None or not progress.is_terminal:
        return asyncio.run(arun_command(command, preflight, recipients, options))
    from rich.text import Text

    with progress.status(phrase("progress.starting", options.lang)) as live:
        def on_step(name: str) -> None:
            live.update(phrase("progress.checking", options.lang, probe=name))

        def on_retry(said: str) -> None:
            progress.print(Text(said, style="dim"))

        return asyncio.run(arun_command(command, preflight, recipients, options, on_step=on_step,
                                        on_retry=on_retry))


async def arun_command(
    command: str,
    preflight: Preflight,
    recipients: tuple[str, ...],
    options: RunOptions,
    *,
    context: ssl.SSLContext | None = None,
    shared: Shared | None = None,
    on_step: ProgressHook | None = None,
    on_retry: Callable[[str], None] | None = None,
) -> Report:
    """The same, awaited: inside an app's event loop, or many at once (``--accounts``).
    ``context`` and ``shared`` (DNS answers) may be shared by concurrent runs."""
    names = probe_names(command, preflight.settings, options)
    findings = [_relevant(f, options.until) for f in preflight.findings]
    mailbox = None
    if "delivery" in names:
        try:
            mailbox = confirm_mailbox(preflight, recipients)
        except ValueError as exc:  # IMAP_PORT is not a port
            findings.append(Finding(Severity.ERROR, "config.bad_port", frozen_params(
                {"variable": "IMAP_PORT", "value": str(exc)})))
        else:
            if mailbox is None:
                findings.append(Finding(Severity.ERROR, "config.confirm_no_mailbox", frozen_params(
                    {"recipient": ", ".join(recipients)})))
    if options.subject and any(ord(ch) < 32 or ord(ch) == 127 for ch in options.subject):
        findings.append(Finding(Severity.ERROR, "config.header_control_char",
                                frozen_params({"option": "--subject"})))
    domain = sender_domain(preflight.settings) if options.domain else None
    if domain:
        _bad_domain(domain, findings)  # before any probe: --domain would look it up last
    for recipient in recipients:
        problem = recipient_problem(recipient)
        if problem:
            findings.append(Finding(Severity.ERROR, "config.bad_recipient",
                                    frozen_params({"recipient": repr(recipient), "detail": problem})))
    if context is None:
        from smtpdoctor.wire.net import tls_context

        try:
            context = tls_context(options.ca_file)
        except (ssl.SSLError, OSError) as exc:
            findings.append(Finding(Severity.ERROR, "config.bad_ca_file", frozen_params(
                {"file": options.ca_file, "detail": getattr(exc, "reason", None) or str(exc)})))
    base = Report(command, preflight.settings, preflight.provider, tuple(findings))
    if base.exit_code == 2 or context is None:
        from smtpdoctor.probes.session import say, skipped

        return Report(command, preflight.settings, preflight.provider, tuple(findings),
                      tuple(skipped(n, say("skip.config_error")) for n in names))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + options.max_time if options.max_time else None
    attempts = 0
    while True:
        attempts += 1
        report = await _check(command, preflight, findings, recipients, options, names, context,
                              deadline, on_step, shared or Shared(), mailbox)
        failure = report.failed_probe
        left = deadline - loop.time() if deadline else None
        out_of_time = left is not None and left <= options.retry_delay + 0.5
        if (failure is None or attempts > options.retries or not _retriable(failure.error)
                or out_of_time):
            return replace(report, attempts=attempts)
        if on_retry is not None:
            on_retry(phrase("progress.retry", options.lang, probe=failure.name, attempt=attempts,
                            reason=failure.error.reason if failure.error else "", retries=options.retries,
                            delay=f"{options.retry_delay:g}"))
        await asyncio.sleep(options.retry_delay)


def probe_names(command: str, settings: Settings | None, options: RunOptions) -> tuple[str, ...]:
    """The probes a run lists, in order: the command's, the OAuth2 token request before the
    login when a refresh flow is configured, delivery after send with --confirm."""
    names: tuple[str, ...] = SEND_PROBE_ORDER if command == "send-test" else PROBE_ORDER
    if settings is not None and settings.oauth2 is not None and settings.oauth2.refresh_flow:
        at = names.index("auth")
        names = (*names[:at], "oauth", *names[at:])
    if command == "send-test" and options.confirm:
        names = (*names, "delivery")
    return names


@dataclass
class Shared:
    """What concurrent runs share: DNS answers (a lookup in flight is awaited, not repeated)."""

    lookups: dict[tuple[str, str | None], asyncio.Future[list[str]]] = field(default_factory=dict)


# What each step needs: a check that stops before AUTH (a health check) needs
# no credentials, one that stops at AUTH no sender.
NEEDED_FROM = {"config.missing_username": "auth", "config.missing_password": "auth",
               "config.missing_sender": "envelope"}


def _relevant(finding: Finding, until: str | None) -> Finding:
    """A missing value the run will never use is information, not an error."""
    needed_at = NEEDED_FROM.get(finding.reason)
    if until and needed_at and PROBE_ORDER.index(until) < PROBE_ORDER.index(needed_at):
        return replace(finding, severity=Severity.INFO)
    return finding


def _retriable(error: object) -> bool:
    from smtpdoctor.model import ProbeError

    if not isinstance(error, ProbeError):
        return False
    if error.code in RETRIABLE_CODES or error.reason in RETRIABLE_REASONS:
        return True
    return error.reply_code is not None and 400 <= error.reply_code < 500


async def _check(command: str, preflight: Preflight, findings: list[Finding],
                 recipients: tuple[str, ...], options: RunOptions, names: tuple[str, ...],
                 context: ssl.SSLContext, deadline: float | None,
                 on_step: ProgressHook | None, shared: Shared, mailbox: Mailbox | None = None) -> Report:
    from smtpdoctor.probes.session import Session
    from smtpdoctor.runner.fixes import follow_fixes
    from smtpdoctor.runner.pipeline import run_probes
    from smtpdoctor.wire.net import Redactor

    tokens: dict[tuple[str, str | None, str], TokenAnswer] = {}

    def session_for(s: Settings, alt_ports: tuple[int, ...]) -> Session:
        return Session(
            tokens=tokens,
            lookups=shared.lookups,
            mailbox=mailbox,
            confirm_timeout=options.confirm_timeout,
            keep=options.keep,
            settings=s,
            provider=preflight.provider,
            table=preflight.table,
            timeout=options.timeout,
            context=context,
            redactor=Redactor(s.username, s.password, s.oauth2.secrets() if s.oauth2 else ()),
            alt_ports=alt_ports,
            dns_server=parse_dns_server(options.dns_server) if options.dns_server else None,
            recipients=recipients,
            subject=options.subject,
            body=options.body,
            run_deadline=deadline,
        )

    # A trial never sends mail: it stops after the envelope.
    trial_names = tuple(n for n in names if n not in ("send", "delivery"))

    async def trial(s: Settings) -> tuple[list[ProbeResult], Session]:
        trial_session = session_for(s, ())
        probes = await run_probes(trial_session, trial_names, options.until)
        return probes, trial_session

    s = preflight.settings
    session = session_for(s, parse_ports(options.alt_ports))
    probes = await run_probes(session, names, options.until, on_step)
    if on_step:
        on_step("fixes")
    probes, fixes = await follow_fixes(preflight, probes, session, trial)
    domain = sender_domain(s) if options.domain else None
    if domain:
        from smtpdoctor.probes.domain import DOMAIN_PROBES, run_domain_probes
        from smtpdoctor.probes.session import say, skipped

        if options.until:  # after the envelope: --until always stops before them
            probes = [*probes, *(skipped(n, say("skip.until", probe=options.until)) for n in DOMAIN_PROBES)]
        else:
            probes = [*probes, *await run_domain_probes(session, domain, options.dkim_selectors)]
    return Report(command, s, preflight.provider, tuple(findings), tuple(probes),
                  transcript=tuple(session.transcript) if options.verbose else (), fixes=tuple(fixes),
                  domain=domain)


def confirm_mailbox(preflight: Preflight, recipients: tuple[str, ...]) -> Mailbox | None:
    """Where --confirm looks: IMAP_* from the .env and the environment (the environment wins),
    else — sending to yourself, the common case — the provider's IMAP server with the login."""
    from smtpdoctor.wire.imap import Mailbox, mailbox_from

    values = {**(preflight.dotenv.values if preflight.dotenv else {}),
              **{k: v for k, v in preflight.environ.items() if k.startswith("IMAP_")}}
    given = mailbox_from(values)
    if given is not None:
        return given
    s, provider = preflight.settings, preflight.provider
    to_self = len(recipients) == 1 and s.username and recipients[0].casefold() == s.username.casefold()
    if to_self and provider is not None and provider.imap is not None and s.username:
        token = s.oauth2.access_token if s.oauth2 else None
        return Mailbox(provider.imap[0], provider.imap[1], s.username, s.password, token, source=provider.id)
    return None


def sender_domain(settings: Settings | None) -> str | None:
    """The sending domain: the sender address's, else the login's."""
    for address in (settings.sender, settings.username) if settings else ():
        if address and "@" in address:
            return address.rpartition("@")[2].strip().lower() or None
    return None


async def arun_domain(preflight: Preflight, domain: str | None, options: RunOptions) -> Report:
    """`smtpdoctor domain`: mx, spf, dkim and dmarc of ``domain`` (default: the sender's),
    judged against the provider that sends (the settings' host, else the domain's MX)."""
    from smtpdoctor.probes.domain import run_domain_probes
    from smtpdoctor.probes.session import Session
    from smtpdoctor.wire.net import Redactor, tls_context

    domain = (domain or sender_domain(preflight.settings) or "").strip().lower() or None
    if domain is None:
        finding = Finding(Severity.ERROR, "config.no_domain", frozen_params({}))
        return Report("domain", preflight.settings, preflight.provider, (finding,))
    findings: list[Finding] = []
    if _bad_domain(domain, findings):
        return Report("domain", preflight.settings, preflight.provider, tuple(findings))
    loop = asyncio.get_running_loop()
    session = Session(settings=preflight.settings, provider=preflight.provider, table=preflight.table,
                      timeout=options.timeout, context=tls_context(None), redactor=Redactor(None, None),
                      dns_server=parse_dns_server(options.dns_server) if options.dns_server else None,
                      run_deadline=loop.time() + options.max_time if options.max_time else None)
    probes = await run_domain_probes(session, domain, options.dkim_selectors)
    return Report("domain", preflight.settings, preflight.provider, (), tuple(probes), domain=domain)


def _bad_domain(domain: str, findings: list[Finding]) -> bool:
    """A sending domain no lookup can be made for (the sender's ``a@x..y``): a config error."""
    from smtpdoctor.probes.records import name_problem

    problem = name_problem(domain)
    if problem:
        findings.append(Finding(Severity.ERROR, "config.bad_domain",
                                frozen_params({"domain": domain, "detail": problem})))
    return problem is not None


def write_fixes(report: Report, preflight: Preflight) -> tuple[Report, dict[str, object] | None]:
    """Write the report's verified changes into the dotenv file. On refusal the
    report gains a ``config.fix_refused`` error (exit 2) and nothing is written."""
    from pathlib import Path

    from smtpdoctor.config.dotenv_edit import FixRefused, apply_changes

    changes: dict[str, str] = {}
    for fix in report.fixes:
        changes |= fix.changes
    if not changes:
        return report, None
    dotenv = preflight.dotenv
    s = preflight.settings
    secrets = {s.variable("password")}
    try:
        if dotenv is None or dotenv.path is None:
            raise FixRefused("there is no dotenv file to write: set the variables where your app "
                             "reads them")
        if dotenv.unparsable_lines:
            raise FixRefused(f"{dotenv.shown_path} has lines python-dotenv cannot parse")
        from smtpdoctor.wire.net import Redactor

        applied = apply_changes(Path(dotenv.path), dotenv.text, changes, preflight.environ, secrets,
                                Redactor(s.username, s.password).clean)
    except FixRefused as exc:
        refusal = Finding(Severity.ERROR, "config.fix_refused", frozen_params({"detail": str(exc)}))
        return replace(report, findings=(*report.findings, refusal)), None
    return report, {"file": applied.file, "backup": applied.backup, "changes": dict(applied.changes),
                    "diff": applied.diff}
