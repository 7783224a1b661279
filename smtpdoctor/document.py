"""The versioned JSON document (DESIGN.md), built from a Report and nothing else."""

from __future__ import annotations

from typing import Any

from smtpdoctor.model import Finding, ProbeError, ProbeResult, Report
from smtpdoctor.providers import Provider
from smtpdoctor.remedies import render

SCHEMA = 1


def settings_view(report: Report) -> dict[str, Any] | None:
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
        "sources": {k: v.describe() for k, v in sorted(s.origins.items())},
    }


def finding_view(report: Report, finding: Finding, lang: str) -> dict[str, Any]:
    text = render(finding.reason, finding.params, report.settings, report.provider, lang)
    return {
        "severity": finding.severity.value,
        "reason": finding.reason,
        "message": text.message,
        "remedy": text.remedy,
    }


def probe_view(report: Report, probe: ProbeResult, lang: str) -> dict[str, Any]:
    error = remedy = warning = None
    if probe.error is not None:
        e = probe.error
        text = render(e.reason, {**probe.params, **e.params}, report.settings,
                      remedy_provider(report, e), lang)
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
        text = render(probe.warning, probe.params, report.settings, report.provider, lang)
        warning = {"reason": probe.warning, "message": text.message}
        remedy = text.remedy
    view: dict[str, Any] = {
        "name": probe.name,
        "status": probe.status.value,
        "duration_ms": round(probe.duration_ms, 1),
        "summary": probe.summary,
        "error": error,
        "remedy": remedy,
    }
    if warning is not None:
        view["warning"] = warning
    if probe.details:
        view["details"] = dict(probe.details)
    return view


def remedy_provider(report: Report, error: ProbeError) -> Provider | None:
    """The settings' provider, else the one whose reply text the server sent."""
    if report.provider is None and error.provider:
        from smtpdoctor.providers import load_providers

        return load_providers().get(error.provider)
    return report.provider


def document(report: Report, lang: str) -> dict[str, Any]:
    provider = report.provider
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "ok": report.ok,
        "exit_code": int(report.exit_code),
        "command": report.command,
        "provider": {"id": provider.id, "name": provider.display_name(lang)} if provider else None,
        "settings": settings_view(report),
        "findings": [finding_view(report, f, lang) for f in report.findings],
        "probes": [probe_view(report, p, lang) for p in report.probes],
    }
    if report.transcript:
        doc["transcript"] = list(report.transcript)
    if report.attempts > 1:
        doc["attempts"] = report.attempts
    return doc
