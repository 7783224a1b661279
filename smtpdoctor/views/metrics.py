"""``--metrics-file``: a run as Prometheus text-format metrics, for the node exporter's textfile
collector, written so that a scrape never reads half a file.

Every series carries ``command``, ``host`` and ``port`` (``""`` when the settings have none), and
``account`` in an ``--accounts`` run; never a username, a sender or anything secret. A probe's
status is a state set: one series per status, 1 for the one it had and 0 for the other three, so
``smtpdoctor_probe_status{status="fail"} == 1`` is an alert and no series vanishes between runs."""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from smtpdoctor.catalog import catalog
from smtpdoctor.model import Checked, ExitCode, Report, Severity, Status

PREFIX = "smtpdoctor_"
# Each family's HELP, in the order written; all are gauges. Fixed English, never the run's --lang:
# the collector merges every file of its folder, and of a metric whose HELP differs between two files
# it keeps only the first file's series (older node exporters fail the scrape instead).
FAMILIES: Mapping[str, str] = {
    "check_success": "1 when the run passed (every probe passed or warned), else 0.",
    "exit_code": ("The run's exit code: 0 passed, 1 a probe failed, 2 usage or configuration error, "
                  "3 internal error."),
    "probe_status": "1 for the status the probe had (pass, warn, fail or skip), 0 for the other three.",
    "probe_duration_seconds": "How long the probe took (a skipped probe has no series).",
    "failure_info": ("Why the run failed: the probe (settings for a configuration error), its error code "
                     "and reason; no series when the run passed."),
    "certificate_days_left": "Days until the server's TLS certificate expires, as the tls probe read it.",
    "delivery_latency_seconds": ("Seconds from sending the test message to finding it in the mailbox "
                                 "(send-test --confirm)."),
    "last_run_timestamp_seconds": "When the run ended, in seconds since the Unix epoch.",
}
STATUSES = tuple(Status)
# Numbers in a probe's details that get a series of their own: (probe, detail, family, divisor).
DETAILS = (("tls", "days_left", "certificate_days_left", 1),
           ("delivery", "latency_ms", "delivery_latency_seconds", 1000))
MODE = 0o644  # the collector runs as its own user: it must read the file

Labels = tuple[tuple[str, str], ...]
Sample = tuple[str, Labels, float]


def write_run_metrics(path: str, result: Report | Sequence[Checked], command: str,
                      now: float | None = None) -> None:
    """Write one run's metrics (an ``--accounts`` run's when ``result`` is its rows) to ``path``."""
    text = report_metrics(result, now) if isinstance(result, Report) else fleet_metrics(command, result, now)
    write_metrics(path, text)


def report_metrics(report: Report, now: float | None = None) -> str:
    """One run's metrics as the text the collector reads."""
    return render(samples(report, base_labels(report), time.time() if now is None else now))


def fleet_metrics(command: str, checked: Sequence[Checked], now: float | None = None) -> str:
    """An ``--accounts`` run: every account's series, told apart by ``account``."""
    when = time.time() if now is None else now
    return render(sample for row in checked
                  for sample in samples(row.report, base_labels(row.report, command, row.label), when))


def base_labels(report: Report, command: str | None = None, account: str | None = None) -> Labels:
    settings = report.settings
    host = settings.host if settings is not None and settings.host else ""
    port = str(settings.port) if settings is not None and settings.port is not None else ""
    return (("command", command or report.command), *((("account", account),) if account is not None else ()),
            ("host", host), ("port", port))


def samples(report: Report, base: Labels, now: float) -> Iterator[Sample]:
    code = report.exit_code
    yield "check_success", base, float(report.ok)
    yield "exit_code", base, float(code)
    for probe in report.probes:
        named = (*base, ("probe", probe.name))
        for status in STATUSES:
            yield "probe_status", (*named, ("status", status.value)), float(probe.status is status)
        if probe.status is not Status.SKIP:
            yield "probe_duration_seconds", named, round(probe.duration_ms / 1000, 6)
    yield from failure(report, base, code)
    for probe in report.probes:
        for probe_name, key, family, divisor in DETAILS:
            value = _number(probe.details.get(key)) if probe.name == probe_name else None
            if value is not None:
                yield family, base, value / divisor
    yield "last_run_timestamp_seconds", base, round(now, 3)


def failure(report: Report, base: Labels, code: ExitCode) -> Iterator[Sample]:
    """The failure the exit code stands for: a configuration error's finding, else the failing probe."""
    if code is ExitCode.CONFIG_ERROR:
        finding = next((f for f in report.findings if f.severity is Severity.ERROR), None)
        if finding is not None:
            kind = str(catalog().get(finding.reason, {}).get("code", "ECONFIG"))
            labels = (*base, ("probe", "settings"), ("code", kind), ("reason", finding.reason))
            yield "failure_info", labels, 1.0
        return
    failed = report.failed_probe
    if failed is not None and failed.error is not None:
        yield "failure_info", (*base, ("probe", failed.name), ("code", failed.error.code.value),
                               ("reason", failed.error.reason)), 1.0


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def render(all_samples: Iterator[Sample] | Sequence[Sample]) -> str:
    """The exposition format: each family once, its HELP and TYPE, then its samples."""
    grouped: dict[str, list[Sample]] = {name: [] for name in FAMILIES}
    for sample in all_samples:
        grouped[sample[0]].append(sample)
    lines = []
    for name, found in grouped.items():
        if not found:
            continue
        lines += [f"# HELP {PREFIX}{name} {_help_text(FAMILIES[name])}", f"# TYPE {PREFIX}{name} gauge"]
        lines += [f"{PREFIX}{name}{{{_labels(labels)}}} {_value(value)}" for _, labels, value in found]
    return "".join(f"{line}\n" for line in lines)


def _labels(labels: Labels) -> str:
    return ",".join(f'{name}="{escape_label(value)}"' for name, value in labels)


def escape_label(value: str) -> str:
    """A label value as the text format writes it: backslash, double quote and line feed escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _help_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def write_metrics(path: str, text: str) -> None:
    """Replace ``path`` whole: a temporary file beside it (a name the collector skips, which reads
    only ``*.prom``) is written, synced and renamed over it; on any failure it is removed."""
    target = Path(path)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, MODE)  # mkstemp makes it 0600
        os.replace(temporary, target)
    except BaseException:  # SIGTERM mid-write included: never leave the temporary file behind
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    """The rename itself survives a power cut once the folder is synced (POSIX only)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
