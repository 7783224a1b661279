"""Where the settings come from, searched as the app searches (issue 22): a .env in a parent
folder is read for a Python app (python-dotenv's find_dotenv(), Flask's CLI), never for a
Node or Laravel app; the report's first lines say what was read; smtpdoctor's own checkout
is not an app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smtpdoctor.config.preflight import resolve
from smtpdoctor.config.values import Options

QQ = ("MAIL_SERVER=smtp.qq.com\nMAIL_PORT=465\nMAIL_USE_SSL=True\nMAIL_USERNAME=123456@qq.com\n"
      "MAIL_PASSWORD=abcdefghijklmnop\n")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose .env is at its root and whose app runs in backend/."""
    (tmp_path / ".env").write_text(QQ, encoding="utf-8")
    (tmp_path / "backend").mkdir()
    return tmp_path


def reasons(preflight) -> list[str]:
    return [f.reason for f in preflight.findings]


def test_a_flask_app_reads_the_parent_folders_env(repo):
    (repo / "backend" / "requirements.txt").write_text("flask\nflask-mail\n")
    found = resolve(None, {}, Options(), repo / "backend")
    assert (found.settings.host, found.settings.dotenv_file) == ("smtp.qq.com", "../.env")
    assert "config.dotenv_found_above" in reasons(found)
    assert found.settings.origins["host"].file == "../.env"


def test_a_node_app_never_does(repo):
    (repo / "backend" / "package.json").write_text(json.dumps({"dependencies": {"nodemailer": "^6.9"}}))
    found = resolve(None, {}, Options(), repo / "backend")
    assert found.settings.host is None and found.settings.dotenv_file is None
    assert "config.dotenv_above_not_read" in reasons(found)
    assert "config.no_mail_settings" in reasons(found)
    assert found.settings.looked_in == str(repo / "backend")


def test_a_laravel_app_never_does(repo):
    (repo / "backend" / "composer.json").write_text(json.dumps({"require": {"laravel/framework": "^11"}}))
    found = resolve(None, {}, Options(), repo / "backend")
    assert "config.dotenv_above_not_read" in reasons(found) and found.settings.host is None


def test_the_folders_own_env_comes_first(repo):
    (repo / "backend" / ".env").write_text("SMTP_HOST=smtp.163.com\n")
    found = resolve(None, {}, Options(), repo / "backend")
    assert (found.settings.host, found.settings.dotenv_file) == ("smtp.163.com", ".env")
    assert "config.dotenv_found_above" not in reasons(found)


def test_the_first_lines_say_what_was_read(repo, tmp_path_factory):
    from tests.console import run_in

    above = run_in(repo / "backend", "config")
    assert "read: ../.env and the environment" in above.stdout
    nothing = tmp_path_factory.mktemp("empty")  # no .env in it nor above it
    none = run_in(nothing, "config")
    assert f"read: the environment (no .env in {nothing})" in " ".join(none.stdout.split())
    doc = json.loads(run_in(repo / "backend", "config", "--json").stdout)
    assert doc["settings"]["dotenv"] == "../.env"


def test_smtpdoctors_own_checkout_is_not_an_app(tmp_path):
    root = Path(__file__).resolve().parent.parent
    (tmp_path / "pyproject.toml").write_text((root / "pyproject.toml").read_text())
    found = resolve(None, {}, Options(), tmp_path)
    assert found.settings.client is None or found.settings.client.id == "generic"


def test_a_test_extra_names_no_client(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "shop"\ndependencies = ["flask"]\n'
        '[project.optional-dependencies]\ntest = ["aiosmtplib"]\nmail = ["flask-mail"]\n')
    found = resolve(None, {"MAIL_SERVER": "smtp.qq.com"}, Options(), tmp_path)
    assert found.settings.client is not None and found.settings.client.id == "flask-mail"
