"""The en/zh catalogues: ``reasons.toml`` (a reason's code, message and remedy) and
``phrases.toml`` (every other sentence), and filling a phrase. Plain lookups on the ground:
which sentence a report shows, and in which language, is for the views to decide."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from smtpdoctor.basics import ErrorCode
from smtpdoctor.tables import load_table

# The catalogues sit in the package folder, in a checkout and in the installed wheel alike.
PACKAGE = Path(__file__).resolve().parent
LANGS = ("en", "zh")


@cache
def catalog() -> Mapping[str, Mapping[str, Any]]:
    return load_table(PACKAGE / "reasons.toml")


@cache
def phrases() -> Mapping[str, Mapping[str, str]]:
    return load_table(PACKAGE / "phrases.toml")


def phrase(key: str, lang: str, /, **params: object) -> str:
    """A sentence from ``phrases.toml`` in ``lang``, filled with ``params``; a parameter
    NAME_en or NAME_zh fills NAME in that language."""
    values = Blank({k: str(v) for k, v in params.items()})
    suffix = f"_{lang}"
    for name in [k for k in values if k.endswith(suffix)]:
        values[name[: -len(suffix)]] = values[name]
    return tidy(phrases()[key][lang].format_map(values), lang)


# A parameter whose value starts with this names a phrase, shown in the report's language.
PHRASE_MARK = "§"


# Chinese characters, and the punctuation and full-width forms that go with them.
CJK = r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]"


@cache
def _pattern(name: str) -> re.Pattern[str]:
    """Compiled on first use: Unicode ranges take milliseconds to compile, and most runs
    (English, `--help`) never need them."""
    return re.compile({"cjk": CJK, "stray_space": f"(?<={CJK}) +(?={CJK})"}[name])


def _is_cjk(char: str) -> bool:
    return char >= "\u3000" and _pattern("cjk").match(char) is not None


def tidy(text: str, lang: str) -> str:
    """Filled Chinese text without a space between two Chinese characters: a template puts
    spaces around a value ("而 {provider} 不允许"), right when the value is Latin ("Gmail"),
    stray when it is Chinese at that edge ("QQ 邮箱")."""
    return _pattern("stray_space").sub("", text) if lang == "zh" else text


def join_text(*parts: str) -> str:
    """Sentences side by side: a space between them, except where Chinese meets Chinese
    (a space after "。" or before "修复" is a stray one)."""
    out = ""
    for part in filter(None, parts):
        if out and not (_is_cjk(out[-1]) and _is_cjk(part[0])):
            out += " "
        out += part
    return out


def code_for(reason: str) -> ErrorCode:
    return ErrorCode(catalog()[reason]["code"])


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


