"""``check`` and ``send-test`` as plain functions: settings in, Report out."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smtpdoctor.config.preflight import Preflight
from smtpdoctor.model import (
    PROBE_ORDER,
    SEND_PROBE_ORDER,
    ErrorCode,
    Finding,
    Fix,
    Report,
    Severity,
    Status,
    frozen_params,
)
from smtpdoctor.runner.options import RunOptions, recipient_problem

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from smtpdoctor.config.values import Settings
    from smtpdoctor.model import ProbeResult
    from smtpdoctor.outcomes import Retry
    from smtpdoctor.probes.session import Session
    from smtpdoctor.runner.pipeline import ProgressHook
    from smtpdoctor.wire.imap import Mailbox
    from smtpdoctor.wire.oauth import TokenAnswer

# Failures that can pass on their own a little later (the network coming up
# at boot, a server restarting); a wrong password never does.
RETRIABLE_CODES = {ErrorCode.ETIMEDOUT, ErrorCode.ECONNECTION}
RETRIABLE_REASONS = {"dns.timeout", "dns.error"}


async def arun_command(
    command: str,
    preflight: Preflight,
    recipients: tuple[str, ...],
    options: RunOptions,
    *,
    context: ssl.SSLContext | None = None,
    shared: Shared | None = None,
    on_step: ProgressHook | None = None,
    on_retry: Callable[[Retry], None] | None = None,
) -> Report:
    """The same, awaited: inside an app's event loop, or many at once (``--accounts``).
    ``context`` and ``shared`` (DNS answers) may be shared by concurrent runs."""
    names = probe_names(command, preflight.settings, options)
    findings = [_in_this_run(f, options.until) for f in preflight.findings]
    mailbox = _mailbox(preflight, recipients, findings) if "delivery" in names else None
    findings += _input_findings(preflight, recipients, options)
    findings += _proxy_findings(options, preflight.environ)
    if context is None:
        context = _context(options, findings)
    base = Report(command, preflight.settings, preflight.provider, tuple(findings))
    if base.exit_code == 2 or context is None:
        from smtpdoctor.probes.session import say, skipped

        return Report(command, preflight.settings, preflight.provider, tuple(findings),
                      tuple(skipped(n, say("skip.config_error")) for n in names), lang=options.lang)
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
            return report._replace(attempts=attempts)
        if on_retry is not None:
            from smtpdoctor.outcomes import Retry

            on_retry(Retry(failure.name, attempts, failure.error.reason if failure.error else "",
                           options.retries, options.retry_delay))
        await asyncio.sleep(options.retry_delay)


# The variables other tools read a proxy from; no SMTP library does (smtplib, aiosmtplib,
# nodemailer, Symfony Mailer: a proxy is set in the app's code or not at all).
PROXY_VARIABLES = ("ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy", "SOCKS_PROXY", "socks_proxy")


def _proxy_findings(options: RunOptions, environ: Mapping[str, str]) -> list[Finding]:
    """Before the network: --proxy without its library (exit 2); proxy variables the app's
    client does not read (said, so that a direct connect is not taken for the proxy's)."""
    import importlib.util

    if options.proxy is not None:
        from smtpdoctor.wire.proxy import needs_python_socks

        if needs_python_socks(options.proxy) and importlib.util.find_spec("python_socks") is None:
            return [Finding(Severity.ERROR, "config.extra_missing", frozen_params(
                {"option": "--proxy", "extra": "proxy", "library": "python-socks"}))]
        return []
    found = [name for name in PROXY_VARIABLES if environ.get(name)]
    if not found:
        return []
    return [Finding(Severity.INFO, "config.proxy_variables_ignored", frozen_params({"variable": found[0]}))]


def _proxy_secret(options: RunOptions) -> tuple[str, ...]:
    """The proxy's password, and the user:password its Basic login sends (the redactor adds
    the base64 of each), scrubbed like the mail password: a proxy may echo them."""
    proxy = options.proxy
    if proxy is None or proxy.password is None:
        return ()
    return proxy.password.reveal(), f"{proxy.username or ''}:{proxy.password.reveal()}"


def _mailbox(preflight: Preflight, recipients: tuple[str, ...], findings: list[Finding]) -> Mailbox | None:
    """Where --confirm looks, or the finding that says it cannot look. Checked before anything
    is sent: without the confirm extra the message would go out and then nothing could look."""
    import importlib.util

    if importlib.util.find_spec("imapclient") is None:
        findings.append(Finding(Severity.ERROR, "config.extra_missing", frozen_params(
            {"option": "--confirm", "extra": "confirm", "library": "imapclient"})))
        return None
    try:
        mailbox = confirm_mailbox(preflight, recipients)
    except ValueError as exc:  # IMAP_PORT is not a port
        findings.append(Finding(Severity.ERROR, "config.bad_port", frozen_params(
            {"variable": "IMAP_PORT", "value": str(exc)})))
        return None
    if mailbox is None:
        findings.append(Finding(Severity.ERROR, "config.confirm_no_mailbox", frozen_params(
            {"recipient": ", ".join(recipients)})))
    return mailbox


def _input_findings(preflight: Preflight, recipients: tuple[str, ...], options: RunOptions) -> list[Finding]:
    """What the command line's own input cannot do, found before any probe runs."""
    findings: list[Finding] = []
    if options.subject and any(ord(ch) < 32 or ord(ch) == 127 for ch in options.subject):
        findings.append(Finding(Severity.ERROR, "config.header_control_char",
                                frozen_params({"option": "--subject"})))
    domain = sender_domain(preflight.settings) if options.domain else None
    if domain:
        bad_domain(domain, findings)  # before any probe: --domain would look it up last
    for recipient in recipients:
        problem = recipient_problem(recipient)
        if problem:
            findings.append(Finding(Severity.ERROR, "config.bad_recipient",
                                    frozen_params({"recipient": repr(recipient), "detail": problem})))
            continue
        domain_part = recipient.rpartition("@")[2]
        near = preflight.table.nearest_domain(domain_part)
        if near:
            findings.append(Finding(Severity.WARNING, "config.domain_typo", frozen_params(
                {"variable": "§domain_typo.recipient", "value": recipient, "domain": domain_part,
                 "suggestion": near})))
    return findings


def _context(options: RunOptions, findings: list[Finding]) -> ssl.SSLContext | None:
    from smtpdoctor.wire.trust import tls_context

    try:
        return tls_context(options.ca_file)
    except (ssl.SSLError, OSError) as exc:
        findings.append(Finding(Severity.ERROR, "config.bad_ca_file", frozen_params(
            {"file": options.ca_file, "detail": getattr(exc, "reason", None) or str(exc)})))
        return None


def probe_names(command: str, settings: Settings | None, options: RunOptions) -> tuple[str, ...]:
    """The probes a run lists, in order: the command's, the OAuth2 token request before the
    login when a refresh flow is configured, delivery after send with --confirm."""
    names: tuple[str, ...] = SEND_PROBE_ORDER if command == "send-test" else PROBE_ORDER
    if options.proxy is not None:  # between the lookup and the connection it makes
        names = (names[0], "proxy", *names[1:])
    if settings is not None and settings.oauth2 is not None and settings.oauth2.refresh_flow:
        at = names.index("auth")
        names = (*names[:at], "oauth", *names[at:])
    if command == "send-test" and options.confirm:
        names = (*names, "delivery")
    return names


@dataclass(eq=False, repr=False)
class Shared:
    """What concurrent runs share: DNS answers (a lookup in flight is awaited, not repeated)."""

    lookups: dict[tuple[str, str | None], asyncio.Future[list[str]]] = field(default_factory=dict)


# What each step needs: a check that stops before AUTH (a health check) needs
# no credentials, one that stops at AUTH no sender.
NEEDED_FROM = {"config.missing_username": "auth", "config.missing_password": "auth",
               "config.missing_sender": "envelope"}


def _in_this_run(finding: Finding, until: str | None) -> Finding:
    """A finding as this run says it: a missing value the run will never use is information,
    not an error; "`smtpdoctor check` tries the ports" is, inside check, the checks below."""
    needed_at = NEEDED_FROM.get(finding.reason)
    if until and needed_at and PROBE_ORDER.index(until) < PROBE_ORDER.index(needed_at):
        finding = finding._replace(severity=Severity.INFO)
    return finding._replace(params=frozen_params({**finding.params, "check_tries": "§check_tries.check"}))


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
    from smtpdoctor.runner.pipeline import run_probes
    from smtpdoctor.secret import Redactor

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
            redactor=Redactor(s.username, s.password, (*(s.oauth2.secrets() if s.oauth2 else ()),
                                                        *_proxy_secret(options))),
            alt_ports=alt_ports,
            dns_server=options.dns_server,
            family=options.family,
            resolves=options.resolves,
            proxy=options.proxy,
            recipients=recipients,
            subject=options.subject,
            body=options.body,
            run_deadline=deadline,
            keeps_transcript=options.verbose,
        )

    # A trial never sends mail: it stops after the envelope.
    trial_names = tuple(n for n in names if n not in ("send", "delivery"))

    async def trial(s: Settings) -> tuple[list[ProbeResult], Session]:
        trial_session = session_for(s, ())
        probes = await run_probes(trial_session, trial_names, options.until)
        return probes, trial_session

    s = preflight.settings
    session = session_for(s, options.alt_ports)
    probes = await run_probes(session, names, options.until, on_step)
    if on_step:
        on_step("fixes")
    fixes: list[Fix] = []
    # A passing run has nothing to cure: the fix engine is not even imported.
    if any(p.status is Status.FAIL or p.warning for p in probes):
        from smtpdoctor.runner.fixes import follow_fixes

        probes, fixes = await follow_fixes(preflight, probes, session, trial)
    domain = sender_domain(s) if options.domain else None
    if domain:
        from smtpdoctor.probes.domain import DOMAIN_PROBES, run_domain_probes
        from smtpdoctor.probes.session import say, skipped

        if options.until:  # after the envelope: --until always stops before them
            probes = [*probes, *(skipped(n, say("skip.until", probe=options.until)) for n in DOMAIN_PROBES)]
        else:
            probes = [*probes, *await run_domain_probes(session, domain, options.dkim_selectors)]
    return Report(command, s, preflight.provider, said_once(findings, probes), tuple(probes),
                  transcript=tuple(session.transcript) if options.verbose else (), fixes=tuple(fixes),
                  domain=domain, lang=options.lang)


# A finding that said what was likely, and the probe failure that observed it on the wire: the
# report says it once, as observed ("port 465 speaks implicit TLS", not "usually speaks").
SUPERSEDED = {"config.mode_port_mismatch": frozenset({"tls.wrong_mode"})}


def said_once(findings: Sequence[Finding], probes: Sequence[ProbeResult]) -> tuple[Finding, ...]:
    failed = {p.error.reason for p in probes if p.error is not None}
    return tuple(f for f in findings if not SUPERSEDED.get(f.reason, frozenset()) & failed)


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


def bad_domain(domain: str, findings: list[Finding]) -> bool:
    """A sending domain no lookup can be made for (the sender's ``a@x..y``): a config error."""
    from smtpdoctor.config.names import name_problem

    problem = name_problem(domain)
    if problem:
        findings.append(Finding(Severity.ERROR, "config.bad_domain",
                                frozen_params({"domain": domain, "detail": problem})))
    return problem is not None
