"""The wheel a user installs: console script, provider table inside it."""

from __future__ import annotations

import email
import json
import re
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

from jsonschema import Draft202012Validator

import smtpdoctor

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_installs_into_a_fresh_venv_and_finds_its_provider_table(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(dist), str(ROOT)], check=True, timeout=300)
    [wheel] = dist.glob("smtpdoctor-*.whl")
    archive = zipfile.ZipFile(wheel)
    names = archive.namelist()
    assert "smtpdoctor/providers.toml" in names and "smtpdoctor/reasons.toml" in names
    assert "smtpdoctor/py.typed" in names  # type checkers use the package's own hints
    assert "smtpdoctor/schemas/document.schema.json" in names  # the JSON documents' schema (DESIGN.md)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    metadata = email.message_from_bytes(archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))))
    # One source for the version: the wheel, --version and the X-Mailer header agree.
    assert metadata["Version"] == smtpdoctor.__version__ and wheel.name.startswith(f"smtpdoctor-{smtpdoctor.__version__}-")
    assert metadata["License-Expression"] == "MIT" and "Typing :: Typed" in metadata.get_all("Classifier")

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, timeout=300)
    # The runtime dependencies come from this test environment, not the network.
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "deps-from-tests.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run([str(venv / "bin" / "smtpdoctor"), "providers", "--json"], cwd=elsewhere,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert '"id": "qq"' in done.stdout and "smtp.qq.com" in done.stdout
    where = subprocess.run([str(python), "-c", "import smtpdoctor; print(smtpdoctor.__file__)"],
                           cwd=elsewhere, capture_output=True, text=True, check=True).stdout
    assert str(venv) in where  # the installed copy, not this checkout
    # The schema is read from the installed copy as a consumer reads it, and describes its output.
    schema = subprocess.run([str(python), "-c", "from importlib.resources import files; "
                             "print(files('smtpdoctor').joinpath('schemas/document.schema.json').read_text())"],
                            cwd=elsewhere, capture_output=True, text=True, check=True).stdout
    assert list(Draft202012Validator(json.loads(schema)).iter_errors(json.loads(done.stdout))) == []
    version = subprocess.run([str(venv / "bin" / "smtpdoctor"), "--version"], capture_output=True, text=True,
                             check=True).stdout
    assert version.split() == ["smtpdoctor,", "version", smtpdoctor.__version__]


def floors() -> dict[str, str]:
    """``name>=X`` of every runtime dependency in pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    found = {}
    for requirement in project["dependencies"]:
        name, floor = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)(,<[0-9.]+)?", requirement).group(1, 2)  # type: ignore[union-attr]
        found[name.lower()] = floor
    return found


def release(version: str) -> tuple[int, ...]:
    """8.1 and 8.1.0 are the same release."""
    parts = [int(p) for p in version.split(".")]
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def test_the_lowest_versions_ci_tests_are_the_floors_pyproject_allows():
    pinned = {}
    for line in (ROOT / ".ci" / "lowest.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pinned[name.lower()] = version
    assert {name: release(v) for name, v in pinned.items()} == {name: release(v) for name, v in floors().items()}
    run = (ROOT / ".ci" / "run").read_text()
    assert "-c .ci/lowest.txt" in run and run.count("python -m pytest") == 2
