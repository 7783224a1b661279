"""Fixes verified on the wire, and the run under them.

A failure a setting can cure (the TLS mode, the port, the sender) gets a fix
only after smtpdoctor tried it in this run: the port answered in that mode,
and with credentials AUTH passed there (or the server judged the credentials
themselves, which no port or mode change cures). The trial goes through the
app's own variables and client, so the fix is what the app will really do.
Then the remaining probes run again under it, and what fails next is reported
too: one run, every problem.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from smtpdoctor.config.clients import changes as client_changes
from smtpdoctor.config.preflight import Preflight
from smtpdoctor.config.values import Settings
from smtpdoctor.model import Fix, ProbeResult, Status
from smtpdoctor.outcomes import FixSearch, FixTrial, Tried
from smtpdoctor.probes.session import Session
from smtpdoctor.wire.sniff import what_port_speaks

# Failures a different port or TLS mode can cure.
PORT_MODE_REASONS = frozenset({
    "tcp.timeout", "tcp.refused", "tcp.unreachable", "tls.wrong_mode", "tls.timeout",
    "tls.handshake_failed", "tls.starttls_not_offered", "smtp.greeting_timeout",
    "auth.not_offered", "auth.tls_required", "tls.not_encrypted", "tls.password_in_clear",
})
SENDER_REASONS = frozenset({"envelope.sender_not_login", "envelope.sender_rejected",
                            "message.send_as_denied"})
# The server took the login and refused the credentials: a port or mode
# change does not cure that, so a trial that gets this far is verified.
CREDENTIAL_REASONS = frozenset({
    "auth.bad_credentials", "auth.authorization_code_required", "auth.app_password_required",
    "auth.client_password_required", "auth.smtp_service_disabled", "auth.basic_auth_disabled",
    "auth.smtp_auth_disabled", "auth.too_many_failures", "auth.temporary",
})
# Trials after the first verified one, to find a second form of the fix.
MAX_TRIALS = 4
MAX_ROUNDS = 4
MIN_TIME_FOR_TRIALS = 0.5

Runner = Callable[[Settings], Awaitable[tuple[list[ProbeResult], Session]]]


@dataclass
class Trial:
    changes: dict[str, str]
    settings: Settings
    port: int = 0
    mode: str = ""
    probes: list[ProbeResult] = field(default_factory=list)
    session: Session | None = None
    login: str = ""  # "passed", "refused" or "" (no credentials)
    host: str = ""  # a host change: the mail domain's provider's submission host


@dataclass
class Search:
    verified: list[Trial] = field(default_factory=list)
    tried: list[Tried] = field(default_factory=list)


async def follow_fixes(preflight: Preflight, probes: list[ProbeResult], session: Session,
                       run: Runner) -> tuple[list[ProbeResult], list[Fix]]:
    """Annotate the failure in ``probes`` with a verified fix (or with what was
    tried), then re-run under it and do the same for what fails next."""
    settings, applied = preflight.settings, dict[str, str]()
    first: list[ProbeResult] | None = None
    fixes: list[Fix] = []
    current = probes
    for _ in range(MAX_ROUNDS):
        target = _target(current)
        if target is None:
            break
        left = session.run_left()
        if left is not None and left < MIN_TIME_FOR_TRIALS:
            break  # --max-time: the verdict now, no more trials
        search = await _search(preflight, settings, applied, current[target], session, run)
        current = list(current)
        current[target] = _annotated(current[target], search)
        if first is None:
            first = current
        else:
            fixes[-1] = fixes[-1]._replace(probes=tuple(current))
        if not search.verified:
            break
        best = search.verified[0]
        assert best.session is not None
        applied |= best.changes
        cured = current[target]
        fixes.append(Fix(best.changes, cured.error.reason if cured.error else cured.warning or "",
                         tuple(best.probes), tuple(t.changes for t in search.verified[1:])))
        settings, current, session = best.settings, best.probes, best.session
    return first if first is not None else probes, fixes


def _target(probes: list[ProbeResult]) -> int | None:
    """The failure a setting may cure, else a pass that sent the password in clear."""
    for i, p in enumerate(probes):
        if p.status is Status.FAIL:
            reason = p.error.reason if p.error else ""
            mail_domain = "mx_provider" in p.params  # the host is a mail domain (dns, tcp)
            return i if mail_domain or reason in PORT_MODE_REASONS | SENDER_REASONS else None
    return next((i for i, p in enumerate(probes) if p.warning == "tls.not_encrypted"), None)


async def _search(preflight: Preflight, s: Settings, applied: dict[str, str], failure: ProbeResult,
                  session: Session, run: Runner) -> Search:
    reason = failure.error.reason if failure.error else failure.warning or ""
    if "mx_provider" in failure.params:
        return await _host_search(preflight, s, applied, failure.params["suggestion"], run)
    if reason in SENDER_REASONS:
        return await _sender_search(preflight, s, applied, run)
    return await _port_mode_search(preflight, s, applied, reason, session, run)


async def _sender_search(preflight: Preflight, s: Settings, applied: dict[str, str],
                         run: Runner) -> Search:
    search = Search()
    if not s.username or "@" not in s.username or s.username == s.sender:
        return search
    changes = s.app_names({s.variable("sender"): s.username})
    trial = Trial(changes, preflight.with_changes(applied | changes))
    trial.probes, trial.session = await run(trial.settings)
    if _first_failure(trial.probes) not in SENDER_REASONS:
        search.verified.append(trial)
    else:
        search.tried.append(Tried("", "fix.sender_refused"))
    return search


async def _host_search(preflight: Preflight, s: Settings, applied: dict[str, str], host: str,
                       run: Runner) -> Search:
    """SMTP_HOST names a mail domain: try its MX provider's submission host, through the
    app's own variables, before saying to set it."""
    search = Search()
    changes = s.app_names({s.variable("host"): host})
    trial = Trial(changes, preflight.with_changes(applied | changes), host=host)
    trial.probes, trial.session = await run(trial.settings)
    verdict = _login_verdict(trial.probes, trial.settings)
    if verdict is None:
        search.tried.append(Tried(host, "fix.host_failed", {"reason": _first_failure(trial.probes) or "?"}))
    else:
        trial.login = verdict
        search.verified.append(trial)
    return search


async def _port_mode_search(preflight: Preflight, s: Settings, applied: dict[str, str], reason: str,
                            session: Session, run: Runner) -> Search:
    search = Search()
    provider = preflight.provider
    if reason in ("tcp.timeout", "tls.timeout", "smtp.greeting_timeout"):
        session.port_modes[s.port or 0] = None  # it already had its one limit
    ports = session.candidate_ports()
    spoken = await _what_ports_speak(session, ports)
    trials: list[Trial] = []
    for port in ports:
        mode = spoken.get(port)
        if mode is None:
            if port != s.port:  # the configured port's failure is the report itself
                search.tried.append(Tried(str(port), "fix.no_answer"))
            continue
        same = (port, mode) == (s.port, s.security)
        if same and reason != "tls.not_encrypted":
            continue  # what just failed
        if mode == "plain" and s.password:
            search.tried.append(Tried(str(port), "fix.plain_only"))
            continue
        changes = client_changes(s, port, mode)
        trial_settings = preflight.with_changes(applied | changes) if changes else None
        if trial_settings is None or (trial_settings.port, trial_settings.security) != (port, mode):
            search.tried.append(Tried(str(port), "fix.client_cannot", {"mode": f"§mode.{mode}"}))
            continue
        assert changes is not None
        trials.append(Trial(changes, trial_settings, port, mode))
    documented = set(provider.ports) if provider else {465, 587}
    trials.sort(key=lambda t: (len(t.changes), t.port not in documented,
                               provider is not None and t.port != provider.default_port,
                               t.mode != "ssl", t.port))
    for trial in trials[:MAX_TRIALS]:
        left = session.run_left()
        if left is not None and left < MIN_TIME_FOR_TRIALS:
            break
        trial.probes, trial.session = await run(trial.settings)
        verdict = _login_verdict(trial.probes, trial.settings)
        if verdict is None:
            search.tried.append(Tried(str(trial.port), "fix.failed_there",
                                      {"mode": f"§mode.{trial.mode}",
                                        "reason": _first_failure(trial.probes) or "?"}))
            continue
        trial.login = verdict
        search.verified.append(trial)
        # A refused login is not tried again elsewhere: providers lock accounts out.
        if verdict == "refused" or len(search.verified) == 2:
            break
    return search


async def _what_ports_speak(session: Session, ports: list[int]) -> dict[int, str | None]:
    known = dict(session.port_modes)
    started = {p: session.sniffs[p] for p in ports if p in session.sniffs and p not in known}
    if started:
        # Asked while the configured port's greeting was late: their limit has mostly run.
        await asyncio.wait(started.values())
        known |= {p: (task.result() if not task.cancelled() and task.exception() is None else None)
                  for p, task in started.items()}
    address = session.address or (session.addresses[0] if session.addresses else "")
    host = session.settings.host or address
    unknown = [p for p in ports if p not in known]
    if address and unknown:
        left = session.run_left()
        limit = session.timeout if left is None else max(0.01, min(session.timeout, left))
        answers = await asyncio.gather(*(what_port_speaks(address, p, host, session.context, limit)
                                         for p in unknown))
        known |= dict(zip(unknown, answers, strict=True))
    return known


def _first_failure(probes: list[ProbeResult]) -> str | None:
    failed = next((p for p in probes if p.status is Status.FAIL), None)
    return failed.error.reason if failed and failed.error else None


def _login_verdict(probes: list[ProbeResult], s: Settings) -> str | None:
    """``passed``/``refused``/``""`` when the trial's port and mode work for
    the login; None when the trial failed before the server judged it."""
    by_name = {p.name: p for p in probes}
    # dns too: a trial of another host can fail where a trial of another port cannot.
    for name in ("dns", "tcp", "tls", "smtp"):
        p = by_name.get(name)
        if p is None or p.status is Status.FAIL or p.warning == "tls.not_encrypted":
            return None
    auth = by_name.get("auth")
    if auth is None or auth.status is Status.SKIP:
        return ""
    if auth.status is Status.FAIL:
        reason = auth.error.reason if auth.error else ""
        return "refused" if reason in CREDENTIAL_REASONS else None
    return "passed" if s.password else ""


def _annotated(probe: ProbeResult, search: Search) -> ProbeResult:
    """The probe with what the search verified or tried; the views make the words."""
    params = dict(probe.params)
    if search.verified:
        params["fix_verified"] = "yes"
    verified = tuple(FixTrial(t.changes, t.port, t.mode, t.host, t.login) for t in search.verified)
    return probe._replace(params=params, fix=FixSearch(verified, tuple(search.tried)))
