"""``check --fix``: write verified changes into the dotenv file, keeping every
comment, the order and the other keys, and a copy of the original beside it."""

from __future__ import annotations

import difflib
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from smtpdoctor.config.clients import MASK
from smtpdoctor.model import Finding, Report, Severity, frozen_params
from smtpdoctor.secret import Redactor

if TYPE_CHECKING:
    from smtpdoctor.config.preflight import Preflight

ASSIGNMENT = re.compile(r"^(?P<lead>\s*(?:export\s+)?)(?P<key>[A-Za-z_][A-Za-z0-9_.]*)(?P<eq>\s*=\s*)"
                        r"(?P<value>\"(?:[^\"\\]|\\.)*\"|'[^']*'|[^\s#]*)(?P<rest>.*)$")


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
        if name in environ:
            raise FixRefused("environment_wins", variable=name, file=path.name)
        if name in secrets or f":{MASK}@" in value:
            raise FixRefused("password", variable=name)
    try:
        current = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FixRefused("unreadable", file=path, error=exc) from exc
    if current != original:
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
    """``text`` with each changed key's last assignment (the one the app
    reads) rewritten in place, in the same quoting; new keys are appended."""
    lines = text.splitlines(keepends=True)
    last: dict[str, int] = {}
    for i, line in enumerate(lines):
        match = ASSIGNMENT.match(line.rstrip("\r\n"))
        if match and match["key"] in changes:
            last[match["key"]] = i
    for key, i in last.items():
        body = lines[i].rstrip("\r\n")
        ending = lines[i][len(body):]
        match = ASSIGNMENT.match(body)
        assert match is not None
        quote = match["value"][:1] if match["value"][:1] in ("'", '"') else ""
        lines[i] = f"{match['lead']}{key}{match['eq']}{quote}{changes[key]}{quote}{match['rest']}{ending}"
    added = [f"{key}={value}\n" for key, value in changes.items() if key not in last]
    if added and lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return "".join(lines + added)


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
        return replace(report, findings=(*report.findings, refusal)), None
    return report, {"file": applied.file, "backup": applied.backup, "changes": dict(applied.changes),
                    "diff": applied.diff}
