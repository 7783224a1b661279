"""From the app's code readings to the values its client sees, and back: the variable values
that make the code give what a fix wants."""

from __future__ import annotations

import math
from collections.abc import Mapping
from itertools import product

from smtpdoctor.config.families import FAMILIES
from smtpdoctor.config.reading import parse_bool
from smtpdoctor.config.values import AppCode, CodeRaises, CodeReading

BOOL_KEYS = frozenset(k for f in FAMILIES for k in (*f.ssl_flags, *f.starttls_flags))
PORT_KEYS = frozenset(k for f in FAMILIES for k in f.port)
# The spellings a fix may write for a boolean, the plainest first.
BOOL_SPELLINGS = ("true", "false", "True", "False", "1", "0", "yes", "no", "on", "off")


def truthy(value: object, language: str) -> bool:
    """``if value:`` in the app's language: ``'false'`` is true in Python and JavaScript,
    ``'0'`` is false in PHP, NaN is false in JavaScript."""
    if value is None:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    if language == "php" and value == "0":
        return False
    return bool(value)


def as_text(reading: CodeReading, value: object) -> str | None:
    """The value as the text smtpdoctor's readers take, or None for unset."""
    if value is None:
        return None
    if reading.key in BOOL_KEYS:
        return "true" if truthy(value, reading.language) else "false"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value) or (value == 0 and reading.language == "javascript"):
            return None  # nodemailer: Number(port) || its own default
        return str(int(value)) if value.is_integer() else str(value)
    if reading.key in PORT_KEYS and reading.language == "javascript" and isinstance(value, str):
        return _js_port(value)
    return str(value)


def _js_port(text: str) -> str | None:
    """nodemailer's ``Number(options.port) || default``."""
    try:
        number = float(text.strip()) if text.strip() else 0.0
    except ValueError:
        return None
    return str(int(number)) if number and number.is_integer() else None


def evaluate(reading: CodeReading, env: Mapping[str, str]) -> str | None:
    """The text the client sees for ``reading`` under ``env``; raises CodeRaises."""
    return as_text(reading, reading.evaluate(env))


def code_variables(code: AppCode) -> frozenset[str]:
    return frozenset(v for r in code.readings.values() for v in r.variables)


def encode(code: AppCode, env: Mapping[str, str], wanted: Mapping[str, str]) -> dict[str, str] | None:
    """Variable values that make the code give ``wanted`` (known key → text), changing as few
    variables as it can; None when no value of the variables the code reads does (a literal in
    the code, a variable it never reads, or only removing a variable would)."""
    choices: list[list[tuple[str, str] | None]] = []
    for key, text in wanted.items():
        reading = code.readings.get(key)
        if reading is None:
            choices.append([(key, text)])
            continue
        options: list[tuple[str, str] | None] = [None]  # another change may already give it
        for variable in reading.variables:
            spellings = BOOL_SPELLINGS if key in BOOL_KEYS else (text,)
            options += [(variable, s) for s in spellings]
        choices.append(options)
    best: dict[str, str] | None = None
    for combination in product(*choices):
        change: dict[str, str] = {}
        if any(c is not None and change.setdefault(c[0], c[1]) != c[1] for c in combination):
            continue
        if _gives(code, {**env, **change}, wanted) and (best is None or len(change) < len(best)):
            best = change
            if len(best) <= 1:
                break
    return best or None


def _gives(code: AppCode, env: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    for key, text in wanted.items():
        reading = code.readings.get(key)
        if reading is None:
            if env.get(key) != text:
                return False
            continue
        try:
            got = evaluate(reading, env)
        except CodeRaises:
            return False
        if key in BOOL_KEYS:
            if got != ("true" if parse_bool(text) else "false"):
                return False
        elif got != text:
            return False
    return True
