"""Progress on a terminal's stderr: a spinner naming the step, a line per retry, a bar for
many accounts. Never in logs, pipes, with --json or --quiet (the caller decides)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, NamedTuple

from smtpdoctor.catalog import phrase
from smtpdoctor.views.console import make_console

if TYPE_CHECKING:
    from smtpdoctor.model import Checked
    from smtpdoctor.outcomes import Retry


class Hooks(NamedTuple):
    """What a run calls as it goes: the step it starts, a retry it will make, the number of
    accounts, an account done. Each takes plain values; the words are made here."""

    on_step: Callable[[str], None] | None = None
    on_retry: Callable[[Retry], None] | None = None
    on_total: Callable[[int], None] | None = None
    on_done: Callable[[Checked], None] | None = None


NO_HOOKS = Hooks()


@contextlib.contextmanager
def spinner(lang: str) -> Iterator[Hooks]:
    """A spinner on stderr while one check runs."""
    import sys

    if sys.stderr is None or not sys.stderr.isatty():
        yield NO_HOOKS  # and rich is never imported
        return
    from rich.text import Text

    console = make_console(stderr=True)
    with console.status(phrase("progress.starting", lang)) as live:
        def on_step(name: str) -> None:
            live.update(phrase("progress.checking", lang, probe=name))

        def on_retry(retry: Retry) -> None:
            said = phrase("progress.retry", lang, probe=retry.probe, attempt=retry.attempt,
                          reason=retry.reason, retries=retry.retries, delay=f"{retry.delay:g}")
            console.print(Text(said, style="dim"))

        yield Hooks(on_step=on_step, on_retry=on_retry)


@contextlib.contextmanager
def fleet_bar() -> Iterator[Hooks]:
    """A bar on stderr while many accounts are checked."""
    from rich.progress import Progress, TaskID

    progress = Progress(console=make_console(stderr=True), transient=True)
    task: list[TaskID] = []

    def on_total(total: int) -> None:
        task.append(progress.add_task("smtpdoctor", total=total))

    def on_done(_: Checked) -> None:
        if task:
            progress.advance(task[0])

    with progress:
        yield Hooks(on_total=on_total, on_done=on_done)
