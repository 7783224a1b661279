"""Human output. The only module that writes to the terminal; it reads values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from smtpdoctor.document import remedy_provider
from smtpdoctor.model import ExitCode, Finding, ProbeResult, Report, Severity, Status
from smtpdoctor.remedies import MODE_NAMES, render
from smtpdoctor.remedies import Text as Text_

if TYPE_CHECKING:
    from rich.console import Console

    from smtpdoctor.explain import Match
    from smtpdoctor.providers import ProviderTable

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
    },
    "zh": {
        "findings": "配置", "probes": "检查", "fix": "修复", "reply": "服务器回复",
        "ok": "全部检查通过", "config_error": "配置错误：未进行网络检查",
        "failed_at": "失败于", "exit": "退出码", "transcript": "SMTP 会话记录（凭据已隐去）",
        "no_findings": "配置中未发现问题", "sending_as": "账号",
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
        text = render(e.reason, {**probe.params, **e.params}, report.settings,
                      remedy_provider(report, e), lang)
        lines.append(Text(f"      {e.code.value} {e.reason}: {text.message}", style="red"))
        if e.reply:
            lines.append(Text(f"      {w['reply']}: {e.reply}", style="dim"))
        lines.append(Text(f"      → {w['fix']}: {text.remedy}", style="bold"))
    elif probe.warning is not None:
        text = render(probe.warning, probe.params, report.settings, report.provider, lang)
        lines.append(Text(f"      {text.message}", style="yellow"))
        lines.append(Text(f"      → {text.remedy}"))
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
    if quiet:
        if report.ok:
            return
        errors = [f for f in report.findings if f.severity is Severity.ERROR]
        for line in _finding_lines(report, errors, lang):
            console.print(_indented(line))
        failed = report.failed_probe
        if failed and not errors:
            for line in _probe_lines(report, failed, lang):
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
    if verbose and report.transcript:
        console.print(Text(w["transcript"], style="bold underline"))
        for entry in report.transcript:
            console.print(Text(f"  {entry}", style="dim"))
    if report.command != "config":
        console.print(verdict(report, lang))


def print_config(report: Report, console: Console, lang: str) -> None:
    s = report.settings
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("setting")
    table.add_column("value")
    table.add_column("from", style="dim")
    if s is not None:
        password = f"set ({len(s.password)} characters)" if s.password else "not set"
        rows = [
            ("host", s.host), ("port", s.port), ("security", s.security),
            ("username", s.username), ("password", password), ("sender", s.sender),
        ]
        for name, value in rows:
            origin = s.origins.get(name)
            table.add_row(name, escape(str(value if value is not None else "—")),
                          escape(origin.describe()) if origin else "")
        table.add_row("family", s.family or "—", "")
    table.add_row("provider", report.provider.display_name(lang) if report.provider else "—", "")
    console.print(table)
    print_report(report, console, lang)


def print_providers(table: ProviderTable, console: Console, lang: str) -> None:
    grid = Table(show_header=True, header_style="bold", show_lines=False)
    for column in ("id", "name", "host", "ports", "username", "password", "where to get it"):
        grid.add_column(column, overflow="fold")
    for p in table.providers:
        ports = " ".join(f"{port}/{mode}" for port, mode in sorted(p.ports.items()))
        user = p.username_literal if p.username == "literal" else p.username
        grid.add_row(p.id, p.display_name(lang), p.primary_host, ports, user or "",
                     p.password_kind.replace("_", " "), p.credential_url or "")
    console.print(grid)


# Generic names for explain, which has no settings of the user's to name.
EXPLAIN_CONTEXT = {
    "en": {"host_var": "SMTP_HOST", "port_var": "SMTP_PORT", "user_var": "SMTP_USER",
           "password_var": "SMTP_PASSWORD", "sender_var": "SMTP_FROM", "username": "<login>",
           "sender": "<sender>", "host": "<host>", "port": "<port>",
           "fix": "the TLS setting the port speaks (465 → implicit TLS, 587 → STARTTLS)",
           "alt_fix": "use the port and mode the provider documents (`smtpdoctor providers`)"},
    "zh": {"host_var": "SMTP_HOST", "port_var": "SMTP_PORT", "user_var": "SMTP_USER",
           "password_var": "SMTP_PASSWORD", "sender_var": "SMTP_FROM", "username": "<登录账号>",
           "sender": "<发件人>", "host": "<服务器>", "port": "<端口>",
           "fix": "与端口一致的 TLS 设置（465 → SSL，587 → STARTTLS）",
           "alt_fix": "使用服务商文档中的端口和加密方式（`smtpdoctor providers`）"},
}


def explain_text(match: Match, lang: str) -> Text_:
    params = dict(EXPLAIN_CONTEXT[lang])
    if match.provider is None:
        params["provider"] = "the provider" if lang == "en" else "服务商"
    return render(match.reason, params, None, match.provider, lang)


def print_explain(matches: Sequence[Match], console: Console, lang: str) -> None:
    from smtpdoctor.remedies import code_for

    for match in matches:
        text = explain_text(match, lang)
        title = Text(f"{code_for(match.reason).value} {match.reason}", style="bold")
        if match.provider:
            title.append(f"  ({match.provider.display_name(lang)})", style="cyan")
        console.print(title)
        console.print(Text(f"  {text.message}"))
        console.print(Text(f"  → {text.remedy}"))
    note = ("Variable names are shown in the SMTP_* style; `smtpdoctor check` names your own."
            if lang == "en" else "变量名以 SMTP_* 形式示例；`smtpdoctor check` 会给出你自己的变量名。")
    console.print(Text(note, style="dim"))
