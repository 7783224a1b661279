"""Where the words go: consoles for a terminal, a pipe, a CI log or journald,
in any output encoding, with no text lost and no crash.

Off a terminal, lines wrap at ``COLUMNS`` (else 100) and are never cropped;
trailing spaces and colour codes are dropped. A character the stream cannot
encode degrades (``✓`` → ``OK``, other text → ``\\uXXXX`` escapes) rather than
raising, so a GBK or cp1252 console never turns a verdict into a crash.
"""

from __future__ import annotations

import errno
import io
import os
import re
import sys
from typing import IO, TYPE_CHECKING, Any, TextIO, cast

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from rich.console import Console

DEFAULT_WIDTH = 100
# Symbols the report uses, and what they become where they cannot be encoded.
FALLBACKS = {"✓": "OK", "✗": "FAIL", "→": "->", "←": "<-", "·": "-", "—": "-", "–": "-",
             "…": "...", "“": '"', "”": '"', "‘": "'", "’": "'", "•": "*"}


class SafeStream(io.TextIOBase):
    """A text stream over ``stream`` that never raises for an unencodable
    character and, off a terminal, drops the spaces rich pads lines with."""

    def __init__(self, stream: TextIO, *, trim: bool) -> None:
        super().__init__()
        self.stream = stream
        self.trim = trim
        self.pending = ""
        self._encoding = getattr(stream, "encoding", None) or "utf-8"

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding

    def write(self, text: str) -> int:
        if not self.trim:
            self.stream.write(encodable(text, self._encoding))
            return len(text)
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            self.stream.write(encodable(_trimmed(line), self._encoding) + "\n")
        return len(text)

    def flush(self) -> None:
        if self.pending.strip():
            self.stream.write(encodable(_trimmed(self.pending), self._encoding))
        self.pending = ""
        self.stream.flush()

    def isatty(self) -> bool:
        return bool(self.stream.isatty())


def encodable(text: str, encoding: str) -> str:
    """``text`` with what ``encoding`` cannot hold degraded, never an error."""
    try:
        text.encode(encoding)
        return text
    except (UnicodeEncodeError, LookupError):
        pass
    for symbol, plain in FALLBACKS.items():
        if symbol in text:
            try:
                symbol.encode(encoding)
            except (UnicodeEncodeError, LookupError):
                text = text.replace(symbol, plain)
    try:
        return text.encode(encoding, "backslashreplace").decode(encoding)
    except LookupError:
        return text.encode("ascii", "backslashreplace").decode("ascii")


class NullStream(io.TextIOBase):
    """Where output goes when stdout is closed (``>&-``)."""

    def write(self, text: str) -> int:
        return len(text)


def make_console(stderr: bool = False) -> Console:
    from rich.console import Console

    class VerdictConsole(Console):
        def on_broken_pipe(self) -> None:
            # rich's own handling exits 1; the caller keeps the verdict's code instead.
            raise BrokenPipeError(errno.EPIPE, "the reader closed the pipe")

    stream: TextIO | None = sys.stderr if stderr else sys.stdout
    if stream is None:
        return VerdictConsole(file=cast(TextIO, NullStream()), color_system=None)
    terminal = stream.isatty()
    if terminal:
        return VerdictConsole(file=cast(TextIO, SafeStream(stream, trim=False)), highlight=False,
                       emoji=False, force_terminal=True)
    if forced_colour():
        # A CI log that renders colour (GitHub Actions) asks with FORCE_COLOR: colour only, never
        # a terminal's cursor movements or a spinner, and the width of a pipe.
        return VerdictConsole(file=cast(TextIO, SafeStream(stream, trim=True)), highlight=False,
                              emoji=False, width=width_for(None), color_system="standard",
                              force_terminal=True, force_interactive=False)
    return VerdictConsole(file=cast(TextIO, SafeStream(stream, trim=True)), highlight=False, emoji=False,
                   width=width_for(None), color_system=None, force_terminal=False, force_interactive=False)


# Colour codes at the end of a line (FORCE_COLOR): trailing spaces before them are trailing too.
_TRAILING = re.compile(r"[ \t]+((?:\x1b\[[0-9;]*m)*)$")


def _trimmed(line: str) -> str:
    return _TRAILING.sub(r"\1", line.rstrip())


def forced_colour() -> bool:
    """FORCE_COLOR set to anything but empty or 0, and no NO_COLOR (which wins: no-color.org)."""
    return os.environ.get("FORCE_COLOR", "") not in ("", "0") and not os.environ.get("NO_COLOR")


def is_terminal(stream: IO[str] | None) -> bool:
    return stream is not None and stream.isatty()


def emit_json(document: dict[str, Any], *, indent: int | None = 2) -> None:
    """One JSON document on stdout; escaped wherever the encoding needs it.
    ``indent=None``: one line, for documents of hundreds of accounts."""
    import json

    stream = sys.stdout
    if stream is None:
        return
    encoding = getattr(stream, "encoding", None) or "utf-8"
    text = json.dumps(document, ensure_ascii=False, indent=indent)
    if encodable(text, encoding) != text:
        text = json.dumps(document, ensure_ascii=True, indent=indent)
    stream.write(text + "\n")
    stream.flush()


def emit_json_listing(head: dict[str, Any], key: str, items: Callable[[], Iterable[dict[str, Any]]]) -> None:
    """``emit_json({**head, key: list(items())}, indent=None)``, the same bytes, without holding
    the documents: each item of ``key`` (the last) is made and dumped in turn, and only its text
    is kept until the write (a thousand accounts' documents took ~16 MiB as objects). The text
    is kept because the ASCII escapes are all or nothing: any item the encoding cannot hold and
    the lot is dumped again, escaped."""
    import json

    stream = sys.stdout
    if stream is None:
        return
    encoding = getattr(stream, "encoding", None) or "utf-8"
    for ensure_ascii in (False, True):
        opening = json.dumps({**head, key: []}, ensure_ascii=ensure_ascii)
        parts = [json.dumps(item, ensure_ascii=ensure_ascii) for item in items()]
        if not ensure_ascii and any(encodable(text, encoding) != text for text in (opening, *parts)):
            continue
        stream.write(opening[:-2])  # '…, "accounts": [' without its closing ']}'
        for at, text in enumerate(parts):
            stream.write(", " + text if at else text)
        stream.write("]}\n")
        stream.flush()
        return


def width_for(stream: IO[str] | None) -> int:
    """The width to wrap at: the terminal's, else COLUMNS, else a sane default."""
    if is_terminal(stream):
        return terminal_columns(DEFAULT_WIDTH)
    columns = _columns_variable()
    return columns if columns >= 40 else DEFAULT_WIDTH


def _columns_variable() -> int:
    """COLUMNS as shutil reads it (``int()``: " 90", "+90"), 0 when unset or not a number ("²")."""
    try:
        return int(os.environ.get("COLUMNS", ""))
    except ValueError:
        return 0


def terminal_columns(fallback: int) -> int:
    """The columns ``shutil.get_terminal_size()`` gives (COLUMNS, else the terminal's, else
    ``fallback``), without importing shutil: bz2 and lzma come with it, ~8 ms of ``--help``
    (click 8.2 and later import it only when given no width)."""
    if (columns := _columns_variable()) > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or fallback  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):  # no stdout (pythonw), a closed one, a pipe
        return fallback


def help_width(max_width: int) -> int:
    """The width click's help formatter picks when given none: the columns, at most
    ``max_width``, less two, at least 50."""
    return max(min(terminal_columns(80), max_width) - 2, 50)


def cells(text: str) -> int:
    """Columns ``text`` takes on a terminal: CJK characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# A run of spaces; a word; or one CJK character (CJK text breaks between characters, not at
# spaces). Closing punctuation never starts a line: it stays with what it follows. Compiled
# when first needed (its CJK ranges cost ~4 ms to compile, more than many commands' whole
# output): text below U+2E80, which has no CJK character and no closing punctuation, is
# only words and spaces.
_CJK_TOKEN = r"[\u2e80-\u9fff\uf900-\ufaff]|[^\s\u2e80-\u9fff\uf900-\ufaff]+|\s+"
_WORD_OR_SPACE = re.compile(r"\S+|\s+")
_CLOSING = frozenset("，。；：、）」』】！？")


def _tokens(text: str) -> list[str]:
    if not text or max(text) < "\u2e80":
        return _WORD_OR_SPACE.findall(text)
    tokens: list[str] = []
    for token in re.findall(_CJK_TOKEN, text):
        if token[0] in _CLOSING and tokens and not tokens[-1].isspace():
            tokens[-1] += token
        else:
            tokens.append(token)
    return tokens


def wrap_kept(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    """``text`` in lines of at most ``width`` columns, the first starting with ``first`` and
    the lines it wraps onto with ``rest``. Spaces inside a line are kept as they are (columns
    stay aligned); a word longer than a line (a URL) gets a line of its own, never cut."""
    lines: list[str] = []
    line, used, start = first, cells(first), len(first)
    for token in _tokens(text):
        if token.isspace():
            if len(line) > start:
                line, used = line + token, used + len(token)
            continue
        size = cells(token)
        if used + size > width and len(line.rstrip()) > start:
            lines.append(line.rstrip())
            line, used, start = rest, cells(rest), len(rest)
        line, used = line + token, used + size
    lines.append(line.rstrip())
    return lines


def wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    """``text`` as prose: its runs of spaces made one, then wrapped as :func:`wrap_kept` does."""
    return wrap_kept(" ".join(text.split()), width, first, rest)


def write_lines(lines: list[str]) -> None:
    """Plain lines on stdout, for output that needs no layout (and no rich)."""
    stream = sys.stdout
    if stream is None:
        return
    out = SafeStream(stream, trim=True)
    for line in lines:
        out.write(line + "\n")
    out.flush()


def echo_error(message: str) -> None:
    """A line on stderr that no encoding can turn into a crash."""
    stream = sys.stderr
    if stream is None:
        return
    try:
        stream.write(encodable(message, getattr(stream, "encoding", None) or "utf-8") + "\n")
        stream.flush()
    except OSError:
        pass


def silence_stdout() -> None:
    """After a broken pipe or a full disk: point fd 1 at /dev/null, so the
    interpreter's last flush cannot fail and change the exit code."""
    stream = sys.stdout
    if stream is None:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        sys.stdout = None
