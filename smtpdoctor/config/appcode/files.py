"""Which files of the app folder are read, within a bound.

The walk goes level by level (a config file is near the top), skips what is never the app's own
configuration (dependencies, virtual environments, build caches, version control, tests) and
stops at ``MAX_FILES`` entries looked at, ``MAX_OPENED`` files opened or ``MAX_BYTES`` read; a
file is opened only when its name ends as a reader's does and it is no bigger than
``MAX_FILE_BYTES``, and parsed only when its bytes contain a reader's marker."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

SKIPPED_DIRS = frozenset({
    "node_modules", ".git", ".hg", ".svn", "__pycache__", ".venv", "venv", "env", ".env", ".tox",
    ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages", "vendor", "bower_components",
    "tests", "test", "__tests__", "spec", "migrations", "static", "public", "coverage", ".next",
    ".nuxt", "storage", "bootstrap", "target",
})
MAX_DEPTH = 4
MAX_FILES = 3000  # directory entries looked at (names only)
MAX_OPENED = 400  # files opened (the readers' endings only)
MAX_FILE_BYTES = 256 * 1024
MAX_BYTES = 4 * 1024 * 1024  # bytes read in all


def candidate_files(folder: Path, suffixes: tuple[str, ...]) -> Iterator[tuple[Path, int]]:
    """(path, size) of each file under ``folder`` whose name ends in one of ``suffixes``, the
    shallowest first, within the bound. ``scanned`` files are counted by the caller."""
    seen = 0
    level = [folder]
    for _depth in range(MAX_DEPTH + 1):
        below: list[Path] = []
        for directory in level:
            try:
                entries = sorted(os.scandir(directory), key=lambda e: e.name)
            except OSError:
                continue
            for entry in entries:
                seen += 1
                if seen > MAX_FILES:
                    return
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name not in SKIPPED_DIRS and not _is_virtualenv(entry.path):
                            below.append(Path(entry.path))
                    elif entry.name.endswith(suffixes) and entry.is_file():
                        size = entry.stat().st_size
                        if size <= MAX_FILE_BYTES and not entry.name.endswith((".d.ts", ".min.js")):
                            yield Path(entry.path), size
                except OSError:
                    continue
        level = below


def _is_virtualenv(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))
