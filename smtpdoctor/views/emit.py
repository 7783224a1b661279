"""Every output a command was asked for — a JUnit file, the JSON document or the text,
GitHub annotations — and the exit code, whatever happened to stdout."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from smtpdoctor.views.console import (
    echo_error,
    emit_json,
    emit_json_listing,
    silence_stdout,
)
from smtpdoctor.views.lines import text_out

if TYPE_CHECKING:
    from smtpdoctor.model import Checked, Report

# The views for documents and CI formats are imported by the function that prints them:
# `--help` and `providers` start without them.


class Outputs(NamedTuple):
    """How a command's result is shown: the options the command line gives for it."""

    lang: str = "en"
    as_json: bool = False
    quiet: bool = False
    verbose: bool = False
    junit_xml: str | None = None
    metrics_file: str | None = None  # Prometheus text format, for the node exporter's textfile collector
    output_format: str | None = None  # "text", "github", or None (github under GitHub Actions)

    @property
    def github(self) -> bool:
        return self.output_format == "github" or (
            self.output_format is None and os.environ.get("GITHUB_ACTIONS") == "true")


def report(result: Report, how: Outputs) -> int:
    """Print one report every way asked for; the exit code to end with."""
    lang = how.lang
    _metrics(how, result, result.command)

    def junit(path: str) -> None:
        from smtpdoctor.views import ci

        ci.write_junit(result, path, lang)

    def as_json() -> None:
        from smtpdoctor.views.document import document

        emit_json(document(result, lang))

    def text() -> None:
        from smtpdoctor.views.terminal import print_report

        print_report(result, text_out(), lang, quiet=how.quiet, verbose=how.verbose)

    def annotations() -> list[str]:
        from smtpdoctor.views import ci

        return ci.github_annotations(result, lang)

    def summary() -> None:
        from smtpdoctor.views import ci

        ci.write_step_summary(result, lang)

    return _emit(how, result.exit_code, junit=junit, as_json=as_json, text=text, annotations=annotations,
                 summary=summary)


def fleet(command: str, checked: Sequence[Checked], how: Outputs) -> int:
    """--accounts: the same outputs as one check, for the lot."""
    from smtpdoctor.model import worst
    from smtpdoctor.views import ci
    from smtpdoctor.views.document import account_documents, fleet_document, fleet_head
    from smtpdoctor.views.terminal import print_fleet

    lang = how.lang
    _metrics(how, checked, command)
    return _emit(how, worst(checked),
                 junit=lambda path: ci.write_junit_fleet(checked, command, path, lang),
                 # Hundreds of accounts: one compact line (jq reads it as well), a third of the bytes,
                 # written a row at a time.
                 as_json=lambda: emit_json(fleet_document(command, checked, lang)) if len(checked) <= 20
                 else emit_json_listing(fleet_head(command, checked), "accounts",
                                        lambda: account_documents(checked, lang)),
                 text=lambda: print_fleet(checked, text_out(), lang, quiet=how.quiet),
                 annotations=lambda: [line for c in checked
                                      for line in ci.github_annotations(c.report, lang, c.label)],
                 summary=lambda: ci.write_fleet_step_summary(command, checked, lang))


def config(result: Report, how: Outputs) -> int:
    """`smtpdoctor config`: the settings as resolved."""
    from smtpdoctor.views.document import document
    from smtpdoctor.views.terminal import print_config

    return _emit(how, result.exit_code, junit=lambda path: None,
                 as_json=lambda: emit_json(document(result, how.lang)),
                 text=lambda: print_config(result, text_out(), how.lang), annotations=list)


def _metrics(how: Outputs, result: Report | Sequence[Checked], command: str) -> None:
    """--metrics-file, written before stdout (a closed pipe cannot skip it), whatever the verdict."""
    if how.metrics_file:
        from smtpdoctor.views.metrics import write_run_metrics

        try:
            write_run_metrics(how.metrics_file, result, command)
        except OSError as exc:  # checked before probing; the disk may still fill up
            echo_error(f"smtpdoctor: could not write {how.metrics_file}: {exc.strerror or exc}")


def _emit(how: Outputs, code: int, *, junit: Callable[[str], None], as_json: Callable[[], None],
          text: Callable[[], None], annotations: Callable[[], list[str]],
          summary: Callable[[], None] | None = None) -> int:
    if how.github and summary is not None:
        summary()  # the job summary ($GITHUB_STEP_SUMMARY): first, so a closed stdout cannot skip it
    if how.junit_xml:
        try:
            junit(how.junit_xml)
        except OSError as exc:  # checked before probing; the disk may still fill up
            echo_error(f"smtpdoctor: could not write {how.junit_xml}: {exc.strerror or exc}")
    try:
        if how.as_json:
            as_json()
        else:
            text()
        if how.github:
            # Annotations go to stdout (where Actions reads workflow commands), but
            # never into a --json document, which must stay one parseable value.
            stream = sys.stderr if how.as_json else sys.stdout
            for line in annotations():
                stream.write(f"{line}\n")
            stream.flush()
        if sys.stdout is not None:
            sys.stdout.flush()
    except OSError:
        # A closed pipe (`| grep -q`), a full disk: the verdict still decides the exit code.
        silence_stdout()
    return int(code)
