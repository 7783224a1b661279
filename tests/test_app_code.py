"""The app's own mail-configuration code, read and never run: each idiom's reading, the
variables it never reads, what is not followed, the bound, and what the user sees (config's
origins and code lines, the findings, the JSON ``settings.code``), en and zh.

The verdicts against real servers, with each app's own code sending, are in
tests/conformance/test_app_code.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from smtpdoctor.cli import cli
from smtpdoctor.config.appcode import read_app_code
from smtpdoctor.config.appcode.evaluate import encode, evaluate
from smtpdoctor.config.appcode.files import MAX_OPENED
from smtpdoctor.config.values import AppCode, CodeRaises

APPS = Path(__file__).resolve().parent / "apps"
needs_tree_sitter = pytest.mark.skipif(
    __import__("importlib").util.find_spec("tree_sitter") is None, reason="the code extra is not installed")


def app(tmp_path: Path, name: str, env: str = "") -> Path:
    folder = tmp_path / name
    shutil.copytree(APPS / name, folder)
    (folder / ".env").write_text(env, encoding="utf-8")
    return folder


def code_of(folder: Path) -> AppCode:
    code = read_app_code(folder)
    assert code is not None
    return code


def value(code: AppCode, key: str, env: dict[str, str]) -> str | None:
    return evaluate(code.readings[key], env)


def run(folder: Path, *args: str) -> tuple[int, str]:
    old = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.output


def test_seed003_config_py_defaults_and_its_reading_of_mail_use_tls(tmp_path):
    code = code_of(app(tmp_path, "seed003"))
    assert value(code, "MAIL_PORT", {}) == "587"
    assert value(code, "MAIL_SERVER", {}) == "smtp.qq.com"
    assert value(code, "MAIL_USE_TLS", {}) == "true"
    assert [value(code, "MAIL_USE_TLS", {"MAIL_USE_TLS": w}) for w in ("On", "1", "yes", "y", "false")] == [
        "true", "true", "false", "false", "false"]
    assert code.readings["MAIL_USE_TLS"].where == "config.py:20"
    # seed 003 never reads MAIL_USE_SSL: its app calls smtplib.SMTP() and never SMTP_SSL().
    assert code.ignored == {"MAIL_USE_SSL": "config.py"}


def test_the_mega_tutorial_turns_tls_on_for_any_value(tmp_path):
    code = code_of(app(tmp_path, "megatutorial"))
    assert value(code, "MAIL_USE_TLS", {"MAIL_USE_TLS": "false"}) == "true"
    assert value(code, "MAIL_USE_TLS", {}) == "false"
    assert value(code, "MAIL_PORT", {}) == "25"
    assert "MAIL_USE_SSL" in code.ignored
    # Only removing MAIL_USE_TLS turns it off: no value written in the .env does.
    assert encode(code, {"MAIL_USE_TLS": "false"}, {"MAIL_USE_TLS": "false"}) is None
    assert encode(code, {}, {"MAIL_USE_TLS": "true"}) == {"MAIL_USE_TLS": "true"}


def test_django_settings_read_only_the_exact_word_true(tmp_path):
    code = code_of(app(tmp_path, "django_true"))
    assert value(code, "EMAIL_USE_TLS", {"EMAIL_USE_TLS": "true"}) == "false"
    assert value(code, "EMAIL_USE_TLS", {"EMAIL_USE_TLS": "True"}) == "true"
    # The fix is written the way that code reads it.
    assert encode(code, {"EMAIL_USE_TLS": "true"}, {"EMAIL_USE_TLS": "true"}) == {"EMAIL_USE_TLS": "True"}
    assert value(code, "EMAIL_PORT", {}) == "587"


def test_python_decouple_casts_and_raises_like_decouple(tmp_path):
    code = code_of(app(tmp_path, "decouple_app"))
    assert value(code, "EMAIL_USE_TLS", {}) == "true"
    assert value(code, "EMAIL_USE_TLS", {"EMAIL_USE_TLS": "off"}) == "false"
    with pytest.raises(CodeRaises, match="ValueError"):
        value(code, "EMAIL_USE_TLS", {"EMAIL_USE_TLS": "maybe"})
    with pytest.raises(CodeRaises, match="UndefinedValueError"):
        value(code, "DEFAULT_FROM_EMAIL", {})
    with pytest.raises(CodeRaises, match="ValueError"):
        value(code, "EMAIL_PORT", {"EMAIL_PORT": "587a"})


def test_django_environ_bool_int_and_the_env_scheme(tmp_path):
    code = code_of(app(tmp_path, "environ_app"))
    assert [value(code, "EMAIL_USE_TLS", {"EMAIL_USE_TLS": w}) for w in ("ok", "t", "2", "0")] == [
        "true", "false", "true", "false"]
    assert value(code, "EMAIL_USE_SSL", {}) == "false"  # Env(EMAIL_USE_SSL=(bool, False))
    assert value(code, "EMAIL_USE_SSL", {"EMAIL_USE_SSL": "yes"}) == "true"
    with pytest.raises(CodeRaises, match="ImproperlyConfigured"):
        value(code, "EMAIL_HOST", {})


def test_flask_factories_app_config_items_and_update(tmp_path):
    (tmp_path / "__init__.py").write_text(
        "import os\nfrom flask import Flask\n\ndef create_app():\n    app = Flask(__name__)\n"
        "    app.config['MAIL_PORT'] = int(os.environ.get('SMTP_PORT', '465'))\n"
        "    app.config.update(MAIL_SERVER=os.getenv('SMTP_HOST'), MAIL_USE_SSL=not os.getenv('NO_SSL'))\n"
        "    return app\n", encoding="utf-8")
    code = code_of(tmp_path)
    assert code.readings["MAIL_PORT"].variables == ("SMTP_PORT",)
    assert value(code, "MAIL_PORT", {}) == "465"
    assert value(code, "MAIL_USE_SSL", {}) == "true"
    assert value(code, "MAIL_USE_SSL", {"NO_SSL": "1"}) == "false"


def test_code_it_does_not_follow_is_a_note_and_two_readings_are_run_times_choice(tmp_path):
    (tmp_path / "config.py").write_text(
        "import os\nPREFIX = 'SMTP_'\n\nclass Config:\n    MAIL_PORT = int(os.environ[PREFIX + 'PORT'])\n"
        "    MAIL_USE_TLS = True\n\nclass Production(Config):\n    MAIL_USE_TLS = False\n", encoding="utf-8")
    code = code_of(tmp_path)
    assert "MAIL_PORT" not in code.readings and "MAIL_USE_TLS" not in code.readings
    assert {(n.key, n.line) for n in code.notes} == {("MAIL_PORT", 5), ("MAIL_USE_TLS", 6), ("MAIL_USE_TLS", 9)}
    assert code.ignored == {}  # nothing is read, so nothing is called ignored
    (tmp_path / ".env").write_text("MAIL_SERVER=localhost\nMAIL_PORT=2525\nMAIL_USE_TLS=false\n", encoding="utf-8")
    _, output = run(tmp_path, "config", "--client", "flask-mail")
    assert "The app's code sets MAIL_PORT in a way smtpdoctor does not follow (config.py:5)" in output
    assert "config.py:6, config.py:9" in output
    assert "2525  ← MAIL_PORT (.env)" in output  # the verdict reads the settings as they are
    _, raw = run(tmp_path, "config", "--client", "flask-mail", "--json")
    notes = [f for f in json.loads(raw)["findings"] if f["reason"] == "config.code_not_understood"]
    assert [n["severity"] for n in notes] == ["info", "info"]  # once per setting


def test_bulk_loading_means_no_variable_is_called_ignored(tmp_path):
    (tmp_path / "config.py").write_text(
        "import os\nclass Config:\n    MAIL_SERVER = os.environ.get('MAIL_SERVER')\n", encoding="utf-8")
    (tmp_path / "app.py").write_text("app.config.from_prefixed_env()\n", encoding="utf-8")
    assert code_of(tmp_path).ignored == {}


def test_config_shows_where_each_value_came_from_and_the_code_en_and_zh(tmp_path):
    folder = app(tmp_path, "seed003", "MAIL_USE_TLS=yes\nMAIL_USE_SSL=true\nMAIL_USERNAME=me@qq.com\n"
                 "MAIL_PASSWORD=abcdefghijklmnop\nMAIL_DEFAULT_SENDER=me@qq.com\n")
    code, output = run(folder, "config")
    assert code == 0  # warnings: the verdict is the wire's
    assert "587  ← MAIL_PORT (read by the app's code, config.py:19)" in output
    assert "MAIL_USE_TLS ← config.py:20  MAIL_USE_TLS = os.environ.get('MAIL_USE_TLS', 'true').lower() in" in output
    assert "MAIL_USE_TLS=yes: the app's code reads it as false (config.py:20" in output
    assert ("MAIL_USE_SSL is set, but no file of the app's code that smtpdoctor read names it (config.py sets "
            "the other mail settings)") in " ".join(output.split())
    assert "MAIL_PASSWORD ← config.py:22  …" in output
    _, zh = run(folder, "config", "--lang", "zh")
    assert "MAIL_PORT（由应用代码读取，config.py:19）" in zh
    assert "MAIL_USE_TLS=yes：应用的代码把它读作 false" in zh
    assert "requirements.txt 中没有邮件库（应用直接用标准库 smtplib）" in zh
    _, raw = run(folder, "config", "--json")
    doc = json.loads(raw)
    assert {f["reason"] for f in doc["findings"]} >= {"config.code_reads_differently", "config.code_ignores"}
    readings = doc["settings"]["code"]["readings"]
    assert readings["MAIL_PORT"] == {"variables": ["MAIL_PORT"], "file": "config.py", "line": 19,
                                     "source": "MAIL_PORT = int(os.environ.get('MAIL_PORT') or 587)"}
    assert readings["MAIL_PASSWORD"]["source"] == "…"
    assert doc["settings"]["code"]["ignored"] == {"MAIL_USE_SSL": "config.py"}
    assert doc["settings"]["sources"]["port"] == "MAIL_PORT (read by the app's code, config.py:19)"
    assert "abcdefghijklmnop" not in raw


def test_a_literal_password_in_the_code_is_never_shown(tmp_path):
    (tmp_path / "config.py").write_text(
        "import os\nclass Config:\n    MAIL_SERVER = 'localhost'\n    MAIL_USERNAME = 'me@example.org'\n"
        "    MAIL_PASSWORD = os.environ.get('MAIL_PASSWORD') or 'hunter2-literal'\n", encoding="utf-8")
    (tmp_path / ".env").write_text("MAIL_DEFAULT_SENDER=me@example.org\n", encoding="utf-8")
    for args in (("config",), ("config", "--json"), ("config", "-v")):
        _, output = run(tmp_path, *args)
        assert "hunter2" not in output


def test_the_code_raising_is_an_error_before_the_network(tmp_path):
    folder = app(tmp_path, "decouple_app", "EMAIL_HOST=localhost\nEMAIL_USE_TLS=maybe\n"
                 "DEFAULT_FROM_EMAIL=a@example.org\n")
    code, output = run(folder, "check", "--alt-ports", "none")
    assert code == 2
    assert "The app's code raises ValueError reading EMAIL_USE_TLS from EMAIL_USE_TLS" in output
    assert "(settings.py:7): the app fails before it sends anything." in " ".join(output.split())
    reason = "config.code_raises"
    assert f"[{reason}]" in output


@needs_tree_sitter
def test_nodemailer_strict_true_and_compiled_typescript(tmp_path):
    code = code_of(app(tmp_path, "node_strict"))
    assert [value(code, "EMAIL_SECURE", {"EMAIL_SECURE": w}) for w in ("true", "True", "1")] == [
        "true", "false", "false"]
    assert value(code, "EMAIL_PORT", {}) == "587"
    assert value(code, "EMAIL_PORT", {"SMTP_PORT": "abc"}) == "587"  # Number('abc') || 587
    assert code.readings["EMAIL_HOST"].variables == ("SMTP_HOST",)
    ts = code_of(app(tmp_path, "node_ts"))
    # src/mailer.ts and dist/mailer.js are written differently and mean the same: one reading each.
    assert ts.notes == ()
    assert value(ts, "EMAIL_SECURE", {}) == "true"
    assert value(ts, "EMAIL_SECURE", {"SMTP_SECURE": "FALSE"}) == "false"
    assert value(ts, "EMAIL_SECURE", {"SMTP_SECURE": "no"}) == "true"
    assert value(ts, "EMAIL_PORT", {}) == "465"
    assert value(ts, "EMAIL_HOST", {"SMTP_HOST": "smtp.qq.com"}) == "smtp.qq.com"


@needs_tree_sitter
def test_javascript_idioms(tmp_path):
    (tmp_path / "mail.mjs").write_text(
        "import { createTransport } from 'nodemailer';\n"
        "const { MAIL_HOST: host = 'smtp.163.com', MAIL_PORT } = process.env;\n"
        "const options = { host, port: +MAIL_PORT || 465, secure: ['1', 'true'].includes(process.env.SSL ?? '1'),\n"
        "  auth: { user: `${process.env.U}`, pass: process.env.P }, requireTLS: true, service: 'qq' };\n"
        "export default createTransport(options);\n", encoding="utf-8")
    code = code_of(tmp_path)
    assert value(code, "EMAIL_HOST", {}) == "smtp.163.com"
    assert value(code, "EMAIL_PORT", {"MAIL_PORT": "25"}) == "25"
    assert value(code, "EMAIL_PORT", {}) == "465"
    assert value(code, "EMAIL_SECURE", {}) == "true"
    assert value(code, "EMAIL_SECURE", {"SSL": "0"}) == "false"
    assert value(code, "EMAIL_PROVIDER", {}) == "qq"
    assert value(code, "EMAIL_USER", {}) == "undefined"  # a template turns undefined into text
    assert [n.key for n in code.notes] == ["requireTLS"]


@needs_tree_sitter
def test_secure_from_the_port_follows_a_port_fix(tmp_path):
    """secure: Number(process.env.SMTP_PORT) === 465 — moving to 465 turns implicit TLS on by
    itself, so the fix is the port alone."""
    (tmp_path / "mailer.js").write_text(
        "const nodemailer = require('nodemailer');\n"
        "module.exports = nodemailer.createTransport({ host: process.env.SMTP_HOST,\n"
        "  port: Number(process.env.SMTP_PORT), secure: Number(process.env.SMTP_PORT) === 465 });\n",
        encoding="utf-8")
    code = code_of(tmp_path)
    assert value(code, "EMAIL_SECURE", {"SMTP_PORT": "465"}) == "true"
    assert value(code, "EMAIL_SECURE", {"SMTP_PORT": "587"}) == "false"
    assert encode(code, {"SMTP_PORT": "587"}, {"SMTP_PORT": "465", "EMAIL_SECURE": "true"}) == {"SMTP_PORT": "465"}
    # No value of SMTP_PORT makes 587 speak implicit TLS here.
    assert encode(code, {"SMTP_PORT": "465"}, {"SMTP_PORT": "587", "EMAIL_SECURE": "true"}) is None


@needs_tree_sitter
def test_laravel_mail_php_defaults_to_the_log_mailer(tmp_path):
    folder = app(tmp_path, "laravel", "MAIL_HOST=smtp.qq.com\nMAIL_USERNAME=me@qq.com\n"
                 "MAIL_PASSWORD=abcdefghijklmnop\nMAIL_FROM_ADDRESS=me@qq.com\nMAIL_ENCRYPTION=ssl\n")
    code, output = run(folder, "config")
    assert code == 2
    assert ("The app's mail configuration (config/mail.php:4) uses the log mailer: nothing is sent over "
            "SMTP at all.") in " ".join(output.split())
    assert "Set MAIL_MAILER=smtp" in output and "[config.mailer_not_smtp]" in output
    assert "587  ← MAIL_PORT (read by the app's code, config/mail.php:11)" in output
    assert ("MAIL_ENCRYPTION is set, but no file of the app's code that smtpdoctor read names it "
            "(config/mail.php sets") in " ".join(output.split())
    (folder / ".env").write_text("MAIL_MAILER=smtp\nMAIL_HOST=smtp.qq.com\nMAIL_USERNAME=me@qq.com\n"
                                 "MAIL_PASSWORD=abcdefghijklmnop\nMAIL_FROM_ADDRESS=me@qq.com\n",
                                 encoding="utf-8")
    code, output = run(folder, "config")
    assert "config.mailer_not_smtp" not in output
    laravel = code_of(folder)
    assert evaluate(laravel.readings["MAIL_SCHEME"], {"MAIL_SCHEME": "(null)"}) is None
    assert evaluate(laravel.readings["MAIL_PORT"], {"MAIL_PORT": "465"}) == "465"


def test_without_the_code_extra_javascript_is_said_not_read(tmp_path):
    folder = app(tmp_path, "node_strict", "SMTP_HOST=localhost\nSMTP_USER=a@example.org\nSMTP_PASS=x\n"
                 "EMAIL_FROM=a@example.org\n")
    blocker = ("import sys, importlib.abc\n"
               "class Block(importlib.abc.MetaPathFinder):\n"
               "    def find_spec(self, name, path=None, target=None):\n"
               "        if name.startswith('tree_sitter'): raise ModuleNotFoundError(name)\n"
               "sys.meta_path.insert(0, Block())\n"
               "import importlib.util\n"
               "importlib.util.find_spec = lambda name, *a: None if name.startswith('tree_sitter') else "
               "__import__('importlib').machinery.PathFinder.find_spec(name)\n"
               "from smtpdoctor.cli import main\nsys.argv = ['smtpdoctor', 'config']\nmain()\n")
    done = subprocess.run([sys.executable, "-c", blocker], cwd=folder, capture_output=True, text=True,
                          timeout=60, check=False)
    assert "Traceback" not in done.stderr
    assert "The app folder has mail code in javascript, which this install cannot read" in done.stdout
    reason = "config.code_not_read"
    assert "pip install 'smtpdoctor[code]'" in done.stdout and f"[{reason}]" in done.stdout


def test_a_big_tree_is_read_within_the_bound(tmp_path):
    """node_modules, a virtualenv and thousands of files: the walk skips what is never the
    app's own configuration and stops at its bound."""
    (tmp_path / "config.py").write_text("import os\nMAIL_PORT = int(os.getenv('MAIL_PORT', 465))\n")
    modules = tmp_path / "node_modules" / "nodemailer" / "lib"
    modules.mkdir(parents=True)
    (modules / "index.js").write_text("createTransport({ port: 1 })\n")
    venv = tmp_path / "venv2"
    (venv / "lib").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr\n")
    (venv / "lib" / "settings.py").write_text("MAIL_PORT = 1\n")
    for n in range(40):
        sub = tmp_path / "src" / f"pkg{n}"
        sub.mkdir(parents=True)
        for m in range(100):
            (sub / f"m{m}.py").write_text("x = 1\n")
    started = time.perf_counter()
    code = code_of(tmp_path)
    elapsed = time.perf_counter() - started
    assert code.readings["MAIL_PORT"].file == "config.py" and code.notes == ()
    assert code.scanned == MAX_OPENED
    print(f"read {code.scanned} files, {code.bytes_read} bytes in {elapsed * 1000:.0f} ms")


def test_source_segments_are_the_ones_ast_gives() -> None:
    """The code shown for a reading is sliced from lines split once per file; it is what
    ``ast.get_source_segment`` gives for every statement and expression, whatever ends the
    lines (LF, CR LF, a lone CR; a form feed ends none) and wherever a non-ASCII character sits."""
    import ast

    from smtpdoctor.config.appcode.python import segment, source_lines

    texts = [p.read_text(encoding="utf-8") for p in sorted(APPS.rglob("*.py"))]
    texts += ['MAIL_SERVER = os.environ.get(\r\n    "MAIL_SERVER", "smtp.qq.com")\r\nX = 1\r\n',
              'A = "é"; MAIL_PORT = int(os.getenv("MAIL_PORT", "465"))  # 端口\rB = (\r2)\r',
              'C = 1\f\nMAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "true") == "true"',
              "D = '''多行\n文本'''; E = {\n  'k': 'v',\n}"]
    compared = 0
    for text in texts:
        lines = source_lines(text)
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.stmt | ast.expr):
                assert segment(lines, node) == ast.get_source_segment(text, node), ast.dump(node)
                compared += 1
    assert compared > 500
