"""``check --fix``: write verified changes into the dotenv file, keeping every
comment, the order and the other keys, and a copy of the original beside it."""

from __future__ import annotations

import difflib
import hashlib
import io
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from smtpdoctor.config.clients import MASK
from smtpdoctor.model import Finding, Report, Severity, frozen_params
from smtpdoctor.secret import Redactor

if TYPE_CHECKING:
    from smtpdoctor.config.preflight import Preflight

class FixRefused(ValueError):
    """Why nothing was written: a "fix_refused.*" phrase and what fills it."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(f"fix_refused.{key}")
        self.key, self.params = key, {k: str(v) for k, v in params.items()}


@dataclass(frozen=True)
class Applied:
    file: str
    backup: str
    changes: Mapping[str, str]
    diff: str


def apply_changes(path: Path, original: str, changes: Mapping[str, str],
                  environ: Mapping[str, str], secrets: set[str],
                  redact: Callable[[str], str] = str) -> Applied:
    """Write ``changes`` into ``path`` (whose text was ``original`` when it was
    read). Raises FixRefused rather than write something the app would not see.
    The diff shows changed lines only (no context, where the password lives),
    passed through ``redact`` all the same."""
    for name, value in changes.items():
        if name.startswith("--"):
            raise FixRefused("option", variable=name, value=value, file=path.name)
        if "\\" in value or "\n" in value or "\r" in value:
            # python-dotenv versions read a backslash in quotes differently: never written.
            raise FixRefused("unsafe_value", variable=name)
        if name in environ:
            raise FixRefused("environment_wins", variable=name, file=path.name)
        if name in secrets or f":{MASK}@" in value:
            raise FixRefused("password", variable=name)
    try:
        current = path.read_bytes()
    except OSError as exc:
        raise FixRefused("unreadable", file=path, error=exc) from exc
    # The bytes as read, not text: a CRLF file read in text mode is never equal to itself.
    if hashlib.sha256(current).digest() != hashlib.sha256(original.encode("utf-8")).digest():
        raise FixRefused("changed", file=path)
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        raise FixRefused("not_writable", file=path)
    updated = edit(original, changes)
    backup = _backup_path(path)
    mode = path.stat().st_mode & 0o777
    _write(backup, original, mode)
    _write(path, updated, mode)
    diff = redact("".join(difflib.unified_diff(original.splitlines(keepends=True),
                                               updated.splitlines(keepends=True),
                                               fromfile=str(backup), tofile=str(path), n=0)))
    return Applied(str(path), str(backup), dict(changes), diff)


def edit(text: str, changes: Mapping[str, str]) -> str:
    """``text`` with each changed key's last assignment (the one the app reads) rewritten in
    place, in the same quoting where the value allows it; new keys are appended with the file's
    own line ending. The bindings are python-dotenv's own (``parse_stream``: each binding's
    exact text), so a line inside another key's quoted value is never taken for a key; every
    byte outside the named values is kept, a byte-order mark included."""
    from dotenv.parser import parse_stream

    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom):]
    chunks = [(b.key if not b.error else None, b.original.string) for b in parse_stream(io.StringIO(body))]
    last = {key: i for i, (key, _) in enumerate(chunks) if key is not None and key in changes}
    pieces = [chunk for _, chunk in chunks]
    for key, i in last.items():
        pieces[i] = _with_value(pieces[i], key, changes[key])
    ending = "\r\n" if "\r\n" in body else "\n"
    added = [f"{key}={_quoted(value, '')}{ending}" for key, value in changes.items() if key not in last]
    out = "".join(pieces)
    if added and out and not out.endswith(("\n", "\r")):
        out += ending
    return bom + out + "".join(added)


# One binding's text as python-dotenv consumed it: leading blank space, `export`, the key, `=`,
# the value (single- or double-quoted, a double-quoted one across lines; or bare, up to a
# comment that follows whitespace), then the rest of the line.
BINDING = re.compile(r"""(?P<lead>\s*(?:export[ \t]+)?)(?P<key>[^\s=]+)(?P<eq>[ \t]*=[ \t]*)
    (?P<value>'(?:\\'|[^'])*'|"(?:\\"|[^"])*"|[^\r\n]*?)
    (?P<rest>[ \t]*(?:(?<=[ \t])\#[^\r\n]*|(?<=['"])\#[^\r\n]*)?[ \t]*(?:\r\n|\n|\r)?)\Z""",
                     re.VERBOSE | re.DOTALL)


def _with_value(chunk: str, key: str, value: str) -> str:
    match = BINDING.fullmatch(chunk)
    if match is None or match["key"] != key:
        # `KEY` alone (no `=`): the value goes after the key, before the line's end.
        body = chunk.rstrip("\r\n")
        return f"{body}={_quoted(value, '')}{chunk[len(body):]}"
    quote = match["value"][:1] if match["value"][:1] in ("'", '"') else ""
    return f"{match['lead']}{key}{match['eq']}{_quoted(value, quote)}{match['rest']}"


def _quoted(value: str, quote: str) -> str:
    """``value`` in ``quote`` (the original's), or the quoting python-dotenv reads back exactly."""
    if quote == "'" and "'" not in value and "\\" not in value:  # \\ and \' are escapes even there
        return f"'{value}'"
    # An empty value is quoted: python-dotenv 1.0 reads `A=  # note` as "# note".
    if quote == "" and re.fullmatch(r"[^\s'\"#\\]+", value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _backup_path(path: Path) -> Path:
    candidate = path.with_name(path.name + ".bak")
    n = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.bak.{n}")
        n += 1
    return candidate


def _write(path: Path, text: str, mode: int) -> None:
    """Atomically, with the original's permissions (a dotenv holds a password)."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_fixes(report: Report, preflight: Preflight) -> tuple[Report, dict[str, object] | None]:
    """Write the report's verified changes into the dotenv file. On refusal the
    report gains a ``config.fix_refused`` error (exit 2) and nothing is written."""
    changes: dict[str, str] = {}
    for fix in report.fixes:
        changes |= fix.changes
    if not changes:
        if not report.ok:
            # Said, so a gate's log never leaves "was it written?" open.
            unwritten = Finding(Severity.INFO, "config.fix_nothing_verified", frozen_params({}))
            return report._replace(findings=(*report.findings, unwritten)), None
        return report, None
    dotenv = preflight.dotenv
    s = preflight.settings
    secrets = {s.variable("password")}
    try:
        if dotenv is None or dotenv.path is None:
            raise FixRefused("no_file")
        if dotenv.unparsable_lines:
            raise FixRefused("unparsable", file=dotenv.shown_path)
        applied = apply_changes(Path(dotenv.path), dotenv.text, changes, preflight.environ, secrets,
                                Redactor(s.username, s.password).clean)
    except FixRefused as exc:
        refusal = Finding(Severity.ERROR, "config.fix_refused",
                          frozen_params({**exc.params, "detail": f"§fix_refused.{exc.key}"}))
        return report._replace(findings=(*report.findings, refusal)), None
    return report, {"file": applied.file, "backup": applied.backup, "changes": dict(applied.changes),
                    "diff": applied.diff}
