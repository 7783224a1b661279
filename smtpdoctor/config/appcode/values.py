"""What one file's reader gives back, and the readers' common shape."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from smtpdoctor.config.values import CodeNote, CodeRaises, CodeReading

Fn = Callable[[Mapping[str, str]], Any]


def guarded(fn: Fn) -> Fn:
    """``fn`` raising only CodeRaises: what the app's own code raises there, by class only
    (never its message, which may hold the value)."""
    def evaluate(env: Mapping[str, str]) -> Any:
        try:
            return fn(env)
        except CodeRaises:
            raise
        except Exception as exc:
            raise CodeRaises(type(exc).__name__) from None
    return evaluate

# Python idioms that load mail settings in bulk from the environment or another file: with any
# of them in the code, a variable the code never names may still be read.
BULK_PYTHON = ("from_prefixed_env", "from_envvar", "from_pyfile", "from_file", "**os.environ",
               "os.environ.copy", "dict(os.environ", "from_mapping(os.environ")


@dataclass(eq=False, repr=False)  # state: only its __init__ is generated
class ReadOutcome:
    readings: list[CodeReading] = field(default_factory=list)
    notes: list[CodeNote] = field(default_factory=list)
    mentioned: set[str] = field(default_factory=set)  # upper-case names the file spells out
    bulk: bool = False  # settings may come in bulk (see BULK_PYTHON)
    mailer: CodeReading | None = None  # Laravel's default mailer


class Reader(NamedTuple):
    """A language: the file endings it reads, the bytes a file must contain to be parsed at
    all (cheap to test on a big tree), and the parse."""

    language: str
    suffixes: tuple[str, ...]
    markers: tuple[bytes, ...]
    read: Callable[[str, str], ReadOutcome]
