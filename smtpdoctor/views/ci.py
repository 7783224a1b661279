"""CI formats: GitHub Actions annotations and JUnit XML, from the same Report."""

from __future__ import annotations

from collections.abc import Sequence
from xml.etree import ElementTree as ET

from smtpdoctor.catalog import join_text, phrase
from smtpdoctor.model import Checked, Report, Severity, Status
from smtpdoctor.views.document import finding_view, probe_view
from smtpdoctor.views.words import changes_text


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
