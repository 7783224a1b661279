"""The text report's lines as values, and the two ways they are printed.

A terminal (and a CI log that asks for colour with FORCE_COLOR) gets them through rich.
A pipe, a file, journald or pm2 gets plain text from a few lines of code here: importing
rich costs some 40 ms, a fifth of a whole passing check, for output that has no colour.
Both wrap at the same width and keep a line's indentation on the lines it wraps onto.
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Protocol, TextIO, cast

from smtpdoctor.views.console import (
    NullStream,
    SafeStream,
    encodable,
    forced_colour,
    make_console,
    width_for,
    wrap_kept,
)

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text


class Line:
    """A line of words, each run with a style (rich's style words: "bold red", "dim"), and a
    style for the whole line."""

    __slots__ = ("spans", "style")

    def __init__(self, text: str = "", style: str = "") -> None:
        self.style = style
        self.spans: list[tuple[str, str]] = [(text, "")] if text else []

    def append(self, text: str, style: str = "") -> Line:
        self.spans.append((text, style))
        return self

    def append_text(self, other: Line) -> Line:
        """``other``'s words after these, each keeping ``other``'s own line style."""
        self.spans += [(text, f"{other.style} {style}".strip()) for text, style in other.spans]
        return self

    @property
    def plain(self) -> str:
        return "".join(text for text, _ in self.spans)


class Out(Protocol):
    def line(self, line: Line, *, hang: bool = False) -> None:
        """Print ``line``; ``hang``: the lines it wraps onto start under its first word."""


# A line's status mark (a probe's ✓ dns, a finding's ! …) where the output's encoding has no ✓
# or ✗ (a GBK or cp1252 console): words of one width, so the probe names stay in a column.
ASCII_MARKS = {"✓": "OK  ", "✗": "FAIL", "!": "!   ", "-": "-   ", "i": "i   "}
_MARK = re.compile(r"^( +)([✓✗!\-i]) (?=\S)")  # indented: the verdict line has no column


def aligned_marks(text: str, encoding: str) -> str:
    """``text`` with its leading mark spelled in ASCII of one width, if ``encoding`` cannot
    hold ✓ and ✗ (the stream would degrade them to OK and FAIL, two widths)."""
    if encodable("✓✗", encoding) == "✓✗":
        return text
    return _MARK.sub(lambda m: m.group(1) + ASCII_MARKS[m.group(2)] + " ", text)


class PlainOut:
    """Lines as plain text, wrapped at COLUMNS (else 100), never cut inside a word."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = SafeStream(stream, trim=True) if stream is not None else NullStream()
        self.width = width_for(None)

    def line(self, line: Line, *, hang: bool = False) -> None:
        text = aligned_marks(line.plain, getattr(self.stream, "encoding", None) or "utf-8")
        for part in text.split("\n"):
            lead = " " * (len(part) - len(part.lstrip(" ")))
            for wrapped in wrap_kept(part[len(lead):], self.width, lead, lead if hang else ""):
                self.stream.write(wrapped + "\n")
        self.stream.flush()


class RichOut:
    """Lines through rich: colour, and a terminal's own width."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def line(self, line: Line, *, hang: bool = False) -> None:
        encoding = getattr(self.console.file, "encoding", None) or "utf-8"
        first, style = line.spans[0] if line.spans else ("", "")
        marked = aligned_marks(first, encoding)
        if marked != first:  # a copy: the line may be printed again elsewhere
            line, spans = Line(style=line.style), line.spans
            line.spans = [(marked, style), *spans[1:]]
        text = rich_text(line)
        if not hang:
            self.console.print(text)
            return
        from rich.padding import Padding

        plain = text.plain
        indent = len(plain) - len(plain.lstrip(" "))
        self.console.print(Padding(text[indent:], (0, 0, 0, indent), expand=False))


def rich_text(line: Line) -> Text:
    from rich.text import Text

    text = Text(style=line.style)
    for words, style in line.spans:
        text.append(words, style=style)
    return text


def text_out() -> Out:
    """Where the text report goes: plain text off a terminal unless colour is asked for."""
    stream = sys.stdout
    if stream is None:
        return PlainOut(None)
    if not stream.isatty() and not forced_colour():
        return PlainOut(cast(TextIO, stream))
    return RichOut(make_console())
