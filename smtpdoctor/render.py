"""Human output. The only module that writes to the terminal; it reads values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.padding import Padding
from rich.text import Text

from smtpdoctor.document import probe_text
from smtpdoctor.model import ExitCode, Finding, ProbeResult, Report, Severity, Status
from smtpdoctor.remedies import MODE_NAMES, phrase, render

if TYPE_CHECKING:
    from rich.console import Console


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
WORDS = {
    "en": {
        "findings": "Settings", "probes": "Checks", "fix": "fix", "reply": "server said",
        "ok": "All checks passed", "config_error": "Configuration error: nothing was probed",
        "failed_at": "Failed at", "exit": "exit", "transcript": "SMTP transcript (credentials redacted)",
        "no_findings": "no problems found in the settings", "sending_as": "as",
        "client": "client",
    },
    "zh": {
        "findings": "配置", "probes": "检查", "fix": "修复", "reply": "服务器回复",
        "ok": "全部检查通过", "config_error": "配置错误：未进行网络检查",
        "failed_at": "失败于", "exit": "退出码", "transcript": "SMTP 会话记录（凭据已隐去）",
        "no_findings": "配置中未发现问题", "sending_as": "账号",
        "client": "客户端",
    },
}


def _headline(report: Report, lang: str) -> Text:
    s = report.settings
    line = Text(f"smtpdoctor {report.command}", style="bold")
    if s and s.host:
        mode = MODE_NAMES[lang].get(s.security or "", "")
        line.append(f"  {s.host}:{s.port or '?'}")
        if mode:
            line.append(f" · {mode}")
        if s.username:
            line.append(f" · {WORDS[lang]['sending_as']} {s.username}")
    if report.provider:
        line.append(f"  · {report.provider.display_name(lang)}", style="cyan")
    if s and s.family:
        line.append(f"  · {s.family}", style="dim")
    if s and s.client:
        line.append(f"  · {WORDS[lang]['client']}: {s.client.name} ({s.client.why})", style="dim")
    return line


def _indented(text: Text) -> Padding:
    """Wrapped lines keep the indentation the line started with."""
    plain = text.plain
    indent = len(plain) - len(plain.lstrip(" "))
    body = text[indent:]
    return Padding(body, (0, 0, 0, indent), expand=False)


def _finding_lines(report: Report, findings: Sequence[Finding], lang: str) -> list[Text]:
    lines = []
    for f in findings:
        mark, style = SEVERITY_MARK[f.severity]
        text = render(f.reason, f.params, report.settings, report.provider, lang)
        line = Text(f"  {mark} ", style=style)
        line.append(text.message)
        line.append(f"  [{f.reason}]", style="dim")
        lines.append(line)
        if f.severity is not Severity.INFO or text.remedy:
            lines.append(Text(f"      → {text.remedy}", style="bold" if f.severity is Severity.ERROR else ""))
    return lines


def _probe_lines(report: Report, probe: ProbeResult, lang: str) -> list[Text]:
    mark, style = STATUS_MARK[probe.status]
    ms = f"{probe.duration_ms:6.0f} ms" if probe.status is not Status.SKIP else " " * 9
    line = Text(f"  {mark} ", style=style)
    line.append(f"{probe.name:<9}", style=style)
    line.append(f"{ms}  ", style="dim")
    line.append(probe.summary)
    lines = [line]
    w = WORDS[lang]
    if probe.error is not None:
        e = probe.error
        text = probe_text(report, probe, lang)
        lines.append(Text(f"      {e.code.value} {e.reason}: {text.message}", style="red"))
        if e.reply:
            lines.append(Text(f"      {w['reply']}: {e.reply}", style="dim"))
        lines.append(Text(f"      → {w['fix']}: {text.remedy}", style="bold"))
    elif probe.warning is not None:
        text = probe_text(report, probe, lang)
        lines.append(Text(f"      {text.message}", style="yellow"))
        lines.append(Text(f"      → {text.remedy}"))
    return lines


def _fix_lines(report: Report, lang: str) -> list[Text]:
    """Under each verified fix, what happens next: the next failure, or a pass."""
    from smtpdoctor.clients import describe

    lines = []
    for fix in report.fixes:
        lines.append(Text(phrase("fix.then", lang, changes=describe(fix.changes)), style="bold"))
        failed = next((p for p in fix.probes if p.status is Status.FAIL), None)
        if failed is not None:
            lines += _probe_lines(report, failed, lang)
        else:
            lines.append(Text(f"  ✓ {phrase('fix.then_all_passed', lang)}", style="green"))
    return lines


def verdict(report: Report, lang: str) -> Text:
    w = WORDS[lang]
    code = report.exit_code
    if code is ExitCode.OK:
        return Text(f"✓ {w['ok']}", style="bold green")
    if code is ExitCode.CONFIG_ERROR:
        return Text(f"✗ {w['config_error']} ({w['exit']} 2)", style="bold red")
    failed = report.failed_probe
    where = f"{failed.name}: {failed.error.code.value} ({failed.error.reason})" if (
        failed and failed.error) else "?"
    return Text(f"✗ {w['failed_at']} {where} ({w['exit']} {int(code)})", style="bold red")


def print_report(report: Report, console: Console, lang: str, *, quiet: bool = False,
                 verbose: bool = False) -> None:
    """The report of ``check``/``send-test``/``config``. ``quiet``: nothing on
    success; on failure only what failed and its remedy."""
    w = WORDS[lang]
    if report.written:
        written = report.written
        console.print(Text(phrase("fix.written", lang, file=written["file"], backup=written["backup"]),
                           style="bold"))
        if not quiet:
            for diff_line in str(written["diff"]).splitlines():
                console.print(Text(f"  {diff_line}"))
    if quiet:
        if report.ok:
            return
        errors = [f for f in report.findings if f.severity is Severity.ERROR]
        for line in _finding_lines(report, errors, lang):
            console.print(_indented(line))
        failed = report.failed_probe
        if failed and not errors:
            for line in _probe_lines(report, failed, lang) + _fix_lines(report, lang):
                console.print(_indented(line))
        console.print(verdict(report, lang))
        return
    console.print(_headline(report, lang))
    console.print(Text(w["findings"], style="bold underline"))
    if report.findings:
        for line in _finding_lines(report, report.findings, lang):
            console.print(_indented(line))
    else:
        console.print(Text(f"  ✓ {w['no_findings']}", style="green"))
    if report.probes:
        console.print(Text(w["probes"], style="bold underline"))
        for probe in report.probes:
            for line in _probe_lines(report, probe, lang):
                console.print(_indented(line))
        for line in _fix_lines(report, lang):
            console.print(_indented(line))
    if verbose and report.transcript:
        console.print(Text(w["transcript"], style="bold underline"))
        for entry in report.transcript:
            console.print(Text(f"  {entry}", style="dim"))
    if report.command != "config":
        console.print(verdict(report, lang))


def print_config(report: Report, console: Console, lang: str) -> None:
    """One line per setting: value, then where it came from (lines wrap, never crop)."""
    s = report.settings
    rows: list[tuple[str, str, str]] = []
    if s is not None:
        password = f"set ({len(s.password)} characters)" if s.password else "not set"
        for name, value in (("host", s.host), ("port", s.port), ("security", s.security),
                            ("username", s.username), ("password", password), ("sender", s.sender)):
            origin = s.origins.get(name)
            rows.append((name, str(value if value is not None else "—"),
                         origin.describe() if origin else ""))
        rows.append(("family", s.family or "—", ""))
        if s.client:
            rows.append(("client", s.client.name, f"{s.client.source}: {s.client.why}"))
    rows.append(("provider", report.provider.display_name(lang) if report.provider else "—", ""))
    for name, value, source in rows:
        line = Text(f"  {name:<9} ", style="bold")
        line.append(value)
        if source:
            line.append(f"  ← {source}", style="dim")
        console.print(_indented(line))
    print_report(report, console, lang)
