"""The house rules (ARCHITECTURE.md), read from the code's own imports with ``ast``.

Every import counts: module level, inside a function, and under ``TYPE_CHECKING`` — a
type-only import still ties one wing to another."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "smtpdoctor"

# The ground: values and tables every wing may read. config.values holds the settings as data
# (a Report carries them), config.families the table of variable names they are read by.
GROUND = frozenset({"smtpdoctor.codes", "smtpdoctor.basics", "smtpdoctor.outcomes", "smtpdoctor.catalog", "smtpdoctor.model", "smtpdoctor.providers",
                    "smtpdoctor.secret", "smtpdoctor.classify", "smtpdoctor.config.values",
                    "smtpdoctor.config.families", "smtpdoctor.tables", "smtpdoctor.bounce"})
# wing → the wings it must never import
FORBIDDEN = {
    "config": ("wire", "probes", "runner", "views", "accounts", "api", "cli"),
    "accounts": ("wire", "probes", "runner", "views", "api", "cli"),
    "wire": ("probes", "runner", "views", "accounts", "api", "cli"),
    "probes": ("runner", "views", "accounts", "api", "cli"),
    "runner": ("views", "api", "cli"),
    "views": ("runner", "probes", "wire", "accounts", "cli"),
    "api": ("cli",),
}
# Imports made when a function is called, allowed across a rule, each with its reason.
ALLOWED = {
    ("smtpdoctor.model", "smtpdoctor.views.document"):
        "Report.to_dict() is the Python API's JSON document; the view is imported when it is called",
}
THIRD_PARTY_HOMES = {"click": ("smtpdoctor.cli",), "rich": ("smtpdoctor.views",)}


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, root: Path = PACKAGE) -> Iterator[tuple[str, int]]:
    """Every module ``path`` imports (absolute names), with the line."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield module, node.lineno
            for alias in node.names:  # `from smtpdoctor.runner import check` imports a module
                yield f"{module}.{alias.name}", node.lineno


def graph(package: Path = PACKAGE) -> dict[str, dict[str, int]]:
    """module → {imported package module: line}."""
    files = {module_name(p, package): p for p in package.rglob("*.py")}
    edges: dict[str, dict[str, int]] = {}
    for name, path in files.items():
        edges[name] = {}
        for target, line in imports(path, package):
            if target in files and target != name and (name, target) not in ALLOWED:
                edges[name].setdefault(target, line)
    return edges


def wing(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "smtpdoctor"


def rule_breaks(edges: dict[str, dict[str, int]]) -> list[str]:
    breaks = []
    for source, targets in edges.items():
        for target, line in targets.items():
            if source in GROUND and target not in GROUND:
                breaks.append(f"{source}:{line} imports {target}: the ground imports only the ground")
            elif target.startswith(tuple(f"smtpdoctor.{w}" for w in FORBIDDEN.get(wing(source), ()))):
                breaks.append(f"{source}:{line} imports {target}: {wing(source)} never imports {wing(target)}")
    return breaks


def circles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_wings_keep_their_rules() -> None:
    assert rule_breaks(graph()) == []


def test_there_is_no_import_circle() -> None:
    assert circles(graph()) == []


@pytest.mark.parametrize("library", sorted(THIRD_PARTY_HOMES))
def test_a_library_is_imported_only_in_its_home(library: str) -> None:
    homes = THIRD_PARTY_HOMES[library]
    strays = [f"{module_name(p)}:{line}" for p in PACKAGE.rglob("*.py")
              for target, line in imports(p)
              if target.split(".")[0] == library and not module_name(p).startswith(homes)]
    assert strays == []


def test_the_cli_is_thin() -> None:
    cli = PACKAGE / "cli.py"
    allowed = ("smtpdoctor", "smtpdoctor.api", "smtpdoctor.codes", "smtpdoctor.views")
    package_imports = {t for t, _ in imports(cli) if t.startswith("smtpdoctor")}
    assert {t for t in package_imports if not t.startswith(allowed)} == set()
    assert len(cli.read_text(encoding="utf-8").splitlines()) <= 250


def test_the_checker_finds_what_it_forbids(tmp_path: Path) -> None:
    """A deliberate bad house: the checker must see each kind of break."""
    root = tmp_path / "smtpdoctor"
    for folder in ("config", "views", "runner"):
        (root / folder).mkdir(parents=True)
        (root / folder / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "model.py").write_text("from smtpdoctor.views import text\n")
    (root / "views" / "text.py").write_text("from smtpdoctor.runner.check import run\n")
    (root / "runner" / "check.py").write_text("def run():\n    from smtpdoctor import model\n")
    (root / "config" / "settings.py").write_text("import smtpdoctor.runner.check\n")
    edges = graph(root)
    breaks = rule_breaks(edges)
    assert any(b.startswith("smtpdoctor.model:1 imports smtpdoctor.views") for b in breaks)
    assert any("views never imports runner" in b for b in breaks)
    assert any("config never imports runner" in b for b in breaks)
    assert circles(edges) == [["smtpdoctor.model", "smtpdoctor.runner.check", "smtpdoctor.views.text"]]


# --- what a passing check imports (the speed work of issue 23 stays done) -----------------

# Imported only on the paths that need them: the fix engine and its values (outcomes) after a
# failure, the send probe's
# code for an SMTPUTF8 refusal, the app-code parsers for a file with mail code in it, tomllib
# for a TOML file there, difflib for a misspelt variable, _strptime never (the certificate's
# date is read without it), dnspython for --dns-server, rich on a terminal.
NOT_IN_A_PASSING_CHECK = (
    "smtpdoctor.runner.fixes", "smtpdoctor.runner.domain", "smtpdoctor.outcomes", "smtpdoctor.probes.send",
    "smtpdoctor.probes.domain", "smtpdoctor.wire.message", "smtpdoctor.config.appcode.python",
    "smtpdoctor.config.appcode.treesitter", "smtpdoctor.views.ci", "tomllib", "difflib",
    "_strptime", "dns", "rich",
)


def test_a_passing_check_imports_only_what_it_uses(tmp_path: Path, starttls_server, ca_file: str) -> None:
    import json
    import subprocess
    import sys

    from tests.servers import PASSWORD, USER

    env_file = tmp_path / ".env"
    env_file.write_text(f"SMTP_HOST=localhost\nSMTP_PORT={starttls_server.port}\nSMTP_USER={USER}\n"
                        f"SMTP_PASSWORD={PASSWORD}\n", encoding="utf-8")
    env_file.chmod(0o600)
    (tmp_path / "send.py").write_text("import smtplib\n", encoding="utf-8")  # code, but no mail code
    code = ("import json, sys\nfrom smtpdoctor.cli import main\n"
            f"sys.argv = ['smtpdoctor', 'check', '--env-file', {str(env_file)!r}, '--ca-file', {ca_file!r},"
            " '--alt-ports', 'none']\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
            "print(json.dumps([code, sorted(sys.modules)]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path, check=False)
    exit_code, loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert exit_code == 0, done.stdout
    assert "smtpdoctor.probes.tls" in loaded and "smtpdoctor.config.appcode" in loaded  # it did run
    assert [m for m in loaded if m.split(".")[0] in NOT_IN_A_PASSING_CHECK or m in NOT_IN_A_PASSING_CHECK] == []


def test_help_imports_no_shutil_where_click_needs_none() -> None:
    """--help gives click the terminal's width, so shutil (with bz2 and lzma) is not imported for
    it. Click before 8.2 imports shutil in its help formatter whatever the width: there, it may."""
    import subprocess
    import sys

    def imports_shutil(code: str) -> bool:
        done = subprocess.run([sys.executable, "-c", f"import sys\n{code}\nprint('shutil' in sys.modules)"],
                              capture_output=True, text=True, timeout=60, check=True)
        return done.stdout.strip().splitlines()[-1] == "True"

    clicks_own = imports_shutil("import click.formatting\nclick.formatting.HelpFormatter(width=80)")
    help_run = imports_shutil("from smtpdoctor.cli import main\nsys.argv = ['smtpdoctor', '--help']\n"
                              "try:\n    main()\nexcept SystemExit:\n    pass")
    assert help_run == clicks_own


@pytest.mark.parametrize(("argv", "forbidden"), [
    # The result classes (model), the settings values and the reading of them
    # are a report's: a command that prints none defines none of them.
    (["--help"], ("smtpdoctor.model", "smtpdoctor.providers", "smtpdoctor.catalog", "smtpdoctor.config")),
    (["providers"], ("smtpdoctor.model", "smtpdoctor.config", "smtpdoctor.classify")),
    (["explain", "EAUTH"], ("smtpdoctor.model", "smtpdoctor.config.values", "smtpdoctor.config.preflight")),
])
def test_a_command_without_a_report_defines_no_result_classes(argv: list[str], forbidden: tuple[str, ...],
                                                              tmp_path: Path) -> None:
    import subprocess
    import sys

    code = ("import sys\nfrom smtpdoctor.cli import main\n"
            f"sys.argv = ['smtpdoctor', *{argv!r}]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(','.join(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path, check=True)  # no .env there: explain reads no settings
    loaded = done.stdout.strip().splitlines()[-1].split(",")
    assert [m for m in loaded if m.startswith(forbidden)] == []
