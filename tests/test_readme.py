"""The README and docs/ as a reader uses them: every example command is one smtpdoctor has; the
offline ones run through the installed console script and exit as the docs say, printing the output
the docs show; the test command is the one CI runs; every relative link resolves."""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, *DOCS]
SCRIPT = Path(sys.executable).parent / "smtpdoctor"
SHELL_BLOCKS = {"sh", "bash", "console"}
NETWORK = {"check", "send-test", "domain"}  # never run here: these connect
OPERATORS = {"|", "||", "&", "&&", ";", ">", ">>", "<", "2>", "2>&1"}
# Settings that pass the offline lint, for an example that shows no .env of its own.
GOOD_DOTENV = ("MAIL_SERVER=smtp.qq.com\nMAIL_PORT=465\nMAIL_USE_SSL=True\nMAIL_USERNAME=123456@qq.com\n"
               "MAIL_PASSWORD=abcdefghijklmnop\nMAIL_DEFAULT_SENDER=123456@qq.com\n")


@dataclass(frozen=True)
class Block:
    lang: str
    line: int  # of the opening fence, 1-based
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Example:
    page: Path
    line: int
    text: str  # the whole command line as written, comment removed
    argv: tuple[str, ...]  # smtpdoctor's arguments, up to the first shell operator
    piped: bool
    shown: tuple[str, ...]  # the output a console block shows under it
    exit_code: int  # from `$ echo $?` below it; 0 when the docs show none
    dotenv: str | None  # the last `# .env` block above it on the same page

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(text: str) -> list[Block]:
    found, lang, start, body = [], None, 0, []
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            if lang is None:
                lang, start, body = line[3:].strip(), number, []
            else:
                found.append(Block(lang, start, tuple(body)))
                lang = None
        elif lang is not None:
            body.append(line)
    assert lang is None, f"unclosed code block at line {start}"
    return found


def split(command: str) -> tuple[str, list[str]]:
    """The command without its comment, and its words up to the first shell operator."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    words = list(lexer)
    cut = next((i for i, w in enumerate(words) if w in OPERATORS), len(words))
    text = command.split(" #")[0].rstrip() if " #" in command else command
    return text, words[:cut] + (["|"] if "|" in words[cut:] else [])


def commands_of(block: Block) -> list[tuple[int, str, list[str], int]]:
    """Each smtpdoctor command of a shell block: its line, its text, the output shown under it (in a
    console block) and the exit code a `$ echo $?` below it shows (0 when none)."""
    found: list[tuple[int, str, list[str], int]] = []
    lines = list(block.lines)
    ours = False  # whether the output lines below belong to a smtpdoctor command
    i = 0
    while i < len(lines):
        number, raw = block.line + 1 + i, lines[i]
        while raw.endswith("\\") and i + 1 < len(lines):  # a continued command line
            i += 1
            raw = raw[:-1] + " " + lines[i].strip()
        if block.lang != "console":
            if raw.strip().startswith("smtpdoctor "):
                found.append((number, raw.strip(), [], 0))
        elif raw == "$ echo $?" and ours and i + 1 < len(lines):
            found[-1] = (*found[-1][:3], int(lines[i + 1]))
            i += 1
        elif raw.startswith("$ "):
            ours = raw.startswith("$ smtpdoctor ")
            if ours:
                found.append((number, raw[2:], [], 0))
        elif ours:
            found[-1][2].append(raw)
        i += 1
    return found


def examples_of(page: Path) -> list[Example]:
    found: list[Example] = []
    dotenv = None
    for block in blocks(page.read_text(encoding="utf-8")):
        if block.lines[:1] == ("# .env",):
            dotenv = "\n".join(block.lines[1:]) + "\n"
        if block.lang not in SHELL_BLOCKS:
            continue
        for line, command, shown, exit_code in commands_of(block):
            text, words = split(command)
            piped = words[-1:] == ["|"]
            argv = tuple(words[1:-1] if piped else words[1:])
            found.append(Example(page, line, text, argv, piped, tuple(shown), exit_code, dotenv))
    return found


EXAMPLES = [example for page in PAGES for example in examples_of(page)]


def is_offline(example: Example) -> bool:
    argv = example.argv
    if "--help" in argv or argv == ("--version",):
        return True
    if argv[0] in ("providers", "explain"):
        return True
    return argv[0] == "config" and "--accounts" not in argv


OFFLINE = [e for e in EXAMPLES if is_offline(e)]
NOT_RUN = [e for e in EXAMPLES if not is_offline(e)]


def environment() -> dict[str, str]:
    """A user's shell without mail settings, locale choices or CI switches; a 100-column pipe."""
    drop = ("SMTP_", "MAIL_", "EMAIL_", "IMAP_", "LC_", "LANGUAGE", "GITHUB_ACTIONS", "FORCE_COLOR", "COLUMNS")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    return environ | {"LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8", "NO_COLOR": "1", "COLUMNS": "100",
                      "PATH": f"{SCRIPT.parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def app_folder(example: Example, tmp_path: Path) -> Path:
    """The folder a reader runs the example in: the .env the page shows above it, else good settings."""
    dotenv = tmp_path / ".env"
    dotenv.write_text(example.dotenv or GOOD_DOTENV, encoding="utf-8")
    dotenv.chmod(0o600)
    return tmp_path


def test_the_docs_have_examples_of_both_kinds():
    """A parser that finds nothing would make every test below pass."""
    assert len(OFFLINE) >= 10 and len(NOT_RUN) >= 10
    assert {e.argv[0] for e in EXAMPLES} >= {"check", "send-test", "config", "providers", "domain", "explain"}
    assert any(e.shown for e in OFFLINE) and any(e.exit_code == 2 for e in OFFLINE)


@pytest.mark.parametrize("example", OFFLINE, ids=[e.id for e in OFFLINE])
def test_offline_example_exits_as_documented(example, tmp_path):
    folder = app_folder(example, tmp_path)
    argv = list(example.argv)
    if "--env-file" in argv:  # the docs' path (/srv/app/.env…) is the file written here
        argv[argv.index("--env-file") + 1] = str(folder / ".env")
    done = subprocess.run([str(SCRIPT), *argv], cwd=folder, env=environment(), capture_output=True,
                          text=True, encoding="utf-8", timeout=60, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode in (0, 1, 2)
    assert done.returncode == example.exit_code, f"{example.text}\n{done.stdout}{done.stderr}"
    shown = [line.rstrip() for line in example.shown if line.strip() and "…" not in line]
    printed = iter(line.rstrip() for line in done.stdout.splitlines())
    for line in shown:  # the output the docs show is a real output, in order (trimmed at most)
        assert any(line == out for out in printed), f"{example.id}: not printed: {line!r}\n{done.stdout}"
    if example.piped and shutil.which(example.text.split("|")[1].split()[0]):
        whole = subprocess.run(["bash", "-o", "pipefail", "-c", example.text], cwd=folder, env=environment(),
                               capture_output=True, text=True, timeout=60, check=False)
        assert whole.returncode == 0 and whole.stdout.strip(), f"{example.text}\n{whole.stderr}"


@functools.cache
def help_text(command: str) -> str:
    done = subprocess.run([str(SCRIPT), command, "--help"], env=environment(), capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, f"smtpdoctor {command}: {done.stderr}"
    return done.stdout


@pytest.mark.parametrize("example", NOT_RUN, ids=[e.id for e in NOT_RUN])
def test_network_example_uses_only_options_the_command_has(example):
    """check, send-test and domain connect, so they are not run; each option they use must be in the
    command's --help, and a value of a choice option must be one of its choices."""
    help_ = help_text(example.argv[0])
    words = list(example.argv[1:])
    for i, word in enumerate(words):
        if not word.startswith("-") or word == "-":
            continue
        name, _, value = word.partition("=")
        assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", help_), f"{example.id}: {name} is not an option"
        choices = re.search(rf"{re.escape(name)}\s+\[([\w|.-]+)\]", help_)
        if choices:
            given = value or words[i + 1]
            assert given in choices[1].split("|"), f"{example.id}: {name} {given}"


def test_readme_fits_300_lines():
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 300


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = page.read_text(encoding="utf-8")
    for block in blocks(text):
        text = text.replace("\n".join(block.lines), "")
    seen: dict[str, int] = {}
    result = set()
    for heading in re.findall(r"^#{1,6} (.+)$", text, re.M):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result


def links(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    for block in blocks(text):
        text = text.replace("\n".join(block.lines), "")
    text = re.sub(r"`[^`\n]*`", "", text)
    return re.findall(r"\]\(([^)\s]+)\)", text)


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_relative_link_resolves(page):
    for target in links(page):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        assert file.exists(), f"{page.name}: {target}"
        if anchor and file.suffix == ".md":
            assert anchor in anchors(file), f"{page.name}: {target} (anchors: {sorted(anchors(file))})"


def test_the_readme_links_every_docs_page():
    linked = {(ROOT / target.partition("#")[0]).resolve() for target in links(README)}
    assert set(DOCS) <= linked, sorted(p.name for p in set(DOCS) - linked)


def test_the_readme_test_command_is_the_one_ci_runs():
    """.ci/run says it runs the README's test command exactly."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Running the tests"):]
    command = next(b for b in blocks(section) if b.lang == "sh").lines[0]
    assert command.startswith("python3 -m venv .venv && ") and command.endswith("-m pytest")
    assert command in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_what_the_readme_says_the_tests_need_is_what_ci_installs():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    text = " ".join(README.read_text(encoding="utf-8").split())
    for program in ("pg_ctl", "node", "npm", "php"):
        assert f"command -v {program}" in ci or f"bin/{program}" in ci
    for package in ("postgresql", "nodejs", "npm", "php-cli", "php-symfony-mailer", "dante-server", "tinyproxy"):
        assert f"need+=({package})" in ci and f"`{package}`" in text, package
    assert "CONFORMANCE_REQUIRE_ALL=1" in ci and "CONFORMANCE_REQUIRE_ALL=1" in text


def excerpts() -> list[tuple[Path, Block]]:
    return [(page, block) for page in PAGES for block in blocks(page.read_text(encoding="utf-8"))
            if block.lines and re.fullmatch(r"# examples/\S+", block.lines[0])]


@pytest.mark.parametrize(("page", "block"), excerpts(), ids=[f"{p.name}:{b.line}" for p, b in excerpts()])
def test_a_docs_excerpt_of_an_example_file_is_in_that_file(page, block):
    """A block headed `# examples/NAME` shows lines of that file, in its order."""
    lines = iter(line.strip() for line in (ROOT / block.lines[0][2:]).read_text().splitlines())
    for line in block.lines[1:]:
        if line.strip():
            assert any(line.strip() == have for have in lines), f"{page.name}:{block.line}: {line!r}"


def snapshot_excerpts() -> list[tuple[Path, Block, str]]:
    """Output blocks the text just above them says were recorded in tests/snapshots/NAME.txt."""
    found = []
    for page in PAGES:
        lines = page.read_text(encoding="utf-8").splitlines()
        for block in blocks("\n".join(lines)):
            above = "\n".join(lines[max(0, block.line - 5):block.line - 1])
            named = re.findall(r"tests/snapshots/[\w.-]+\.txt", above)
            if named and block.lang == "text":
                found.append((page, block, named[-1]))
    return found


@pytest.mark.parametrize(("page", "block", "snapshot"), snapshot_excerpts(),
                         ids=[f"{p.name}:{b.line}" for p, b, _ in snapshot_excerpts()])
def test_output_said_to_be_recorded_is_in_that_snapshot(page, block, snapshot):
    lines = iter((ROOT / snapshot).read_text(encoding="utf-8").splitlines())
    for line in block.lines:
        if line.strip():
            assert any(line.rstrip() == have.rstrip() for have in lines), f"{page.name}:{block.line}: {line!r}"
