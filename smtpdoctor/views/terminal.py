"""Human output. The only module that writes to the terminal; it reads values."""

from __future__ import annotations

from collections.abc import Sequence

from smtpdoctor.catalog import code_for, phrase
from smtpdoctor.model import (
    Checked,
    ExitCode,
    Finding,
    ProbeResult,
    Report,
    Severity,
    Status,
    fleet_counts,
    worst,
)
from smtpdoctor.views.console import cells
from smtpdoctor.views.document import probe_text
from smtpdoctor.views.lines import Line, Out
from smtpdoctor.views.words import (
    MODE_NAMES,
    changes_text,
    client_name,
    client_source,
    client_why,
    code_source,
    origin_text,
    render,
    summary_in,
)

STATUS_MARK = {
    Status.PASS: ("✓", "green"),
    Status.WARN: ("!", "yellow"),
    Status.FAIL: ("✗", "bold red"),
    Status.SKIP: ("-", "dim"),
}
SEVERITY_MARK = {
    Severity.ERROR: ("✗", "bold red"),
    Severity.WARNING: ("!", "yellow"),
    Severity.INFO: ("i", "cyan"),
}
def _headline(report: Report, lang: str) -> Line:
    s = report.settings
    line = Line(f"smtpdoctor {report.command}", style="bold")
    if report.command == "domain":
        # The domain, and the provider whose servers send for it: not a connection's settings.
        if report.domain:
            line.append(f"  {report.domain}")
        if report.provider:
            line.append(f" · {phrase('word.sent_by', lang, provider=report.provider.display_name(lang))}",
                        style="cyan")
        return line
    if s and s.host:
        mode = MODE_NAMES[lang].get(s.security or "", "")
        line.append(f"  {s.host}:{s.port or '?'}")
        if mode:
            line.append(f" · {mode}")
        if s.username:
            line.append(f" · {phrase('word.sending_as', lang, username=s.username)}")
    if report.provider:
        line.append(f" · {report.provider.display_name(lang)}", style="cyan")
    if s and s.family:
        line.append(f" · {s.family}", style="dim")
    if s and s.client:
        # Its own line: a long one, and a wrap must not leave a dangling "·" behind.
        client = phrase("word.client", lang, client=client_name(s.client, lang),
                        why=client_why(s.client, lang))
        line.append(f"\n{client}", style="dim")
    if s and (s.dotenv_file or s.looked_in):
        read = (phrase("word.read_dotenv", lang, file=s.dotenv_file) if s.dotenv_file
                else phrase("word.read_environment", lang, folder=s.looked_in))
        line.append(f"\n{read}", style="dim")
    return line


def _finding_lines(report: Report, findings: Sequence[Finding], lang: str) -> list[Line]:
    """Each finding and its remedy; a remedy already said for an earlier finding is not said
    again (two findings with one cure: "turn TLS on")."""
    lines = []
    said: set[str] = set()
    for f in findings:
        mark, style = SEVERITY_MARK[f.severity]
        text = render(f.reason, f.params, report.settings, report.provider, lang)
        line = Line(f"  {mark} ", style=style)
        line.append(text.message)
        line.append(f"  [{f.reason}]", style="dim")
        lines.append(line)
        if text.remedy in said:
            continue
        said.add(text.remedy)
        if f.severity is not Severity.INFO or text.remedy:
            lines.append(Line(f"      → {text.remedy}", style="bold" if f.severity is Severity.ERROR else ""))
    return lines


def _probe_lines(report: Report, probe: ProbeResult, lang: str) -> list[Line]:
    mark, style = STATUS_MARK[probe.status]
    ms = f"{probe.duration_ms:6.0f} ms" if probe.status is not Status.SKIP else " " * 9
    line = Line(f"  {mark} ", style=style)
    line.append(f"{probe.name:<9}", style=style)
    line.append(f"{ms}  ", style="dim")
    line.append(summary_in(probe, lang))
    lines = [line]
    if probe.error is not None:
        e = probe.error
        text = probe_text(report, probe, lang)
        lines.append(Line(f"      {e.code.value} {e.reason}: {text.message}", style="red"))
        if e.reply:
            lines.append(Line(f"      {phrase('line.reply', lang, text=e.reply)}", style="dim"))
        lines.append(Line(f"      → {phrase('line.fix', lang, text=text.remedy)}", style="bold"))
    elif probe.warning is not None:
        text = probe_text(report, probe, lang)
        lines.append(Line(f"      {text.message}", style="yellow"))
        lines.append(Line(f"      → {text.remedy}"))
    return lines


def _warning_lines(report: Report, lang: str, *, probes: bool = True) -> list[Line]:
    """A report's warnings, settings and probes alike, with their remedies (``probes=False``:
    the settings' only, beside a failure already shown)."""
    warnings = [f for f in report.findings if f.severity is Severity.WARNING]
    lines = _finding_lines(report, warnings, lang)
    for probe in report.probes if probes else ():
        if probe.warning is not None:
            text = probe_text(report, probe, lang)
            lines.append(Line(f"  ! {probe.name}: {text.message}", style="yellow"))
            lines.append(Line(f"      → {text.remedy}"))
    return lines


def _fix_lines(report: Report, lang: str) -> list[Line]:
    """Under each verified fix, what happens next: the next failure, or a pass."""

    lines = []
    for fix in report.fixes:
        lines.append(Line(phrase("fix.then", lang, changes=changes_text(fix.changes)), style="bold"))
        failed = next((p for p in fix.probes if p.status is Status.FAIL), None)
        if failed is not None:
            lines += _probe_lines(report, failed, lang)
        else:
            lines.append(Line(f"  ✓ {phrase('fix.then_all_passed', lang)}", style="green"))
    return lines


def verdict(report: Report, lang: str) -> Line:
    code = report.exit_code
    if code is ExitCode.OK:
        return Line(f"✓ {phrase('verdict.ok', lang)}", style="bold green")
    failed = report.failed_probe
    if code is ExitCode.CONFIG_ERROR:
        if not any(p.status is not Status.SKIP for p in report.probes):
            return Line(f"✗ {phrase('verdict.config_error', lang)}", style="bold red")
        # The probes ran (check --fix could not write after them): say what they found.
        error = failed.error if failed else None
        checks = (phrase("verdict.checks_failed", lang, probe=failed.name, code=error.code.value,
                         reason=error.reason) if failed and error else phrase("verdict.checks_passed", lang))
        return Line(f"✗ {phrase('verdict.config_error_after_probes', lang, checks=checks)}", style="bold red")
    error = failed.error if failed else None
    said = phrase("verdict.failed", lang, probe=failed.name if failed else "?", exit=int(code),
                  code=error.code.value if error else "?", reason=error.reason if error else "?")
    return Line(f"✗ {said}", style="bold red")


def print_report(report: Report, out: Out, lang: str, *, quiet: bool = False,
                 verbose: bool = False) -> None:
    """The report of ``check``/``send-test``/``config``. ``quiet``: nothing on
    success; on failure only what failed and its remedy."""
    if report.written:
        written = report.written
        out.line(Line(phrase("fix.written", lang, file=written["file"], backup=written["backup"]),
                      style="bold"))
        if not quiet:
            for diff_line in str(written["diff"]).splitlines():
                out.line(Line(f"  {diff_line}"))
    if quiet:
        if report.ok:
            return
        errors = [f for f in report.findings if f.severity is Severity.ERROR]
        for line in _finding_lines(report, errors, lang):
            out.line(line, hang=True)
        failed = report.failed_probe
        if failed and not errors:
            for line in _probe_lines(report, failed, lang) + _fix_lines(report, lang):
                out.line(line, hang=True)
        out.line(verdict(report, lang))
        return
    out.line(_headline(report, lang))
    # `domain` reads the settings only for the sender and its provider: no settings section
    # when there is nothing to say about them.
    if report.findings or report.command != "domain":
        out.line(Line(phrase("word.findings", lang), style="bold underline"))
    if report.findings:
        for line in _finding_lines(report, report.findings, lang):
            out.line(line, hang=True)
    elif report.command != "domain":
        out.line(Line(f"  ✓ {phrase('word.no_findings', lang)}", style="green"))
    if report.probes:
        out.line(Line(phrase("word.probes", lang), style="bold underline"))
        for probe in report.probes:
            for line in _probe_lines(report, probe, lang):
                out.line(line, hang=True)
            if verbose and report.command == "domain":  # what the check read
                for key, value in probe.details.items():
                    shown = ", ".join(value) if isinstance(value, tuple) else str(value)
                    out.line(Line(f"      {key}: {shown}", style="dim"), hang=True)
        for line in _fix_lines(report, lang):
            out.line(line, hang=True)
    if verbose and report.transcript:
        out.line(Line(phrase("word.transcript", lang), style="bold underline"))
        for entry in report.transcript:
            out.line(Line(f"  {entry}", style="dim"))
    if report.command != "config":
        out.line(verdict(report, lang))


def print_config(report: Report, out: Out, lang: str) -> None:
    """One line per setting: value, then where it came from (lines wrap, never crop)."""
    s = report.settings
    rows: list[tuple[str, str, str]] = []
    if s is not None:
        password = (phrase("field.password_set", lang, length=len(s.password)) if s.password
                    else phrase("field.password_not_set", lang))
        for name, value in (("host", s.host), ("port", s.port), ("security", s.security),
                            ("username", s.username), ("password", password), ("sender", s.sender)):
            origin = s.origins.get(name)
            shown = str(value if value is not None else "—")
            rows.append((name, shown, origin_text(origin, lang) if origin else ""))
        if s.oauth2 is not None:
            flow = "field.oauth2_refresh" if s.oauth2.refresh_flow else "field.oauth2_access"
            variable = s.oauth2.variable("REFRESH_TOKEN" if s.oauth2.refresh_flow else "ACCESS_TOKEN")
            login = phrase(flow, lang, url=s.oauth2.token_url or "?", client_id=s.oauth2.client_id or "?")
            rows.append(("login", login, variable))
        rows.append(("family", s.family or "—", ""))
        if s.client:
            why = phrase("field.client_source", lang, source=client_source(s.client, lang),
                         why=client_why(s.client, lang))
            rows.append(("client", client_name(s.client, lang), why))
    rows.append(("provider", report.provider.display_name(lang) if report.provider else "—", ""))
    labels = {name: phrase(f"field.{name}", lang) for name, _, _ in rows}
    width = max(cells(label) for label in labels.values())
    for name, value, source in rows:
        label = labels[name]
        line = Line(f"  {label}{' ' * (width - cells(label))} ", style="bold")
        line.append(value)
        if source:
            line.append(f"  ← {source}", style="dim")
        out.line(line, hang=True)
    if s is not None and s.app_code is not None and s.app_code.readings:
        out.line(Line(phrase("word.app_code", lang, files=", ".join(s.app_code.files)),
                           style="bold underline"))
        for key, reading in sorted(s.app_code.readings.items()):
            line = Line(f"  {key} ← {reading.where}  ", style="bold")
            line.append(code_source(reading), style="dim")
            out.line(line, hang=True)
    print_report(report, out, lang)


def print_fleet(checked: Sequence[Checked], out: Out, lang: str, *, quiet: bool = False) -> None:
    """Accounts that say the same thing are one group ("✗ 7 accounts (t1, t2, …): …"), with
    the cause, its fix in the rows' own vocabulary and what failed behind it said once; then
    the counts. ``quiet``: the failing accounts only."""
    groups: dict[tuple[bool, tuple[str, ...]], list[tuple[str, list[Line]]]] = {}
    for item in checked:
        if item.report.ok and quiet:
            continue
        lines = _account_lines(item.report, lang, quiet)
        groups.setdefault((item.report.ok, tuple(t.plain for t in lines)), []).append((item.label, lines))
    for (ok, _), members in groups.items():
        labels = [label for label, _ in members]
        lines = members[0][1]
        if len(labels) == 1:
            who = labels[0]
        else:
            shown = ", ".join(labels[:GROUP_LABELS]) + (", …" if len(labels) > GROUP_LABELS else "")
            who = phrase("fleet.group", lang, count=len(labels), labels=shown)
        head = Line(f"✓ {who}", style="green") if ok else Line(f"✗ {who}  ", style="bold red")
        if not ok and lines:
            head.append_text(lines[0])
            lines = lines[1:]
        out.line(head, hang=True)
        for line in lines:
            out.line(line, hang=True)
    counts = fleet_counts(checked)
    # A pass with a warning is counted apart: "TLS" may pass here and fail in the app's own code.
    warned = sum(1 for c in checked if c.report.ok and c.report.warned)
    crashed = counts["internal_errors"]
    said = phrase("fleet.summary", lang, exit=int(worst(checked)), **counts,
                  warned=phrase("fleet.warned", lang, count=warned) if warned else "",
                  crashed=phrase("fleet.crashed", lang, count=crashed) if crashed else "")
    out.line(Line(said, style="bold green" if counts["passed"] == counts["total"] else "bold red"))


# How many labels a group names before "…".
GROUP_LABELS = 8


def _account_lines(report: Report, lang: str, quiet: bool) -> list[Line]:
    """What one account's report says, without its label: the cause (first), the fix, what
    failed behind the fix, the warnings."""
    if report.ok:
        # A pass with a warning is not a plain pass: "TLS" checked as STARTTLS may be exactly
        # what the app's own code cannot do.
        return [] if quiet else list(_warning_lines(report, lang))
    failed = report.failed_probe
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    cause = Line("", style="bold red")
    if errors:
        text = render(errors[0].reason, errors[0].params, report.settings, report.provider, lang)
        cause.append(f"{code_for(errors[0].reason).value} {errors[0].reason}: {text.message}")
        remedy = text.remedy
    elif failed is not None and failed.error is not None:
        text = probe_text(report, failed, lang)
        cause.append(f"{failed.name} {failed.error.code.value} {failed.error.reason}: {text.message}")
        remedy = text.remedy
    else:
        remedy = ""
    lines = [cause]
    if remedy:
        lines.append(Line(f"    → {phrase('line.fix', lang, text=remedy)}", style="bold"))
    if any(p.status is Status.FAIL for fix in report.fixes for p in fix.probes):
        # The next failure behind the fix ("…the credentials themselves are refused: see below").
        lines += [Line("    ").append_text(fix_line) for fix_line in _fix_lines(report, lang)]
    if not quiet:
        lines += list(_warning_lines(report, lang, probes=False))
    return lines
