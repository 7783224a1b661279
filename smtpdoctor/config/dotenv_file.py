"""The dotenv file as python-dotenv reads it, plus what python-dotenv glosses
over: unparsable lines, duplicate keys, a BOM, who may read it, git."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from smtpdoctor.model import Finding, Severity, frozen_params


class DotenvFile(NamedTuple):
    """A dotenv file as python-dotenv reads it, plus what the app cannot see."""

    shown_path: str
    values: Mapping[str, str]
    key_lines: Mapping[str, tuple[int, ...]] = MappingProxyType({})
    unparsable_lines: tuple[int, ...] = ()
    has_bom: bool = False
    others_can_read: bool = False
    tracked_by_git: bool = False
    # The file itself and its text as read, for `check --fix` to write back.
    path: Path | None = None
    text: str = ""


# A settings file is a few hundred lines; these bounds keep a wrong file (a log,
# a dump, /dev/zero) from costing memory or minutes before it is refused.
MAX_BYTES = 512 * 1024
MAX_LINES = 5000


class DotenvError(ValueError):
    """The dotenv file cannot be read at all; carries the finding to report."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.reason)
        self.finding = finding


def read_dotenv(path: Path, shown_path: str, *, check_git: bool = True) -> DotenvFile:
    """Read ``path`` with python-dotenv, and note what python-dotenv glosses over."""

    def fail(reason: str, **params: object) -> DotenvError:
        return DotenvError(Finding(Severity.ERROR, reason, frozen_params({"file": shown_path, **params})))

    text = _decoded(_read_bytes(path, fail), fail)
    # python-dotenv (and the logging it brings) once there is text to parse: not for a file
    # that cannot be read (a directory, /dev/null, a binary).
    import logging

    from dotenv import dotenv_values
    from dotenv.parser import parse_stream

    # python-dotenv logs each unparsable line to stderr; they are a finding of ours.
    logging.getLogger("dotenv").addHandler(logging.NullHandler())
    logging.getLogger("dotenv").propagate = False
    # python-dotenv skips a byte-order mark only since 1.2.3: skip it here, so the same file reads
    # the same on every version the dependency floor allows (the BOM is still reported).
    body = text.removeprefix("\ufeff")

    key_lines: dict[str, list[int]] = {}
    unparsable: list[int] = []
    for binding in parse_stream(io.StringIO(body)):
        line = binding.original.line
        if binding.error:
            unparsable.append(line)
        elif binding.key is not None:
            key_lines.setdefault(binding.key, []).append(line)
    # interpolate=True is python-dotenv's default, and so what the app sees.
    values = {k: v for k, v in dotenv_values(stream=io.StringIO(body)).items() if v is not None}
    mode = path.stat().st_mode
    return DotenvFile(
        shown_path=shown_path,
        values=values,
        key_lines={k: tuple(v) for k, v in key_lines.items()},
        unparsable_lines=tuple(unparsable),
        has_bom=text.startswith("\ufeff"),
        others_can_read=bool(mode & stat.S_IROTH) and os.name == "posix",
        tracked_by_git=check_git and _tracked_by_git(path),
        path=path,
        text=text,
    )


def _read_bytes(path: Path, fail: Callable[..., DotenvError]) -> bytes:
    try:
        # stat first: a FIFO must not block the read, a huge file must not be parsed.
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise fail("config.dotenv_unreadable", detail="§detail.dotenv_directory")
        if not stat.S_ISREG(info.st_mode):
            raise fail("config.dotenv_unreadable", detail="§detail.dotenv_not_regular")
        if info.st_size > MAX_BYTES:
            raise fail("config.dotenv_unreadable", detail="§detail.dotenv_too_big", size=f"{info.st_size:,}",
                       limit=MAX_BYTES // 1024)
        return path.read_bytes()[:MAX_BYTES + 1]
    except FileNotFoundError as exc:
        raise fail("config.dotenv_missing") from exc
    except OSError as exc:
        raise fail("config.dotenv_unreadable", detail=exc.strerror or str(exc)) from exc


def _decoded(raw: bytes, fail: Callable[..., DotenvError]) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise fail("config.dotenv_unreadable", detail="§detail.dotenv_utf16")
    if b"\x00" in raw:
        raise fail("config.dotenv_unreadable", detail="§detail.dotenv_binary")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail("config.dotenv_unreadable", detail="§detail.dotenv_not_utf8", byte=exc.start) from exc
    if text.count("\n") > MAX_LINES:
        # python-dotenv's parser slows quadratically: refuse before it starts.
        raise fail("config.dotenv_unreadable", detail="§detail.dotenv_too_many_lines", lines=f"{MAX_LINES:,}")
    return text


def _tracked_by_git(path: Path) -> bool:
    folder = path.resolve().parent
    if not any((p / ".git").exists() for p in (folder, *folder.parents)):
        return False
    import subprocess  # only inside a git work tree

    try:
        done = subprocess.run(
            ["git", "ls-files", "--error-unmatch", path.name],
            cwd=folder, capture_output=True, timeout=3, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0
