"""The CI and boot-gate examples the README points to: valid files, install lines that work from this
repository, and time bounds that provably fit their supervisors' limits."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.console import no_traceback, run
from tests.servers import DroppingPort

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
# What smtpdoctor needs before --max-time starts counting (interpreter, imports) and after it fires
# (closing, printing), measured by bench/startup.py at well under a second; kept generous for slow hosts.
START_UP_MARGIN = 5


# Where the systemd example's smtpdoctor lives: a venv the unit's User= can run, not root's home.
VENV = "/opt/smtpdoctor"
VENV_SCRIPT = f"{VENV}/bin/smtpdoctor"
VENV_INSTALL = f"python3 -m venv {VENV} && {VENV}/bin/pip install path/to/smtpdoctor"


def text(name: str) -> str:
    return (EXAMPLES / name).read_text()


def docs() -> list[str]:
    """The README and the docs/ pages, where the examples are described."""
    return [path.read_text(encoding="utf-8") for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]]


def pm2_config() -> dict[str, str]:
    done = subprocess.run(["node", "-e", "const c = require(process.argv[1]);"
                           "console.log(JSON.stringify({hook: c.deploy.production['post-deploy'],"
                           " script: c.apps[0].script, cwd: c.apps[0].cwd, path: c.deploy.production.path}))",
                           str(EXAMPLES / "ecosystem.config.js")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr

    return json.loads(done.stdout)


def gate_commands() -> dict[str, str]:
    """Each example's smtpdoctor command line, as its supervisor runs it."""
    unit = text("smtpdoctor-app.service")
    docker = text("Dockerfile.healthcheck")
    return {
        "systemd": re.search(r"^ExecStartPre=\S*smtpdoctor (.*)$", unit, re.M)[1],  # type: ignore[index]
        "docker": re.search(r"CMD smtpdoctor (.*?) \|\| exit 1", docker)[1],  # type: ignore[index]
        "pm2-start": re.search(r"^smtpdoctor (.*)$", text("start.sh"), re.M)[1],  # type: ignore[index]
        # What the action (action.yml) runs: `check --format github` and the step's `args`.
        "github": "check --format github " + github_check_step()["with"]["args"],
        "gitlab": yaml.safe_load(text("gitlab-ci.yml"))["mail-preflight"]["script"][-1].removeprefix("smtpdoctor "),
    }


def github_check_step() -> dict[str, Any]:
    """The workflow's step that uses smtpdoctor's own action (action.yml at this repository's root)."""
    steps = yaml.safe_load(text("github-actions.yml"))["jobs"]["mail-preflight"]["steps"]
    return next(s for s in steps if s.get("uses", "").endswith("/smtpdoctor@v1"))


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


# --- each file is valid for its tool ----------------------------------------------------------

def test_github_workflow_runs_the_action_with_secrets_and_gates_the_deploy():
    workflow = yaml.safe_load(text("github-actions.yml"))
    steps = workflow["jobs"]["mail-preflight"]["steps"]
    check = github_check_step()
    # Secrets reach smtpdoctor through the step's env, the variables the app reads; not as inputs.
    assert check["env"]["MAIL_PASSWORD"] == "${{ secrets.MAIL_PASSWORD }}"
    assert "secrets." not in json.dumps(check.get("with", {}))
    inputs = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["inputs"]
    assert set(check["with"]) <= set(inputs)
    assert workflow["jobs"]["deploy"]["needs"] == "mail-preflight"
    # The app's checkout comes before the check that reads the app's files.
    uses = [s.get("uses", s.get("run")) for s in steps]
    assert uses.index("actions/checkout@v4") < steps.index(check)
    # The report the last step keeps is the one the check writes.
    assert "--junit-xml smtpdoctor.xml" in check["with"]["args"]
    assert steps[-1]["if"] == "always()" and steps[-1]["with"]["path"] == "smtpdoctor.xml"


def test_gitlab_job_publishes_the_junit_report():
    job = yaml.safe_load(text("gitlab-ci.yml"))["mail-preflight"]
    assert any("--junit-xml smtpdoctor.xml" in line for line in job["script"])
    assert job["artifacts"]["reports"]["junit"] == "smtpdoctor.xml"
    assert "MAIL_PASSWORD" not in job["variables"]  # a masked CI/CD variable, not in the file
    assert job["variables"]["GIT_SUBMODULE_STRATEGY"] == "recursive"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_unit_verifies(tmp_path):
    unit = text("smtpdoctor-app.service")
    assert f"ExecStartPre={VENV_SCRIPT} check --env-file /srv/app/.env --quiet" in unit
    # systemd-analyze checks that the programs and files exist: point them at real ones.
    env = tmp_path / "app.env"
    env.write_text("SMTP_HOST=localhost\n")
    local = (unit.replace(VENV_SCRIPT, str(Path(sys.executable).parent / "smtpdoctor"))
             .replace("/usr/bin/node /srv/app/server.js", shutil.which("true") or "/bin/true")
             .replace("/srv/app/.env", str(env)).replace("WorkingDirectory=/srv/app", f"WorkingDirectory={tmp_path}")
             .replace("User=app", "User=root"))
    path = tmp_path / "smtpdoctor-app.service"
    path.write_text(local)
    done = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_the_systemd_unit_runs_smtpdoctor_from_the_venv_the_docs_install():
    """The unit runs as User=app: smtpdoctor must sit where that user can run it (a pipx or --user
    install as root lands under /root), and the docs, the unit's own comment and ExecStartPre agree."""
    unit = text("smtpdoctor-app.service")
    assert re.search(r"^User=app$", unit, re.M)
    assert re.search(r"^ExecStartPre=(\S+) ", unit, re.M)[1] == VENV_SCRIPT  # type: ignore[index]
    assert VENV_INSTALL in unit
    boot_gates = (ROOT / "docs" / "boot-gates.md").read_text(encoding="utf-8")
    assert VENV_INSTALL in boot_gates and f"ExecStartPre={VENV_SCRIPT} " in boot_gates
    assert "/usr/local/bin/smtpdoctor check" not in unit + boot_gates
    assert "pipx" not in unit


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
def test_pm2_checks_the_file_the_app_reads():
    config = pm2_config()
    assert config["script"] == "./start.sh"
    # post-deploy runs in <path>/current, which is also where the app (and start.sh) runs.
    assert config["cwd"] == config["path"] + "/current"
    steps = config["hook"].split(" && ")
    assert steps[0] == "ln -sfn /srv/app/shared/.env .env"
    check = next(i for i, step in enumerate(steps) if step.startswith("smtpdoctor check"))
    reload = next(i for i, step in enumerate(steps) if step.startswith("pm2 reload"))
    assert 0 < check < reload
    assert option(shlex.split(steps[check]), "--env-file") == ".env"
    assert option(shlex.split(gate_commands()["pm2-start"]), "--env-file") == ".env"
    assert not any("pre-setup" in text for text in docs())  # no hook the file does not have


def test_pm2_start_script_gates_the_app():
    subprocess.run(["sh", "-n", str(EXAMPLES / "start.sh")], check=True)
    lines = text("start.sh").splitlines()
    gate = next(i for i, line in enumerate(lines) if line.startswith("smtpdoctor check"))
    start = next(i for i, line in enumerate(lines) if line.startswith("exec node"))
    assert gate < start and "set -e" in lines


def test_docker_healthcheck_never_logs_in_and_keeps_env_out_of_the_image():
    dockerfile = text("Dockerfile.healthcheck")
    healthcheck = dockerfile[dockerfile.index("HEALTHCHECK"):].split("\nCMD [")[0]
    assert "smtpdoctor check --until smtp --quiet" in healthcheck
    assert healthcheck.rstrip().endswith("|| exit 1")  # Docker knows only 0 and 1
    ignored = text(".dockerignore").splitlines()
    assert ".env" in ignored and ".env.*" in ignored
    assert "COPY . ." in dockerfile  # the app is copied whole: only .dockerignore keeps .env out


# --- install lines that work from this repository ---------------------------------------------

def test_no_example_installs_from_an_index_where_smtpdoctor_is_not_published():
    for path in EXAMPLES.iterdir():
        for line in path.read_text().splitlines():
            assert not re.search(r"pip install\s+(-\S+\s+)*smtpdoctor\b", line), f"{path.name}: {line}"
    for page in docs():
        assert not re.search(r"pip install\s+(-\S+\s+)*['\"]?smtpdoctor\b", page)


def test_the_checkout_install_line_installs_this_repository(tmp_path):
    """`pip install ./tools/smtpdoctor` in an app whose tools/smtpdoctor is this repository."""
    app = tmp_path / "app"
    (app / "tools").mkdir(parents=True)
    (app / "tools" / "smtpdoctor").symlink_to(ROOT)
    target = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                           "--no-index", "--target", str(target), "./tools/smtpdoctor"],
                          cwd=app, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (target / "smtpdoctor" / "providers.toml").is_file()
    assert (target / "bin" / "smtpdoctor").is_file()


# --- bounds that fit the supervisors' limits --------------------------------------------------

def supervisor_limits() -> dict[str, float]:
    unit = text("smtpdoctor-app.service")
    docker = text("Dockerfile.healthcheck")
    return {
        "systemd": float(re.search(r"^TimeoutStartSec=(\d+)$", unit, re.M)[1]),  # type: ignore[index]
        "docker": float(re.search(r"HEALTHCHECK .*--timeout=(\d+)s", docker)[1]),  # type: ignore[index]
    }


@pytest.mark.parametrize("example", ["systemd", "docker"])
def test_the_gate_ends_before_its_supervisor_kills_it(example):
    args = shlex.split(gate_commands()[example])
    assert float(option(args, "--max-time")) + START_UP_MARGIN <= supervisor_limits()[example]


@pytest.mark.parametrize("example", ["systemd", "docker", "pm2-start", "github", "gitlab"])
def test_the_gate_options_keep_their_max_time_against_a_dead_port(example, tmp_path):
    """The example's own options (timeout, retries, delays, --until) against a port that drops every
    packet, with --max-time scaled down: the run still ends at the deadline, with its verdict."""
    args = shlex.split(gate_commands()[example])
    assert "--max-time" in args
    max_time = 3.0
    args[args.index("--max-time") + 1] = str(max_time)
    args = [a for a in args if a not in ("--junit-xml", "smtpdoctor.xml")]
    with DroppingPort() as dropped:
        env = tmp_path / ".env"
        env.write_text(f"SMTP_HOST=localhost\nSMTP_PORT={dropped.port}\nSMTP_USER=a@example.com\n"
                       "SMTP_PASSWORD=not-a-real-password\n")
        if "--env-file" in args:
            args[args.index("--env-file") + 1] = str(env)
        else:
            args += ["--env-file", str(env)]
        result = run(*args, "--alt-ports", "none")
    assert result.code == 1
    assert result.seconds < max_time + 1.0
    no_traceback(result)


# --- shell completion, as the README documents it ------------------------------------------

@pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")
def test_bash_completion_line_from_the_readme_completes_commands_and_choices():
    line = re.search(r'^eval "\$\(_SMTPDOCTOR_COMPLETE=bash_source smtpdoctor\)"$',
                     (ROOT / "README.md").read_text(), re.M)
    assert line is not None
    script = (line[0] + "\n"
              "COMP_WORDS=(smtpdoctor ch); COMP_CWORD=1; _smtpdoctor_completion smtpdoctor; echo \"${COMPREPLY[*]}\"\n"
              "COMPREPLY=(); COMP_WORDS=(smtpdoctor check --until ''); COMP_CWORD=3; _smtpdoctor_completion smtpdoctor;"
              " echo \"${COMPREPLY[*]}\"\n"
              # Values from the provider table and the catalogue, not only click's choices.
              "COMPREPLY=(); COMP_WORDS=(smtpdoctor check --provider q); COMP_CWORD=3; _smtpdoctor_completion smtpdoctor;"
              " echo \"${COMPREPLY[*]}\"\n"
              "COMPREPLY=(); COMP_WORDS=(smtpdoctor explain auth.bad); COMP_CWORD=2; _smtpdoctor_completion smtpdoctor;"
              " echo \"${COMPREPLY[*]}\"\n")
    path = str(Path(sys.executable).parent) + ":" + os.environ["PATH"]
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PATH": path})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["check", "dns tcp tls smtp auth envelope", "qq qiye163",
                                        "auth.bad_credentials"]
