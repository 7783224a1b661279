"""The versioned JSON document (DESIGN.md), built from a Report and nothing else."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from smtpdoctor.config.values import AppCode, OAuth2
from smtpdoctor.model import (
    Checked,
    ExitCode,
    Finding,
    ProbeError,
    ProbeResult,
    Report,
    Severity,
    fleet_counts,
    worst,
)
from smtpdoctor.providers import Provider
from smtpdoctor.views.words import Text, client_why, code_source, fix_text, origin_text, render, summary_in

SCHEMA = 2  # 2: typed details (README: Schema versions)

CREDENTIALS = frozenset({
    "auth.bad_credentials", "auth.authorization_code_required", "auth.app_password_required",
    "auth.client_password_required", "auth.smtp_service_disabled"})
SENDER = frozenset({"envelope.sender_not_login", "envelope.sender_rejected",
                    "envelope.sender_unverified", "message.send_as_denied"})
# The probe failures each setting can cause, for findings about a variable.
BY_SETTING = {
    "password": CREDENTIALS, "username": CREDENTIALS, "sender": SENDER,
    "host": frozenset({"dns.nxdomain", "dns.no_address", "dns.error", "tcp.refused", "tcp.timeout",
                       "tcp.unreachable", "tls.cert_name_mismatch"}),
    "port": frozenset({"tcp.refused", "tcp.timeout", "tcp.unreachable", "tls.wrong_mode",
                       "smtp.greeting_timeout", "auth.not_offered"}),
}
VALUE_FINDINGS = frozenset({"config.env_overrides_dotenv", "config.value_quoted",
                            "config.value_whitespace", "config.value_control_char",
                            "config.dotenv_bom"})
# Findings that explain failures whatever variable they name. Those whose own
# remedy only points at `check` lend their message, not their remedy.
EXPLAINS = {
    "config.oauth2_client_cannot": frozenset({"auth.basic_auth_disabled", "auth.bad_credentials"}),
    "config.oauth2_token_expired": frozenset({"auth.oauth2_rejected"}),
    "config.oauth2_token_expiring": frozenset({"auth.oauth2_rejected"}),
    "config.oauth2_token_scope": frozenset({"auth.oauth2_rejected"}),
    "config.app_password_spaces": CREDENTIALS,
    "config.password_not_authorization_code": CREDENTIALS,
    "config.password_not_app_password": CREDENTIALS,
    "config.password_not_api_key": CREDENTIALS,
    "config.host_user_mismatch": CREDENTIALS,
    "config.sender_not_login": SENDER,
    "config.tls_flags_missing": frozenset({"auth.not_offered", "auth.tls_required",
                                           "tls.not_encrypted"}),
    "config.mode_port_mismatch": frozenset({"tls.wrong_mode"}),
    "config.flag_not_read": frozenset({"tls.wrong_mode"}),
    "config.port_25_blocked": frozenset({"tcp.timeout"}),
}
MESSAGE_ONLY = frozenset({"config.tls_flags_missing", "config.mode_port_mismatch",
                          "config.port_25_blocked"})


def _oauth2_view(oauth2: OAuth2) -> dict[str, Any]:
    """What is set, never a value: the token forms are secrets like the password."""
    return {
        "flow": "refresh_token" if oauth2.refresh_flow else "access_token",
        "token_url": oauth2.token_url,
        "client_id": oauth2.client_id,
        "variables": dict(oauth2.variables),
    }


def settings_view(report: Report, lang: str) -> dict[str, Any] | None:
    s = report.settings
    if s is None:
        return None
    return {
        "host": s.host,
        "port": s.port,
        "security": s.security,
        "username": s.username,
        "password": {"set": s.password is not None, "length": len(s.password) if s.password else 0},
        "sender": s.sender,
        "family": s.family,
        "client": {"id": s.client.id, "source": s.client.source, "why": client_why(s.client, lang)}
        if s.client else None,
        "sources": {k: origin_text(v) for k, v in sorted(s.origins.items())},
        "dotenv": s.dotenv_file,
        "login": s.login,
        "oauth2": _oauth2_view(s.oauth2) if s.oauth2 else None,
        "code": _code_view(s.app_code) if s.app_code else None,
    }


def _code_view(code: AppCode) -> dict[str, Any]:
    """What the app's own code says: each setting's reading, what it never reads, what was not
    followed, and the bound it was read within."""
    return {
        "files": list(code.files),
        "readings": {key: {"variables": list(r.variables), "file": r.file, "line": r.line,
                           "source": code_source(r)} for key, r in sorted(code.readings.items())},
        "ignored": dict(code.ignored),
        "not_understood": [{"file": n.file, "line": n.line, "key": n.key} for n in code.notes],
        "not_read": list(code.skipped),
        "files_scanned": code.scanned,
        "bytes_read": code.bytes_read,
    }


def finding_view(report: Report, finding: Finding, lang: str) -> dict[str, Any]:
    text = render(finding.reason, finding.params, report.settings, report.provider, lang)
    return {
        "severity": finding.severity.value,
        "reason": finding.reason,
        "message": text.message,
        "remedy": text.remedy,
    }


def explaining(report: Report, reason: str) -> list[Finding]:
    """The findings that explain a probe failing with ``reason``: what the
    settings already showed comes first in the fix."""
    s = report.settings
    out = []
    for f in report.findings:
        if f.severity is Severity.ERROR:
            continue
        causes = EXPLAINS.get(f.reason, frozenset())
        if f.reason in VALUE_FINDINGS and s is not None:
            variable = f.params.get("variable")
            setting = next((k for k, o in s.origins.items() if o.variable == variable), None)
            causes = BY_SETTING.get(setting or "", frozenset())
        if reason in causes:
            out.append(f)
    return out


def probe_text(report: Report, probe: ProbeResult, lang: str) -> Text:
    """The probe's message and remedy, the remedy led by the findings that explain it."""
    reason = probe.error.reason if probe.error else probe.warning or ""
    provider = remedy_provider(report, probe.error) if probe.error else report.provider
    params = {**probe.params, **(probe.error.params if probe.error else {})}
    if probe.fix is not None:
        params["fix"] = fix_text(probe.fix, report.settings.client if report.settings else None, lang)
    receiver = replying_provider(probe.error) if probe.error else None
    text = render(reason, params, report.settings, provider, lang, receiver=receiver)
    leads = []
    for f in explaining(report, reason):
        found = render(f.reason, f.params, report.settings, report.provider, lang)
        leads.append(found.message if f.reason in MESSAGE_ONLY else f"{found.message} {found.remedy}")
    if leads:
        return Text(text.message, " ".join([*leads, text.remedy]))
    return text


def probe_view(report: Report, probe: ProbeResult, lang: str) -> dict[str, Any]:
    error = remedy = warning = None
    if probe.error is not None:
        e = probe.error
        text = probe_text(report, probe, lang)
        error = {
            "code": e.code.value,
            "reason": e.reason,
            "reply_code": e.reply_code,
            "enhanced_code": e.enhanced_code,
            "reply": e.reply,
            "message": text.message,
        }
        remedy = text.remedy
    elif probe.warning is not None:
        text = probe_text(report, probe, lang)
        warning = {"reason": probe.warning, "message": text.message}
        remedy = text.remedy
    view: dict[str, Any] = {
        "name": probe.name,
        "status": probe.status.value,
        "duration_ms": round(probe.duration_ms, 1),
        "summary": summary_in(probe, lang),
        "error": error,
        "remedy": remedy,
    }
    if warning is not None:
        view["warning"] = warning
    if probe.details:
        view["details"] = {k: list(v) if isinstance(v, tuple) else v for k, v in probe.details.items()}
    return view


def remedy_provider(report: Report, error: ProbeError) -> Provider | None:
    """The settings' provider, else the one whose reply text the server sent."""
    return report.provider or replying_provider(error)


def replying_provider(error: ProbeError) -> Provider | None:
    """The provider whose reply text or code the server sent (Gmail's 5.7.26), if any."""
    if not error.provider:
        return None
    from smtpdoctor.providers import load_providers

    return load_providers().get(error.provider)


def document(report: Report, lang: str) -> dict[str, Any]:
    provider = report.provider
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "ok": report.ok,
        "exit_code": int(report.exit_code),
        "command": report.command,
        "provider": {"id": provider.id, "name": provider.display_name(lang)} if provider else None,
        "settings": settings_view(report, lang),
        "findings": [finding_view(report, f, lang) for f in report.findings],
        "probes": [probe_view(report, p, lang) for p in report.probes],
    }
    if report.probes:
        doc["fixes"] = [{"changes": dict(f.changes), "verified": True, "reason": f.reason,
                         "alternatives": [dict(a) for a in f.alternatives],
                         "probes": [probe_view(report, p, lang) for p in f.probes]}
                        for f in report.fixes]
    if report.domain:
        doc["domain"] = report.domain
    if report.written:
        doc["written"] = dict(report.written)
    if report.transcript:
        doc["transcript"] = list(report.transcript)
    if report.attempts > 1:
        doc["attempts"] = report.attempts
    return doc


def usage_document(command: str | None, message: str, lang: str) -> dict[str, Any]:
    """The document for a command line that could not be used: exit code 2."""
    text = render("config.usage", {"detail": message.rstrip(".")}, None, None, lang)
    return {"schema": SCHEMA, "ok": False, "exit_code": 2, "command": command, "provider": None,
            "settings": None,
            "findings": [{"severity": "error", "reason": "config.usage", "message": text.message,
                          "remedy": text.remedy}],
            "probes": []}


def fleet_document(command: str, checked: Sequence[Checked], lang: str) -> dict[str, Any]:
    """One JSON document: ``accounts`` (a check document per row, with ``account``) and ``summary``."""
    return {**fleet_head(command, checked), "accounts": list(account_documents(checked, lang))}


def fleet_head(command: str, checked: Sequence[Checked]) -> dict[str, Any]:
    """The fleet document but its ``accounts`` (its last key)."""
    code = worst(checked)
    return {"schema": SCHEMA, "ok": code is ExitCode.OK, "exit_code": int(code), "command": command,
            "summary": fleet_counts(checked)}


def account_documents(checked: Sequence[Checked], lang: str) -> Iterator[dict[str, Any]]:
    """Each row's document, made when it is asked for."""
    for c in checked:
        yield {"account": dict(c.account), **document(c.report, lang)}
