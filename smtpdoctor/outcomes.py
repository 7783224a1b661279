"""Result values only some runs make, apart from ``model`` so a passing check never defines
them: what the fix engine tried and verified for a failure, and a retry. ``model`` still
gives them under their old names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from smtpdoctor.basics import EMPTY as _EMPTY


class FixTrial(NamedTuple):
    """A change that worked on the wire in this run: through ``port`` in ``mode``, or with
    ``host``, or a sender change; ``login`` is what AUTH did there (``passed``, ``refused``,
    or ``""`` without credentials)."""

    changes: Mapping[str, str]
    port: int = 0
    mode: str = ""
    host: str = ""
    login: str = ""


class Tried(NamedTuple):
    """A trial that did not work: where (a port, a host, or ``""``), and a "fix.*" phrase key
    with what fills it (``§`` values name phrases)."""

    where: str
    what: str
    params: Mapping[str, str] = _EMPTY


class FixSearch(NamedTuple):
    """What the fix engine did for one failure: the verified changes, best first, and what
    it tried that failed."""

    verified: tuple[FixTrial, ...] = ()
    tried: tuple[Tried, ...] = ()


class Retry(NamedTuple):
    """A failed attempt that will be tried again after ``delay`` seconds (--retries)."""

    probe: str
    attempt: int
    reason: str
    retries: int
    delay: float
