"""Results are values: what a command found, independent of how it is shown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from smtpdoctor.basics import EMPTY, MAX_OUTSIDE_TEXT, ErrorCode, printable
from smtpdoctor.codes import PROBE_ORDER, SEND_PROBE_ORDER, ExitCode

__all__ = ["MAX_OUTSIDE_TEXT", "PROBE_ORDER", "SEND_PROBE_ORDER", "ErrorCode", "ExitCode", "printable"]

if TYPE_CHECKING:
    from smtpdoctor.config.values import Settings
    from smtpdoctor.outcomes import FixSearch
    from smtpdoctor.providers import Provider

# What only a failure's fix search or a retry makes lives in ``outcomes``: a passing check (and
# config, explain, providers) never defines it. Still importable from here, as before.
_OUTCOMES = frozenset({"FixSearch", "FixTrial", "Retry", "Tried"})


def __getattr__(name: str) -> Any:
    if name in _OUTCOMES:
        import smtpdoctor.outcomes as outcomes

        return getattr(outcomes, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Status(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


_EMPTY = EMPTY
# The reason of a probe that raised: a bug in smtpdoctor (exit code 3).
CRASH_REASON = "internal.crash"
Detail = str | int | float | bool | tuple[str, ...]


def seconds_text(value: float) -> str:
    """A time limit as people write it: at most one decimal (2.95104 → 3, 2.5 → 2.5)."""
    return f"{round(value, 1):g}"


def frozen_details(details: Mapping[str, object] | None) -> Mapping[str, Detail]:
    """A probe's details as JSON will show them: numbers and booleans as they are, lists as
    tuples of text, everything else as printable text."""
    if not details:
        return _EMPTY
    out: dict[str, Detail] = {}
    for key, value in details.items():
        if value is None:
            continue
        if isinstance(value, bool | int | float):
            out[key] = value
        elif isinstance(value, list | tuple | set | frozenset):
            out[key] = tuple(printable(str(v)) for v in value)
        else:
            out[key] = printable(str(value))
    return MappingProxyType(out)


def frozen_params(params: Mapping[str, object] | None) -> Mapping[str, str]:
    """Template parameters as an immutable str→str mapping, each one printable."""
    if not params:
        return _EMPTY
    return MappingProxyType({k: printable(str(v)) for k, v in params.items() if v is not None})


class Finding(NamedTuple):
    """Something the settings say before any network is touched.

    ``params`` fill the message and remedy templates of ``reason``
    (see ``reasons.toml``); the text is made when the report is shown,
    in the user's language.
    """

    severity: Severity
    reason: str
    params: Mapping[str, str] = _EMPTY


class ProbeError(NamedTuple):
    code: ErrorCode
    reason: str
    reply_code: int | None = None
    enhanced_code: str | None = None
    reply: str | None = None
    params: Mapping[str, str] = _EMPTY
    # The provider whose reply text this is, when the settings did not name it:
    # its remedy applies (an Exmail account on its own domain, say).
    provider: str | None = None


class ProbeResult(NamedTuple):
    name: str
    status: Status
    duration_ms: float = 0.0
    error: ProbeError | None = None
    # A pass can still carry a warning reason (a certificate about to expire,
    # no TLS at all) whose remedy is shown.
    warning: str | None = None
    params: Mapping[str, str] = _EMPTY
    details: Mapping[str, Detail] = _EMPTY  # typed: see frozen_details
    # The one-line summary: a "said.*" phrase (phrases.toml) and what fills it.
    summary_key: str = ""
    summary_params: Mapping[str, str] = _EMPTY
    # The fix engine's search for this failure (or for a pass that sent the password in clear).
    fix: FixSearch | None = None


class Fix(NamedTuple):
    """A change verified on the wire in this run, and the pipeline re-run
    with it and every earlier fix applied."""

    changes: Mapping[str, str]
    reason: str
    probes: tuple[ProbeResult, ...]
    alternatives: tuple[Mapping[str, str], ...] = ()


class Report(NamedTuple):
    command: str
    settings: Settings | None
    provider: Provider | None
    findings: tuple[Finding, ...] = ()
    probes: tuple[ProbeResult, ...] = ()
    transcript: tuple[str, ...] = ()
    attempts: int = 1
    # Verified fixes and what failed next under them; the exit code stays the
    # settings' own.
    fixes: tuple[Fix, ...] = ()
    # What `check --fix` wrote: file, backup, changes, diff.
    written: Mapping[str, object] = _EMPTY
    # The sending domain the mx/spf/dkim/dmarc probes looked at (`domain`, `check --domain`).
    domain: str | None = None
    # The language the run was asked in: to_dict() speaks it unless told otherwise.
    lang: str = "en"

    @property
    def exit_code(self) -> ExitCode:
        # A crash is smtpdoctor's own bug, never a verdict on the settings: it outranks them all.
        if any(p.error is not None and p.error.reason == CRASH_REASON for p in self.probes):
            return ExitCode.INTERNAL_ERROR
        if any(f.severity is Severity.ERROR for f in self.findings):
            return ExitCode.CONFIG_ERROR
        if any(p.status is Status.FAIL for p in self.probes):
            return ExitCode.PROBE_FAILED
        return ExitCode.OK

    @property
    def ok(self) -> bool:
        return self.exit_code is ExitCode.OK

    @property
    def failed_probe(self) -> ProbeResult | None:
        return next((p for p in self.probes if p.status is Status.FAIL), None)

    @property
    def warned(self) -> bool:
        """A warning in the settings or a probe: a pass to read, not a plain pass."""
        return (any(f.severity is Severity.WARNING for f in self.findings)
                or any(p.warning is not None for p in self.probes))

    @property
    def failure(self) -> ProbeResult | None:
        """The first failing probe, or None (the Python API's name)."""
        return self.failed_probe

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        """The JSON document `--json` prints (DESIGN.md), as a dict, in the run's language
        unless ``lang`` says another."""
        from smtpdoctor.views.document import document

        return document(self, lang or self.lang)


class Checked(NamedTuple):
    """One account of an ``--accounts`` run: its label, its row as the JSON shows it (never a
    secret), and its report."""

    label: str
    account: Mapping[str, object]
    report: Report


def worst(checked: Sequence[Checked]) -> ExitCode:
    """The exit code of a fleet run: the worst row's (3 > 2 > 1 > 0)."""
    return max((c.report.exit_code for c in checked), default=ExitCode.OK)


def fleet_counts(checked: Sequence[Checked]) -> dict[str, int]:
    codes = [c.report.exit_code for c in checked]
    return {"total": len(codes), "passed": codes.count(ExitCode.OK),
            "failed": codes.count(ExitCode.PROBE_FAILED), "config_errors": codes.count(ExitCode.CONFIG_ERROR),
            "internal_errors": codes.count(ExitCode.INTERNAL_ERROR)}
