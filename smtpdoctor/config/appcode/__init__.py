"""The app's own mail-configuration code, read and never run (see ``python``, ``javascript``
and ``php``): what it makes of each variable, its defaults, and what it never reads.

``read_app_code(folder)`` walks the folder within the bound in ``files`` and gives an AppCode.
A setting read differently in two places (two config classes, two transports) is a note, not
a reading: which one runs is decided at run time."""

from __future__ import annotations

import importlib.util
from collections import defaultdict
from pathlib import Path

from smtpdoctor.config.appcode.files import MAX_BYTES, MAX_OPENED, candidate_files
from smtpdoctor.config.appcode.values import BULK_PYTHON, Reader, ReadOutcome
from smtpdoctor.config.families import FAMILY_BY_ID, LARAVEL_TLS_KEYS
from smtpdoctor.config.values import AppCode, CodeNote, CodeReading

# The families whose settings a language's readings configure, for "never read" findings.
LANGUAGE_FAMILIES = {"python": ("flask-mail", "django"), "javascript": ("nodemailer",),
                     "php": ("laravel",)}


def readers() -> tuple[list[Reader], list[str]]:
    """The readers this install has, and the languages it cannot read (no tree-sitter). A
    parser's module (ast, tree-sitter) is imported when a file with its marker is read: a
    folder with no mail code (a .env beside a script) costs a walk and no import."""
    found: list[Reader] = [Reader("python", (".py",), PYTHON_MARKERS, _read_python)]
    missing: list[str] = []
    if importlib.util.find_spec("tree_sitter") is not None:
        if importlib.util.find_spec("tree_sitter_javascript"):
            found.append(Reader("javascript", (".js", ".mjs", ".cjs") + ((".ts", ".mts", ".cts")
                         if importlib.util.find_spec("tree_sitter_typescript") else ()),
                                (b"createTransport",), _read_javascript))
        else:
            missing.append("javascript")
        if importlib.util.find_spec("tree_sitter_php"):
            found.append(Reader("php", ("mail.php",), (b"mailers", b"MAIL_"), _read_php))
        else:
            missing.append("php")
    else:
        missing = ["javascript", "php"]
    return found, missing


# The bytes a Python file must hold to be parsed: a mail variable's prefix, or settings in bulk.
PYTHON_MARKERS = (b"MAIL_", b"EMAIL_", b"SMTP_", *(w.encode() for w in BULK_PYTHON))


def _read_python(text: str, shown: str) -> ReadOutcome:
    from smtpdoctor.config.appcode.python import read_python

    return read_python(text, shown)


def _read_javascript(text: str, shown: str) -> ReadOutcome:
    from smtpdoctor.config.appcode.treesitter import read_javascript

    return read_javascript(text, shown)


def _read_php(text: str, shown: str) -> ReadOutcome:
    from smtpdoctor.config.appcode.treesitter import read_php

    return read_php(text, shown)


# Folders that are never an app's: an env file named there (/dev/null, /proc/self/fd/…) says
# nothing about where the code is.
NOT_APP_FOLDERS = frozenset({"/", "/dev", "/proc", "/sys"})


def read_app_code(folder: Path) -> AppCode | None:
    """What the code under ``folder`` says about the mail settings, or None when no file
    reads any."""
    resolved = folder.resolve()
    if str(resolved) in NOT_APP_FOLDERS or resolved.parts[1:2] in (("proc",), ("sys",), ("dev",)):
        return None
    found, missing = readers()
    suffixes = tuple(s for r in found for s in r.suffixes)
    missing_suffixes = {"javascript": (".js", ".mjs", ".cjs", ".ts"), "php": (".php",)}
    by_suffix = {s: r for r in found for s in r.suffixes}
    outcomes: list[tuple[str, ReadOutcome]] = []
    scanned = total = 0
    skipped: set[str] = set()
    all_suffixes = suffixes + tuple(s for lang in missing for s in missing_suffixes.get(lang, ()))
    for path, size in candidate_files(folder, all_suffixes):
        if scanned >= MAX_OPENED:
            break
        scanned += 1
        reader = next((r for s, r in by_suffix.items() if path.name.endswith(s)), None)
        if reader is None:
            lang = next(lang for lang in missing if path.name.endswith(missing_suffixes[lang]))
            if _mentions_mail(path, lang):
                skipped.add(lang)
            continue
        if total + size > MAX_BYTES:
            break
        try:
            data = path.read_bytes()
        except OSError:
            continue
        total += len(data)
        if not any(m in data for m in reader.markers):
            continue
        shown = path.relative_to(folder).as_posix()
        outcome = reader.read(data.decode("utf-8", errors="replace"), shown)
        if outcome.readings or outcome.notes or outcome.mailer:
            outcomes.append((reader.language, outcome))
        elif outcome.mentioned or outcome.bulk:
            outcomes.append((reader.language, ReadOutcome(mentioned=outcome.mentioned, bulk=outcome.bulk)))
    if not any(o.readings or o.notes or o.mailer for _, o in outcomes):
        return AppCode(scanned=scanned, bytes_read=total, skipped=tuple(sorted(skipped))) if skipped else None
    return _combined(outcomes, scanned, total, tuple(sorted(skipped)))


def _mentions_mail(path: Path, language: str) -> bool:
    try:
        data = path.read_bytes()[:65536]
    except OSError:
        return False
    return (b"createTransport" in data) if language == "javascript" else path.name == "mail.php"


# Values a variable is tried with to tell whether two readings mean the same (a TypeScript
# source and the JavaScript compiled from it are written differently).
PROBE_VALUES = (None, "", "true", "false", "True", "1", "0", "yes", "465", "587", "abc")


def _same(a: CodeReading, b: CodeReading) -> bool:
    from smtpdoctor.config.appcode.evaluate import evaluate
    from smtpdoctor.config.values import CodeRaises

    if a.source == b.source:
        return True
    if a.variables != b.variables or len(a.variables) > 1:
        return False
    for value in PROBE_VALUES:
        env = {a.variables[0]: value} if a.variables and value is not None else {}
        try:
            left: object = evaluate(a, env)
        except CodeRaises as exc:
            left = exc.args
        try:
            right: object = evaluate(b, env)
        except CodeRaises as exc:
            right = exc.args
        if left != right:
            return False
    return True


def _combined(outcomes: list[tuple[str, ReadOutcome]], scanned: int, total: int,
              skipped: tuple[str, ...]) -> AppCode:
    by_key: dict[str, list[CodeReading]] = defaultdict(list)
    notes: list[CodeNote] = []
    mentioned: set[str] = set()
    bulk = False
    languages: set[str] = set()
    mailer: CodeReading | None = None
    for language, outcome in outcomes:
        for reading in outcome.readings:
            by_key[reading.key].append(reading)
        notes += outcome.notes
        mentioned |= outcome.mentioned
        bulk = bulk or outcome.bulk
        if outcome.readings or outcome.mailer:
            languages.add(language)
        mailer = mailer or outcome.mailer
    readings: dict[str, CodeReading] = {}
    for key, found in by_key.items():
        if all(_same(found[0], r) for r in found[1:]) and key not in {n.key for n in notes}:
            readings[key] = found[0]
        else:
            # Read in two ways (two config classes, a transport per environment): run time decides.
            notes += [CodeNote(r.file, r.line, key, r.source) for r in found]
    if mailer is not None:
        readings["MAIL_MAILER"] = mailer
    ignored: dict[str, str] = {}
    if not bulk:
        for language in sorted(languages):
            for family_id in LANGUAGE_FAMILIES[language]:
                family = FAMILY_BY_ID[family_id]
                own = [r for k, r in readings.items() if k in family.variables() and r.language == language]
                if not own:
                    continue
                keys = (*family.host, *family.port, *family.user, *family.password, *family.ssl_flags,
                        *family.starttls_flags, *(LARAVEL_TLS_KEYS if family_id == "laravel" else ()))
                for key in keys:
                    if key not in readings and key not in mentioned:
                        ignored.setdefault(key, own[0].file)
    files = tuple(dict.fromkeys(r.file for r in readings.values()))
    return AppCode(readings=readings, ignored=ignored, notes=tuple(notes), files=files,
                   scanned=scanned, bytes_read=total, skipped=skipped)
