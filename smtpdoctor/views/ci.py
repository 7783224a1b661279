"""CI formats: GitHub Actions annotations, its job summary and JUnit XML, from the same Report."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple
from xml.etree import ElementTree as ET

from smtpdoctor.catalog import code_for, join_text, phrase
from smtpdoctor.model import Checked, ProbeResult, Report, Severity, Status, fleet_counts, worst
from smtpdoctor.views.console import echo_error
from smtpdoctor.views.document import finding_view, probe_text, probe_view
from smtpdoctor.views.terminal import verdict
from smtpdoctor.views.words import changes_text, render, summary_in


def _escape_data(text: str) -> str:
    # GitHub's workflow-command escaping: a message cannot span raw lines.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(report: Report, lang: str, account: str = "") -> list[str]:
    """``::error``/``::warning`` workflow commands; ``account`` names the --accounts row."""
    who = f"smtpdoctor {account}:" if account else "smtpdoctor"
    lines = []
    for finding in report.findings:
        if finding.severity is Severity.INFO:
            continue
        view = finding_view(report, finding, lang)
        level = "error" if finding.severity is Severity.ERROR else "warning"
        title = _escape_property(f"{who} {finding.reason}")
        text = join_text(view["message"], phrase("label.fix", lang, text=view["remedy"]))
        lines.append(f"::{level} title={title}::{_escape_data(text)}")
    # What fails next under each verified fix is a problem of its own: annotate it too.
    chains = [("", report.probes)] + [(f" (with {changes_text(f.changes)})", f.probes) for f in report.fixes]
    for after, probes in chains:
        for probe in probes:
            if probe.status not in (Status.FAIL, Status.WARN) or (after and probe.status is Status.WARN):
                continue
            view = probe_view(report, probe, lang)
            level = "error" if probe.status is Status.FAIL else "warning"
            error = view["error"] or view.get("warning") or {}
            code = f"{error.get('code', '')} " if error.get("code") else ""
            title = _escape_property(
                f"{who} {probe.name}{after}: {code}{error.get('reason', '')}".strip())
            said = [phrase("label.server_said", lang, text=error["reply"])] if error.get("reply") else []
            fix = phrase("label.fix", lang, text=view["remedy"])
            text = join_text(error.get("message", view["summary"]), *said, fix)
            lines.append(f"::{level} title={title}::{_escape_data(text)}")
    return lines


def _fix(remedy: str, lang: str) -> str:
    return phrase("label.fix", lang, text=remedy)


def junit_tree(report: Report, lang: str) -> ET.ElementTree:
    suite = ET.Element("testsuite", {
        "name": f"smtpdoctor {report.command}",
        "tests": str(len(report.probes) + 1),
        "failures": str(sum(p.status is Status.FAIL for p in report.probes)),
        "errors": str(int(any(f.severity is Severity.ERROR for f in report.findings))),
        "skipped": str(sum(p.status is Status.SKIP for p in report.probes)),
        "time": f"{sum(p.duration_ms for p in report.probes) / 1000:.3f}",
    })
    settings_case = ET.SubElement(suite, "testcase", {"classname": "smtpdoctor", "name": "settings"})
    problems = [finding_view(report, f, lang) for f in report.findings
                if f.severity is Severity.ERROR]
    if problems:
        node = ET.SubElement(settings_case, "error", {"type": "ECONFIG", "message": problems[0]["message"]})
        node.text = "\n".join(f"{p['reason']}: " + join_text(p["message"], _fix(p["remedy"], lang))
                              for p in problems)
    for probe in report.probes:
        view = probe_view(report, probe, lang)
        case = ET.SubElement(suite, "testcase", {
            "classname": "smtpdoctor", "name": probe.name, "time": f"{probe.duration_ms / 1000:.3f}",
        })
        if probe.status is Status.FAIL and view["error"]:
            error = view["error"]
            node = ET.SubElement(case, "failure", {"type": error["code"], "message": error["message"]})
            node.text = "\n".join(filter(None, [
                phrase("label.reason", lang, text=error["reason"]),
                phrase("label.server_said", lang, text=error["reply"]) if error["reply"] else "",
                phrase("label.fix", lang, text=view["remedy"]),
            ]))
        elif probe.status is Status.SKIP:
            ET.SubElement(case, "skipped", {"message": view["summary"]})
        else:
            ET.SubElement(case, "system-out").text = view["summary"]
    return ET.ElementTree(suite)


def write_junit(report: Report, path: str, lang: str) -> None:
    tree = junit_tree(report, lang)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)


def write_junit_fleet(checked: Sequence[Checked], command: str, path: str, lang: str) -> None:
    """``--accounts``: one testsuite per account, named by its label."""
    suites = ET.Element("testsuites", {"name": f"smtpdoctor {command}"})
    for item in checked:
        suite = junit_tree(item.report, lang).getroot()
        assert suite is not None
        suite.set("name", f"smtpdoctor {command} {item.label}")
        suites.append(suite)
    tree = ET.ElementTree(suites)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)


# --- the job summary: Markdown appended to the file GitHub Actions names in GITHUB_STEP_SUMMARY ---

STATUS_MARK = {Status.PASS: "✓", Status.WARN: "!", Status.FAIL: "✗", Status.SKIP: "-"}


def markdown_cell(text: str) -> str:
    """``text`` as one Markdown table cell (or list item) shows it: a ``|`` would end the cell
    and a line break the row; ``<`` would open HTML, which the summary renders (a reply's
    ``<dev@example.com>`` would vanish). Backslashes first, so the text's own stay text."""
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return "<br>".join(text.splitlines())


def _table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(markdown_cell(h) for h in head) + " |", "|" + " --- |" * len(head)]
    return lines + ["| " + " | ".join(markdown_cell(cell) for cell in row) + " |" for row in rows]


def _words(lang: str, *names: str) -> list[str]:
    return [phrase(f"job_summary.{name}", lang) for name in names]


class Failure(NamedTuple):
    probe: str  # "" for the settings' own errors
    code: str
    reason: str
    message: str
    remedy: str

    def one_line(self, lang: str) -> str:
        where = f"{self.probe} " if self.probe else ""
        return join_text(f"{where}`{self.code}` `{self.reason}`:", self.message,
                         phrase("label.fix", lang, text=self.remedy))


def _probe_failure(report: Report, probe: ProbeResult, lang: str) -> Failure:
    assert probe.error is not None
    text = probe_text(report, probe, lang)
    said = phrase("label.server_said", lang, text=probe.error.reply) if probe.error.reply else ""
    return Failure(probe.name, probe.error.code.value, probe.error.reason, join_text(text.message, said),
                   text.remedy)


def _failures(report: Report, lang: str) -> list[Failure]:
    """The settings' errors, then the first probe that failed."""
    out = []
    for finding in report.findings:
        if finding.severity is Severity.ERROR:
            text = render(finding.reason, finding.params, report.settings, report.provider, lang)
            out.append(Failure("", code_for(finding.reason).value, finding.reason, text.message, text.remedy))
    failed = report.failed_probe
    if failed is not None and failed.error is not None:
        out.append(_probe_failure(report, failed, lang))
    return out


def _ms(milliseconds: float) -> str:
    return f"{milliseconds:.0f} ms"


def step_summary(report: Report, lang: str) -> str:
    """One run as Markdown: the verdict, a row per probe, what failed and its remedy, and what
    the run saw under each verified fix."""
    s = report.settings
    where = report.domain or (f"{s.host}:{s.port or '?'}" if s and s.host else "")
    heading = f"smtpdoctor {report.command} {where}".rstrip() + f": {verdict(report, lang).plain}"
    lines = [f"### {markdown_cell(heading)}", ""]
    lines += _table(_words(lang, "probe", "status", "time", "summary"), [
        [p.name, f"{STATUS_MARK[p.status]} {p.status.value}",
         "" if p.status is Status.SKIP else _ms(p.duration_ms), summary_in(p, lang)]
        for p in report.probes])
    failures = _failures(report, lang)
    if failures:
        lines += ["", f"**{phrase('job_summary.failure', lang)}**", ""]
        lines += _table(_words(lang, "code", "reason", "message", "remedy"),
                        [(f.code, f.reason, f.message, f.remedy) for f in failures])
    if report.fixes:
        lines += ["", f"**{phrase('job_summary.verified_fix', lang)}**", ""]
        for fix in report.fixes:
            failed = next((p for p in fix.probes if p.status is Status.FAIL and p.error), None)
            after = (f"✗ {_probe_failure(report, failed, lang).one_line(lang)}" if failed
                     else f"✓ {phrase('fix.then_all_passed', lang)}")
            then = phrase("fix.then", lang, changes=changes_text(fix.changes))
            lines.append(f"- {markdown_cell(join_text(then, after))}")
    return "\n".join(lines) + "\n"


def fleet_step_summary(command: str, checked: Sequence[Checked], lang: str) -> str:
    """--accounts as Markdown: the counts, then a row per account with what failed first."""
    counts = fleet_counts(checked)
    crashed = counts["internal_errors"]
    said = phrase("fleet.summary", lang, exit=int(worst(checked)), **counts, warned="",
                  crashed=phrase("fleet.crashed", lang, count=crashed) if crashed else "")
    rows = []
    for item in checked:
        report = item.report
        failures = _failures(report, lang)
        status = ("! warn" if report.warned else "✓ pass") if report.ok else "✗ fail"
        ran = [p for p in report.probes if p.status is not Status.SKIP]
        rows.append([item.label, status, _ms(sum(p.duration_ms for p in ran)) if ran else "",
                     failures[0].one_line(lang) if failures else phrase("verdict.ok", lang)])
    return "\n".join([f"### {markdown_cell(f'smtpdoctor {command}: {said}')}", "",
                      *_table(_words(lang, "account", "status", "time", "summary"), rows)]) + "\n"


def write_step_summary(report: Report, lang: str) -> None:
    """One run's summary, appended to the job summary when GitHub Actions names one."""
    _append_step_summary(lambda: step_summary(report, lang), lang)


def write_fleet_step_summary(command: str, checked: Sequence[Checked], lang: str) -> None:
    """--accounts: one summary for the lot (`config` checks nothing: it has none)."""
    if command != "config":
        _append_step_summary(lambda: fleet_step_summary(command, checked, lang), lang)


def _append_step_summary(markdown: Callable[[], str], lang: str) -> None:
    # Appended, never overwritten: other steps of the job write there too. A file that cannot
    # be written is a note on stderr, never a crash or another exit code.
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as out:
            out.write("\n" + markdown())  # a blank line first: the text before may not end its block
    except OSError as exc:
        echo_error(phrase("job_summary.unwritable", lang, file=path, error=exc.strerror or exc))
