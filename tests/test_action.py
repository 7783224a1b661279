"""The GitHub Action (action.yml): its inputs, no input pasted into a script, and its shell steps
run for real with bash, the way a runner runs them, against a loopback SMTP server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.servers import PASSWORD, USER

ROOT = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
STEPS = ACTION["runs"]["steps"]
# How a runner starts a `shell: bash` step (GitHub's docs: "bash --noprofile --norc -eo pipefail {0}").
BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]
EXPRESSION = re.compile(r"^\$\{\{\s*inputs\.([\w-]+)\s*\}\}$")
PROBES = ("dns", "tcp", "tls", "smtp", "auth", "envelope")


def test_the_action_is_composite_with_its_inputs_and_defaults():
    assert ACTION["runs"]["using"] == "composite"
    inputs = ACTION["inputs"]
    assert {name: spec["default"] for name, spec in inputs.items()} == {
        "env-file": ".env", "args": "", "python-version": "3.11"}
    assert all(spec["description"] for spec in inputs.values())
    setup = next(s for s in STEPS if s.get("uses", "").startswith("actions/setup-python"))
    assert setup["uses"] == "actions/setup-python@v5"
    assert setup["with"]["python-version"] == "${{ inputs.python-version }}"
    # smtpdoctor is not on a package index: the action installs the folder it was checked out in.
    install = next(s for s in STEPS if "pip install" in s.get("run", ""))
    assert '"$GITHUB_ACTION_PATH"' in install["run"]
    assert STEPS.index(setup) < STEPS.index(install) < len(STEPS) - 1


def test_no_script_has_an_expression_pasted_into_it():
    """`${{ inputs.args }}` inside `run:` is pasted into the script before bash reads it: an input
    of `"; curl … | sh #` would run (GitHub's "script injection"). Inputs go through `env:`."""
    scripts = [s for s in STEPS if "run" in s]
    assert len(scripts) == 2
    for step in scripts:
        assert "${{" not in step["run"], step["run"]
        assert step["shell"] == "bash"
        for value in step.get("env", {}).values():
            assert EXPRESSION.match(value), value  # one input, whole, and nothing else


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str
    summary: str
    outputs: dict[str, str]


def run_action(tmp_path: Path, inputs: dict[str, str] | None = None,
               env: dict[str, str] | None = None, summary: str = "") -> Ran:
    """The action's shell steps as a runner runs them: each `run:` written to a file under
    RUNNER_TEMP and started with the runner's bash flags, in GITHUB_WORKSPACE, its `env:`
    expressions filled from the inputs. Two steps are skipped: setup-python (a JavaScript action)
    and the pip install step — the venv's smtpdoctor (this checkout, installed in editable mode)
    is on PATH instead, so the test needs no index and no build. ``env``: the calling step's `env:`,
    which the action's steps inherit (where a workflow puts its secrets)."""
    given = {name: spec["default"] for name, spec in ACTION["inputs"].items()} | (inputs or {})
    workspace, temp = tmp_path / "workspace", tmp_path / "runner-temp"
    workspace.mkdir(exist_ok=True)
    temp.mkdir(exist_ok=True)
    step_summary, step_output = temp / "step_summary.md", temp / "github_output"
    step_summary.write_text(summary, encoding="utf-8")
    step_output.write_text("")
    base = {**os.environ, **(env or {}),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "GITHUB_ACTIONS": "true", "GITHUB_ACTION_PATH": str(ROOT), "GITHUB_WORKSPACE": str(workspace),
            "RUNNER_TEMP": str(temp), "GITHUB_STEP_SUMMARY": str(step_summary),
            "GITHUB_OUTPUT": str(step_output)}
    done = None
    for number, step in enumerate(STEPS):
        if "run" not in step or "pip install" in step["run"]:
            continue
        filled = {name: given[EXPRESSION.match(value)[1]]  # type: ignore[index]
                  for name, value in step.get("env", {}).items()}
        script = temp / f"step-{number}.sh"
        script.write_text(step["run"], encoding="utf-8")
        done = subprocess.run([*BASH, str(script)], cwd=workspace, env={**base, **filled},
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            break
    assert done is not None
    outputs = dict(line.split("=", 1) for line in step_output.read_text().splitlines())
    return Ran(done.returncode, done.stdout, done.stderr, step_summary.read_text(encoding="utf-8"), outputs)


def settings(port: int) -> dict[str, str]:
    return {"SMTP_HOST": "localhost", "SMTP_PORT": str(port), "SMTP_USER": USER, "SMTP_PASSWORD": PASSWORD}


def dotenv(tmp_path: Path, values: dict[str, str], name: str = ".env") -> None:
    path = tmp_path / "workspace" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
    path.chmod(0o600)


def loopback_args(ca_file: str) -> str:
    return f"--ca-file {ca_file} --alt-ports none --timeout 5"


def test_a_working_server_passes_with_a_table_of_passes(tmp_path, starttls_server, ca_file, no_password_leak):
    dotenv(tmp_path, settings(starttls_server.port))
    ran = run_action(tmp_path, {"args": loopback_args(ca_file)}, summary="Earlier step\n")
    assert ran.code == 0, ran.stdout + ran.stderr
    assert ran.outputs == {"exit-code": "0"}
    assert "::error" not in ran.stdout
    assert ran.summary.startswith("Earlier step\n")  # appended, never overwritten
    assert f"### smtpdoctor check localhost:{starttls_server.port}: ✓ All checks passed" in ran.summary
    assert "| probe | status | time | summary |" in ran.summary
    for name in PROBES:
        assert re.search(rf"^\| {name} \| ✓ pass \| \d+ ms \| ", ran.summary, re.M), name
    no_password_leak(ran.summary + ran.stdout + ran.stderr)


def test_a_wrong_password_fails_the_step_with_the_annotation_and_the_reason(
        tmp_path, smtp_server, good_tls, ca_file, no_password_leak):
    server = smtp_server("starttls", good_tls, password="the-right-one")  # smtpdoctor sends PASSWORD
    dotenv(tmp_path, settings(server.port))
    ran = run_action(tmp_path, {"args": loopback_args(ca_file)})
    assert ran.code == 1
    assert ran.outputs == {"exit-code": "1"}
    assert re.search(r"^::error title=smtpdoctor auth%3A EAUTH auth.bad_credentials::.*Fix: ", ran.stdout, re.M)
    assert re.search(r"^\| auth \| ✗ fail \| \d+ ms \| ", ran.summary, re.M)
    assert re.search(r"^\| envelope \| - skip \|  \| ", ran.summary, re.M)
    assert "**Failure**" in ran.summary
    assert re.search(r"^\| EAUTH \| auth\.bad_credentials \| .*Server said: 535 5\.7\.8 .* \| .*SMTP_USER.* \|$",
                     ran.summary, re.M)
    no_password_leak(ran.summary + ran.stdout + ran.stderr)


def test_settings_from_the_steps_env_alone_need_no_dotenv_file(tmp_path, starttls_server, ca_file):
    """The workflow's secrets arrive as the step's env; the default `.env` is read only when it exists."""
    ran = run_action(tmp_path, {"args": loopback_args(ca_file)}, env=settings(starttls_server.port))
    assert ran.code == 0, ran.stdout + ran.stderr
    assert "✓ All checks passed" in ran.summary


def test_a_missing_env_file_that_was_named_is_exit_2(tmp_path):
    ran = run_action(tmp_path, {"env-file": "deploy/prod.env"})
    assert ran.code == 2
    assert ran.outputs == {"exit-code": "2"}
    assert "::error title=smtpdoctor config.dotenv_missing::" in ran.stdout
    assert re.search(r"^\| ECONFIG \| config\.dotenv_missing \| .*deploy/prod\.env", ran.summary, re.M)


@pytest.mark.parametrize("args", ["$(touch pwned)", "`touch pwned`", "--timeout 5; touch pwned", "*"])
def test_args_are_options_never_shell_code(tmp_path, args):
    (tmp_path / "workspace").mkdir()
    (tmp_path / "workspace" / "--help").write_text("")  # what a glob of "*" would find
    ran = run_action(tmp_path, {"env-file": "missing.env", "args": args})
    assert not (tmp_path / "workspace" / "pwned").exists()
    assert ran.code == 2  # smtpdoctor was given the words themselves, and refused them (--help: 0)
