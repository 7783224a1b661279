"""Golden snapshots: what a user sees from a fixed set of runs (exit code, stdout, stderr,
and the files `--fix` writes), through the public surfaces only: the click CLI and
``smtpdoctor.check``. They pin behaviour across refactors that should change none of it.

Each scenario's runs are stored in ``tests/snapshots/<scenario>.txt`` after ``normalise``
has replaced what differs between two runs (durations, ports, paths, certificate dates…).

    SMTPDOCTOR_UPDATE_SNAPSHOTS=1 pytest tests/test_snapshots.py   # (re)record
    pytest tests/test_snapshots.py                                  # compare; a diff fails

A snapshot file that is missing fails in compare mode: it is never recorded silently."""

from __future__ import annotations

import csv
import difflib
import json
import os
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from smtpdoctor import __version__
from smtpdoctor import check as smtpdoctor_check
from tests import console
from tests.conftest import Outcome, Run
from tests.servers import (
    PASSWORD,
    USER,
    DNSServer,
    Recorder,
    SilentServer,
    SMTPServer,
    closed_port,
)

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("SMTPDOCTOR_UPDATE_SNAPSHOTS") == "1"

FLASK = ("MAIL_SERVER=localhost\nMAIL_PORT={port}\n{flags}MAIL_USERNAME=" + USER +
         "\nMAIL_PASSWORD=" + PASSWORD + "\n")
QQ_ENV = ("MAIL_SERVER=smtp.qq.com\nMAIL_PORT=465\nMAIL_USE_SSL=true\n"
          "MAIL_USERNAME=123456@qq.com\nMAIL_PASSWORD=abcdefghijklmnop\n")
QQ_LOGIN_FAIL = ("535 Login Fail. Please enter your authorization code to login. More information in "
                 "http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=28&&no=1001256")
GMAIL_APP_PASSWORD = ("534-5.7.9 Application-specific password required. Learn more at\r\n"
                      "534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor x1-20020a - gsmtp")
FIX_ORIGINAL = """# mail settings for the verification-code sender
MAIL_SERVER=localhost
MAIL_PORT={port}   # the provider's port
export MAIL_USE_SSL="true"
MAIL_USERNAME={user}
MAIL_PASSWORD='{password}'

OTHER_SETTING=keep me
"""
# The sending domain's records (no DKIM key: generated keys differ between runs).
ZONE: dict[str, dict[str, list[str]]] = {
    "acme-corp.cn": {"MX": ["10 mxbiz1.qq.com.", "20 mxbiz2.qq.com."],
                     "TXT": ['"v=spf1 include:spf.mail.qq.com ~all"']},
    "spf.mail.qq.com": {"TXT": ['"v=spf1 ip4:203.205.0.0/16 -all"']},
    "_dmarc.acme-corp.cn": {"TXT": ['"v=DMARC1; p=quarantine; rua=mailto:dmarc@acme-corp.cn"']},
}


# --- normalisation ------------------------------------------------------------------------------

HOSTNAME = socket.gethostname().strip()

# (pattern, replacement), applied in order after the ports, paths and host name of the run.
Replacement = str | Callable[[re.Match[str]], str]
RULE_TEXTS: list[tuple[str, Replacement]] = [
    # Durations: JSON numbers, the report's right-aligned column ("envelope     12 ms") with its
    # width kept, and "in 3 ms" / "用时 3 毫秒" in a summary.
    (r'"(duration_ms|latency_ms|ms)": [\d.]+', r'"\1": "<MS>"'),
    (r"(?<=\S)( +)(\d+)(?= ms\b)", lambda m: " " * max(1, len(m[1]) + len(m[2]) - 3) + "<N>"),
    (r"(?<![\w.<])\d+(?:\.\d+)? ?毫秒", "<N> 毫秒"),
    # Certificates: the expiry date of a certificate made for this run, and days left.
    (r'"days_left": -?\d+', '"days_left": "<DAYS>"'),
    (r'"(expires|not_after|not_before)": "[^"]*"', r'"\1": "<DATE>"'),
    (r"(expires in|expired) -?\d+ days?", r"\1 <DAYS> days"),
    (r"-?\d+ 天", "<DAYS> 天"),
    (r'"(serial|serial_number|fingerprint|sha256)": "[^"]*"', r'"\1": "<\1>"'),
    # Versions of the test servers' software (aiosmtpd, trustme) and of smtpdoctor itself.
    (r"Python SMTP \d+(?:\.\d+)+", "Python SMTP <VERSION>"),
    (r"trustme v\d+(?:\.\d+)+", "trustme v<VERSION>"),
    (r"smtpdoctor(/| |, version )" + re.escape(__version__) + r"\b", r"smtpdoctor\1<VERSION>"),
    # A sent message: its size, Date, Message-ID, the token --confirm looks for, the time in its body.
    (r'"bytes": \d+', '"bytes": "<BYTES>"'),
    (r"<\d+\.\d+\.\d+\.smtpdoctor@[^<>\s]+>", "<MESSAGE-ID>"),
    (r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}", "<RFC2822-DATE>"),
    (r"(X-Smtpdoctor-Token: )[0-9a-f]+", r"\1<TOKEN>"),
    (r"(Time: +)\d{4}-\d{2}-\d{2}T[\d:]+(?:Z|[+-]\d{2}:\d{2})?", r"\1<TIME>"),
    # The EHLO name the client would send from this machine: its hostname, an address, "localhost".
    (r'"ehlo_name": "[^"]*"', '"ehlo_name": "<EHLO>"'),
    (r"(C: EHLO )\S+", r"\1<EHLO>"),
    # Paths pytest makes, if any escaped the run's own replacements.
    (r"/tmp/pytest-of-[^/\s]+/pytest-\d+/[^\s\"')]*", "<TMP>"),
]
# click 8.1 (the floor) names the first help option in its usage hint, 8.2 the long one.
RULE_TEXTS.append((r"Try '(smtpdoctor[\w -]*?) -h' for help", r"Try '\1 --help' for help"))
RULES: list[tuple[re.Pattern[str], Replacement]] = [(re.compile(p), r) for p, r in RULE_TEXTS]


def normalise(text: str, ports: Mapping[int, str] | None = None,
              paths: Mapping[str, str] | None = None, hostname: str = HOSTNAME) -> str:
    """``text`` with everything that differs between two runs replaced by a placeholder:
    the given paths (longest first), port numbers and this machine's name, then ``RULES``."""
    for path, name in sorted((paths or {}).items(), key=lambda item: -len(item[0])):
        text = text.replace(path, name)
    for number, name in (ports or {}).items():
        text = re.sub(rf"(?<!\d){number}(?!\d)", name, text)
    if hostname:
        text = re.sub(rf"(EHLO |test from |Machine: +|来自 ){re.escape(hostname)}(?![\w.-])", r"\1<HOSTNAME>", text)
    for pattern, replacement in RULES:
        text = pattern.sub(replacement, text)
    return text


# --- recording ----------------------------------------------------------------------------------

@dataclass
class Snapshot:
    """One scenario's runs, rendered as one readable text file."""

    smtpdoctor: Run
    request: pytest.FixtureRequest
    ca_file: str
    tmp_path: Path
    ports: dict[int, str] = field(default_factory=dict)
    sections: list[str] = field(default_factory=list)

    def port(self, number: int, name: str = "PORT") -> int:
        """Record ``number`` as ``<name>`` in the snapshot."""
        assert number not in self.ports, number
        self.ports[number] = f"<{name}>"
        return number

    def closed_port(self, name: str = "PORT") -> int:
        """A port nothing listens on, other than every port this scenario already uses."""
        number = closed_port()
        while number in self.ports:
            number = closed_port()
        return self.port(number, name)

    def fixture(self, name: str) -> Any:
        return self.request.getfixturevalue(name)

    def write(self, text: str = "", name: str = ".env", **values: object) -> str:
        """A dotenv (or any) file in the working folder; its name relative to it, so that
        no run-dependent path reaches the output (and no line wraps differently)."""
        path = self.tmp_path / name
        path.write_text(text + "".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
        path.chmod(0o600)
        return name

    def account(self, port: int, **extra: object) -> str:
        values: dict[str, object] = {"SMTP_HOST": "localhost", "SMTP_PORT": port,
                                     "SMTP_USER": USER, "SMTP_PASSWORD": PASSWORD}
        values.update(extra)
        return self.write("".join(f"{k}={v}\n" for k, v in values.items() if v is not None))

    def run(self, *args: str, env: dict[str, str] | None = None) -> Outcome:
        out = self.smtpdoctor(*args, env=env)
        self.record(f"$ smtpdoctor {' '.join(quote(a) for a in args)}", out.exit_code, out.stdout, out.stderr)
        return out

    def console(self, *args: str) -> None:
        """The installed console script, run as a user runs it (a subprocess)."""
        out = console.run(*args)
        self.record(f"$ smtpdoctor {' '.join(quote(a) for a in args)}  # console script", out.code,
                    out.stdout, out.stderr)

    def record(self, title: str, exit_code: int | None, stdout: str, stderr: str = "") -> None:
        lines = [f"==> {title}"]
        if exit_code is not None:
            lines.append(f"exit code: {exit_code}")
        lines += ["--- stdout", stdout.rstrip("\n") if stdout else "(empty)",
                  "--- stderr", stderr.rstrip("\n") if stderr else "(empty)"]
        self.sections.append("\n".join(lines))

    def file(self, name: str) -> None:
        """Record a file in the working folder, or that it does not exist."""
        path = self.tmp_path / name
        body = path.read_text(encoding="utf-8") if path.exists() else "(does not exist)"
        self.sections.append(f"==> file {name}\n{body.rstrip(chr(10))}")

    def check(self, env: str, *extra: str, langs: tuple[str, ...] = ("en",), as_json: bool = True,
              timeout: str = "2", alt_ports: str = "none", command: str = "check") -> None:
        """``check`` (or another command taking the same options) as JSON, then as text in ``langs``."""
        base = (command, *extra, "--env-file", env, "--ca-file", self.ca_file, "--alt-ports", alt_ports,
                "--timeout", timeout)
        if as_json:
            self.run(*base, "--json")
        for lang in langs:
            self.run(*base, *(("--lang", lang) if lang != "en" else ()))

    def text(self) -> str:
        body = "\n\n".join(self.sections) + "\n"
        return normalise(body, self.ports, {self.ca_file: "<CA_FILE>", str(self.tmp_path): "<TMP>"})


def quote(arg: str) -> str:
    return arg if re.fullmatch(r"[\w@%+=:,./<>-]+", arg) else json.dumps(arg, ensure_ascii=False)


# --- scenarios ----------------------------------------------------------------------------------

Scenario = Callable[[Snapshot], None]
SCENARIOS: dict[str, Scenario] = {}


def scenario(func: Scenario) -> Scenario:
    SCENARIOS[func.__name__] = func
    return func


@scenario
def check_starttls_pass(s: Snapshot) -> None:
    with SMTPServer("starttls", s.fixture("good_tls")) as server:
        s.check(s.account(s.port(server.port)), langs=("en", "zh"))


@scenario
def check_implicit_tls_pass(s: Snapshot) -> None:
    with SMTPServer("ssl", s.fixture("good_tls")) as server:
        s.check(s.account(s.port(server.port), SMTP_SECURE="true"))


@scenario
def check_verbose_transcript(s: Snapshot) -> None:
    with SMTPServer("starttls", s.fixture("good_tls")) as server:
        s.check(s.account(s.port(server.port)), "-v")


@scenario
def check_quiet_failure(s: Snapshot) -> None:
    with SMTPServer("starttls", s.fixture("good_tls"), password="other") as server:
        s.check(s.account(s.port(server.port)), "--quiet", as_json=False)


@scenario
def check_wrong_password(s: Snapshot) -> None:
    with SMTPServer("starttls", s.fixture("good_tls"), password="other") as server:
        s.check(s.account(s.port(server.port)), langs=("en", "zh"))


@scenario
def check_qq_login_fail(s: Snapshot) -> None:
    with SMTPServer("ssl", s.fixture("good_tls"), auth_reply=QQ_LOGIN_FAIL) as server:
        s.check(s.account(s.port(server.port), SMTP_SECURE="true", SMTP_PASSWORD="wrong-password-1"),
                langs=("en", "zh"))


@scenario
def check_gmail_app_password_required(s: Snapshot) -> None:
    with SMTPServer("ssl", s.fixture("good_tls"), auth_reply=GMAIL_APP_PASSWORD) as server:
        s.check(s.account(s.port(server.port), SMTP_SECURE="true", SMTP_PASSWORD="wrong-password-1"))


@scenario
def check_implicit_tls_against_starttls_port(s: Snapshot) -> None:
    with SMTPServer("starttls", s.fixture("good_tls")) as server:
        env = s.write(FLASK.format(port=s.port(server.port), flags="MAIL_USE_SSL=true\n"))
        s.check(env, langs=("en", "zh"))


@scenario
def check_starttls_against_implicit_tls_port(s: Snapshot) -> None:
    with SMTPServer("ssl", s.fixture("good_tls")) as server:
        env = s.write(FLASK.format(port=s.port(server.port), flags="MAIL_USE_TLS=true\n"))
        s.check(env, timeout="5")


@scenario
def check_refused_port_with_fixes_on_alt_ports(s: Snapshot) -> None:
    """The configured port refuses; one alternative speaks implicit TLS, one STARTTLS, one refuses."""
    good_tls = s.fixture("good_tls")
    with SMTPServer("ssl", good_tls) as implicit, SMTPServer("starttls", good_tls) as upgrade:
        alt = f"{s.port(implicit.port, 'SSL_ALT_PORT')},{s.port(upgrade.port, 'STARTTLS_ALT_PORT')}"
        configured = s.closed_port("CONFIGURED_PORT")
        alt += f",{s.closed_port('REFUSING_ALT_PORT')}"
        env = s.write(FLASK.format(port=configured, flags="MAIL_USE_TLS=true\n"))
        s.check(env, alt_ports=alt, langs=("en", "zh"))


@scenario
def check_cert_untrusted(s: Snapshot) -> None:
    with SMTPServer("ssl", s.fixture("untrusted_tls")) as server:
        s.check(s.account(s.port(server.port), SMTP_SECURE="true"), langs=("en", "zh"))


@scenario
def check_cert_wrong_name(s: Snapshot) -> None:
    with SMTPServer("starttls", s.fixture("wrong_name_tls")) as server:
        s.check(s.account(s.port(server.port)))


@scenario
def check_cert_expired(s: Snapshot) -> None:
    with SMTPServer("ssl", s.fixture("expired_tls")) as server:
        s.check(s.account(s.port(server.port), SMTP_SECURE="true"))


@scenario
def check_connection_refused(s: Snapshot) -> None:
    s.check(s.account(s.closed_port()), langs=("en", "zh"))


@scenario
def check_greeting_timeout(s: Snapshot) -> None:
    with SilentServer() as silent:
        s.check(s.account(s.port(silent.port)), timeout="0.5")


@scenario
def check_dns_nxdomain_typo(s: Snapshot) -> None:
    with DNSServer(nxdomain={"smtp.qq.cm"}) as dns:
        env = s.write(FLASK.format(port=465, flags="MAIL_USE_SSL=true\n").replace("localhost", "smtp.qq.cm"))
        s.check(env, "--dns-server", f"127.0.0.1:{s.port(dns.port, 'DNS_PORT')}", langs=("en", "zh"))


@scenario
def check_configuration_error(s: Snapshot) -> None:
    s.check(s.write("SMTP_PORT=587\n"), langs=("en", "zh"))


@scenario
def console_script_usage(s: Snapshot) -> None:
    """The installed console script in a subprocess: main() turns usage errors into exit 2
    (a JSON document under --json), which an in-process click run does not show."""
    s.console("--version")
    s.console("--help")
    s.console("check", "--help")
    s.console("check", "--timeout", "-1")
    s.console("check", "--alt-ports", "465,x", "--json")
    s.console("domain", "a..b", "--json")


@scenario
def check_fix_writes_the_dotenv(s: Snapshot) -> None:
    with SMTPServer("starttls", s.fixture("good_tls")) as server:
        original = FIX_ORIGINAL.format(port=s.port(server.port), user=USER, password=PASSWORD)
        for extra in ((), ("--json",)):
            for name in (".env", ".env.bak"):
                (s.tmp_path / name).unlink(missing_ok=True)
            env = s.write(original)
            s.run("check", "--fix", "--env-file", env, "--ca-file", s.ca_file, "--alt-ports", "none",
                  "--timeout", "2", *extra)
            s.file(".env")
            s.file(".env.bak")


@scenario
def check_accounts_jsonl(s: Snapshot) -> None:
    with SMTPServer("starttls", s.fixture("good_tls"), password=PASSWORD) as server:
        port = s.port(server.port)
        base = {"tenant_id": "t1", "setting_name": "main", "smtp_host": "localhost", "smtp_port": port,
                "smtp_username": USER, "smtp_password": PASSWORD, "security_protocol": "STARTTLS",
                "from_email": USER, "from_name": "Shop"}
        rows: list[dict[str, object]] = [
            base,
            {**base, "tenant_id": "t2", "smtp_password": "wrong-password"},
            {k: v for k, v in {**base, "tenant_id": "t3", "setting_name": "no host"}.items() if k != "smtp_host"},
        ]
        source = s.write("".join(json.dumps(r) + "\n" for r in rows), name="accounts.jsonl")
        for extra in (("--json",), (), ("--lang", "zh")):
            s.run("check", "--accounts", source, "--ca-file", s.ca_file, "--alt-ports", "none",
                  "--timeout", "2", "--concurrency", "1", *extra)


@scenario
def check_accounts_csv(s: Snapshot) -> None:
    with SMTPServer("starttls", s.fixture("good_tls")) as server:
        port = s.port(server.port)
        path = s.tmp_path / "accounts.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "note"])
            writer.writerow(["localhost", port, USER, PASSWORD, "ok"])
            writer.writerow(["localhost", port, USER, "wrong-password", "typo"])
        for extra in (("--json",), ()):
            s.run("check", "--accounts", path.name, "--ca-file", s.ca_file, "--alt-ports", "none",
                  "--timeout", "2", "--concurrency", "1", *extra)


@scenario
def config_qq(s: Snapshot) -> None:
    env = s.write(QQ_ENV)
    s.run("config", "--env-file", env, "--json")
    s.run("config", "--env-file", env)
    s.run("config", "--env-file", env, "--lang", "zh")


@scenario
def config_with_findings(s: Snapshot) -> None:
    env = s.write(SMTP_HOST="smtp.qq.com", SMTP_PORT=587, SMTP_USER="123456@qq.com",
                  SMTP_PASSWORD="MyQQPassword1", SMTP_FROM="other@example.com", SMTP_PASSWD="x")
    s.run("config", "--env-file", env, "--json")
    s.run("config", "--env-file", env)
    s.run("config", "--env-file", env, "--lang", "zh")


@scenario
def providers(s: Snapshot) -> None:
    s.run("providers", "--json")
    s.run("providers")
    s.run("providers", "--lang", "zh")


@scenario
def explain_eauth(s: Snapshot) -> None:
    explain_all(s, "EAUTH")


@scenario
def explain_535(s: Snapshot) -> None:
    explain_all(s, "535")


@scenario
def explain_dt_spm(s: Snapshot) -> None:
    explain_all(s, "DT:SPM")


@scenario
def explain_pasted_qq_error_with_dotenv(s: Snapshot) -> None:
    env = s.write("EMAIL_HOST=smtp.qq.com\nEMAIL_HOST_PASSWORD=x\n", name="prod.env")
    s.run("explain", "535 Login Fail", "--env-file", env)
    s.run("explain", "Error: getaddrinfo ENOTFOUND smtp.qq.cm")


def explain_all(s: Snapshot, code: str) -> None:
    for lang in ("en", "zh"):
        s.run("explain", code, "--lang", lang, "--json")
        s.run("explain", code, "--lang", lang)


@scenario
def domain_exmail(s: Snapshot) -> None:
    with DNSServer({"localhost": ["127.0.0.1"]}, zone=ZONE) as dns:
        env = s.write(SMTP_FROM="nobody@example.invalid")
        args = ("--env-file", env, "--dns-server", f"127.0.0.1:{s.port(dns.port, 'DNS_PORT')}", "--timeout", "3")
        s.run("domain", "acme-corp.cn", *args, "--json")
        s.run("domain", "acme-corp.cn", *args)
        s.run("domain", "acme-corp.cn", *args, "--lang", "zh")


@scenario
def send_test_delivers(s: Snapshot) -> None:
    with SMTPServer("starttls", s.fixture("good_tls")) as server:
        s.check(s.account(s.port(server.port)), "you@example.com", command="send-test", langs=("en", "zh"))
    [envelope, *_] = server.handler.received
    assert envelope.original_content is not None
    s.record(f"message received (envelope from {envelope.mail_from} to {envelope.rcpt_tos})", None,
             envelope.original_content.decode("utf-8", "replace").replace("\r\n", "\n"))


@scenario
def send_test_refused_as_spam(s: Snapshot) -> None:
    reply = ("554 DT:SPM 163 smtp10,DsCowAD3R5xY,please see "
             "http://mail.163.com/help/help_spam_16.htm?ip=1.2.3.4&hostid=smtp10")
    with SMTPServer("starttls", s.fixture("good_tls"), handler=Recorder(data_reply=reply)) as server:
        s.check(s.account(s.port(server.port)), "you@example.com", command="send-test")


@scenario
def python_api_check(s: Snapshot) -> None:
    """``smtpdoctor.check``: the document of a passing and of a failing login."""
    with SMTPServer("starttls", s.fixture("good_tls"), password="other") as bad, \
            SMTPServer("starttls", s.fixture("good_tls")) as good:
        for server, name in ((good, "GOOD_PORT"), (bad, "BAD_PASSWORD_PORT")):
            settings = {"SMTP_HOST": "localhost", "SMTP_PORT": s.port(server.port, name),
                        "SMTP_USER": USER, "SMTP_PASSWORD": PASSWORD}
            for lang in ("en", "zh"):
                report = smtpdoctor_check(settings, ca_file=s.ca_file, alt_ports="none", timeout=2, lang=lang)
                s.record(f"smtpdoctor.check(SMTP_PORT={server.port}, lang={lang!r})", None,
                         f"ok={report.ok} exit_code={report.exit_code}\n"
                         + json.dumps(report.to_dict(lang), ensure_ascii=False, indent=2))


# --- the test -----------------------------------------------------------------------------------

@pytest.fixture
def snapshot(smtpdoctor: Run, request: pytest.FixtureRequest, ca_file: str, tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch) -> Snapshot:
    monkeypatch.delenv("COLUMNS", raising=False)  # the default width off a terminal
    monkeypatch.delenv("SMTPDOCTOR_UPDATE_SNAPSHOTS", raising=False)
    return Snapshot(smtpdoctor, request, ca_file, tmp_path)


def compare(name: str, actual: str) -> None:
    path = SNAPSHOTS / f"{name}.txt"
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"no snapshot {path}: record it with SMTPDOCTOR_UPDATE_SNAPSHOTS=1", pytrace=False)
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = difflib.unified_diff(expected.splitlines(keepends=True), actual.splitlines(keepends=True),
                                    f"{path} (recorded)", f"{name} (this run)")
        pytest.fail("output differs from the snapshot (SMTPDOCTOR_UPDATE_SNAPSHOTS=1 re-records):\n"
                    + "".join(diff), pytrace=False)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_snapshot(snapshot: Snapshot, name: str) -> None:
    SCENARIOS[name](snapshot)
    compare(name, snapshot.text())


def test_every_snapshot_file_has_its_scenario() -> None:
    """A renamed or removed scenario leaves no stale file behind."""
    stale = sorted(p.name for p in SNAPSHOTS.glob("*.txt") if p.stem not in SCENARIOS)
    if UPDATE:
        for name in stale:
            (SNAPSHOTS / name).unlink()
        return
    assert stale == [], f"snapshot files without a scenario: {stale}"


def test_normalise_replaces_what_differs_between_runs() -> None:
    text = ('"duration_ms": 12.5, "days_left": 355411\n  ✓ dns           1 ms  localhost:51234\n'
            '  ✓ envelope     12 ms  x\n"expires": "3000-01-01" in 3 ms 用时 4 毫秒 C: EHLO box-1\n'
            "/tmp/pytest-of-x/pytest-7/test_a0/.env since 2024-09-16")
    assert normalise(text, {51234: "<PORT>"}, hostname="box-1") == (
        '"duration_ms": "<MS>", "days_left": "<DAYS>"\n  ✓ dns         <N> ms  localhost:<PORT>\n'
        '  ✓ envelope    <N> ms  x\n"expires": "<DATE>" in <N> ms 用时 <N> 毫秒 C: EHLO <EHLO>\n'
        "<TMP> since 2024-09-16")
