"""Results are values: what a command found, independent of how it is shown."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smtpdoctor.providers import Provider
    from smtpdoctor.settings import Settings


class ExitCode(IntEnum):
    """Process exit statuses; the first three are a contract (DESIGN.md)."""

    OK = 0
    PROBE_FAILED = 1
    CONFIG_ERROR = 2
    INTERNAL_ERROR = 3  # a bug in smtpdoctor, never a verdict on the settings


class Status(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class ErrorCode(StrEnum):
    """Error families, named after nodemailer's so Node users recognise them."""

    ECONFIG = "ECONFIG"
    EDNS = "EDNS"
    ETIMEDOUT = "ETIMEDOUT"
    ECONNECTION = "ECONNECTION"
    ETLS = "ETLS"
    EPROTOCOL = "EPROTOCOL"
    EAUTH = "EAUTH"
    EENVELOPE = "EENVELOPE"
    EMESSAGE = "EMESSAGE"


PROBE_ORDER = ("dns", "tcp", "tls", "smtp", "auth", "envelope")
SEND_PROBE_ORDER = (*PROBE_ORDER, "send")

_EMPTY: Mapping[str, str] = MappingProxyType({})


def frozen_params(params: Mapping[str, object] | None) -> Mapping[str, str]:
    """Template parameters as an immutable str→str mapping."""
    if not params:
        return _EMPTY
    return MappingProxyType({k: str(v) for k, v in params.items() if v is not None})


@dataclass(frozen=True)
class Finding:
    """Something the settings say before any network is touched.

    ``params`` fill the message and remedy templates of ``reason``
    (see ``reasons.toml``); the text is made when the report is shown,
    in the user's language.
    """

    severity: Severity
    reason: str
    params: Mapping[str, str] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True)
class ProbeError:
    code: ErrorCode
    reason: str
    reply_code: int | None = None
    enhanced_code: str | None = None
    reply: str | None = None
    params: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    # The provider whose reply text this is, when the settings did not name it:
    # its remedy applies (an Exmail account on its own domain, say).
    provider: str | None = None


@dataclass(frozen=True)
class ProbeResult:
    name: str
    status: Status
    duration_ms: float = 0.0
    summary: str = ""
    error: ProbeError | None = None
    # A pass can still carry a warning reason (a certificate about to expire,
    # no TLS at all) whose remedy is shown.
    warning: str | None = None
    params: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    details: Mapping[str, str] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True)
class Fix:
    """A change verified on the wire in this run, and the pipeline re-run
    with it and every earlier fix applied."""

    changes: Mapping[str, str]
    reason: str
    probes: tuple[ProbeResult, ...]
    alternatives: tuple[Mapping[str, str], ...] = ()


@dataclass(frozen=True)
class Report:
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
    written: Mapping[str, object] = field(default_factory=lambda: _EMPTY)

    @property
    def exit_code(self) -> ExitCode:
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
