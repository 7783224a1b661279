"""--accounts: many accounts from a file, stdin or PostgreSQL (Fernet-encrypted passwords),
each checked as its own app would be, against loopback servers and a real PostgreSQL."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.console import run
from tests.postgres import PG_PASSWORD, postgres_server
from tests.servers import PASSWORD, USER, ScriptedServer, SilentServer


def row(port: int, **extra: object) -> dict[str, object]:
    values: dict[str, object] = {"tenant_id": "t1", "setting_name": "main", "smtp_host": "localhost",
                                 "smtp_port": port, "smtp_username": USER, "smtp_password": PASSWORD,
                                 "security_protocol": "STARTTLS", "from_email": USER, "from_name": "Shop"}
    values.update(extra)
    return {k: v for k, v in values.items() if v is not None}


def jsonl(tmp_path: Path, rows: list[object], name: str = "accounts.jsonl") -> str:
    path = tmp_path / name
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return str(path)


@pytest.fixture
def fleet(smtpdoctor, ca_file):
    def run_(source: str, *extra: str, env: dict[str, str] | None = None):
        return smtpdoctor("check", "--accounts", source, "--ca-file", ca_file, "--alt-ports", "none",
                          "--timeout", "2", *extra, env=env)
    return run_


def accounts_by_label(doc: dict) -> dict[str, dict]:
    return {a["account"]["label"]: a for a in doc["accounts"]}


def failed(account: dict) -> tuple[str, str]:
    probe = next(p for p in account["probes"] if p["status"] == "fail")
    return probe["name"], probe["error"]["reason"]


# --- sources and rows ---------------------------------------------------------------------------

def test_jsonl_with_good_bad_and_malformed_rows(starttls_server, fleet, tmp_path):
    source = jsonl(tmp_path, [
        row(starttls_server.port),
        # The seed's own example row: "TLS" on 587 is implicit TLS to aiosmtplib.
        row(starttls_server.port, tenant_id="t2", setting_name="tls on 587", security_protocol="TLS"),
        row(starttls_server.port, tenant_id="t3", setting_name="no host", smtp_host=None),
        row(starttls_server.port, tenant_id="t4", setting_name="bad port", smtp_port="abc"),
        "{not json",
        "[1, 2]",
    ])
    out = fleet(source, "--json", "--client", "aiosmtplib")
    doc = out.doc
    assert out.exit_code == 2 == doc["exit_code"]  # the worst row's
    assert doc["summary"] == {"total": 6, "passed": 1, "failed": 1, "config_errors": 4, "internal_errors": 0}
    by_label = accounts_by_label(doc)
    assert by_label["t1/main"]["ok"] is True
    assert by_label["t1/main"]["account"] == {"index": 0, "label": "t1/main", "tenant_id": "t1",
                                              "setting_name": "main"}
    tls = by_label["t2/tls on 587"]
    assert failed(tls) == ("tls", "tls.wrong_mode")
    # The row's own vocabulary: to the API's code (use_tls = protocol == "TLS") "SSL" means a plain
    # connection upgraded with STARTTLS, which is what port 587 speaks.
    assert tls["fixes"][0]["changes"] == {"security_protocol": "SSL"}
    assert [f["reason"] for f in by_label["t3/no host"]["findings"]] == ["config.missing_host"]
    assert "config.bad_port" in [f["reason"] for f in by_label["t4/bad port"]["findings"]]
    assert by_label["row 5"]["findings"][0]["reason"] == "config.bad_account"
    assert "line 5 is not JSON" in by_label["row 5"]["findings"][0]["message"]
    assert "item" not in by_label["row 6"]["findings"][0]["message"]
    assert "line 6 is not an object" in by_label["row 6"]["findings"][0]["message"]
    assert PASSWORD not in out.stdout


def test_tls_without_a_client_is_probed_and_warned(starttls_server, fleet, tmp_path):
    out = fleet(jsonl(tmp_path, [row(starttls_server.port, security_protocol="TLS")]), "--json")
    [account] = out.doc["accounts"]
    assert out.exit_code == 0
    warning = next(f for f in account["findings"] if f["reason"] == "config.tls_word_ambiguous")
    assert "implicit TLS to aiosmtplib" in warning["message"] and "--client aiosmtplib" in warning["remedy"]
    # What the API's own code would do on this very port, not just that the word is ambiguous.
    assert (f"smtpdoctor checks it with STARTTLS on port {starttls_server.port}; the API's own code starts implicit TLS "
            "there, which fails wherever the port speaks STARTTLS") in warning["message"]
    assert account["settings"]["security"] == "starttls"


def test_the_apis_own_requirements_decide_how_a_row_is_read(starttls_server, fleet, tmp_path):
    """Seed 004's folder: its requirements.txt lists aiosmtplib, whose code is
    use_tls=security_protocol == 'TLS': "TLS" on a STARTTLS port fails there, with no --client."""
    (tmp_path / "requirements.txt").write_text("fastapi==0.104.1\naiosmtplib==3.0.1\n")
    out = fleet(jsonl(tmp_path, [row(starttls_server.port, security_protocol="TLS")]), "--json")
    [account] = out.doc["accounts"]
    assert out.exit_code == 1
    assert failed(account) == ("tls", "tls.wrong_mode")
    assert account["settings"]["client"]["id"] == "aiosmtplib"
    assert account["settings"]["client"]["source"] == "requirements.txt"
    assert account["fixes"][0]["changes"] == {"security_protocol": "SSL"}


def test_a_passing_row_shows_its_warning_in_the_summary(starttls_server, fleet, tmp_path):
    """"✓ acme/main" alone would read as a green light for the API whose own code fails there."""
    out = fleet(jsonl(tmp_path, [row(starttls_server.port, security_protocol="TLS")]))
    lines = out.stdout.splitlines()
    assert lines[0] == "✓ t1/main"
    assert lines[1].startswith("  ! security_protocol=TLS means different things to different clients")
    assert "[config.tls_word_ambiguous]" in out.stdout and "→ Pass --client aiosmtplib" in out.stdout
    assert lines[-1] == ("1 of 1 accounts passed (1 with warnings to read); 0 failed, "
                         "0 with configuration errors (exit 0)")


def test_tls_on_the_implicit_port_agrees_with_the_apis_code():
    from smtpdoctor.config.preflight import resolve_mapping
    from smtpdoctor.views.words import render

    preflight = resolve_mapping({"smtp_host": "smtp.qq.com", "smtp_port": 465, "security_protocol": "TLS",
                                 "smtp_username": "123456@qq.com", "smtp_password": "abcdefghijklmnop"})
    warning = next(f for f in preflight.findings if f.reason == "config.tls_word_ambiguous")
    text = render(warning.reason, warning.params, preflight.settings, preflight.provider, "en")
    assert text.message.endswith("smtpdoctor checks it with implicit TLS on port 465, as the API's own code does; "
                                 "nodemailer, Laravel and Django would wait for a plaintext greeting there instead.")


def test_csv_with_a_familys_variable_names(starttls_server, fleet, tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text("SMTP_HOST,SMTP_PORT,SMTP_USER,SMTP_PASSWORD,note\n"
                    f"localhost,{starttls_server.port},{USER},{PASSWORD},ok\n"
                    f"localhost,{starttls_server.port},{USER},wrong-password,typo\n"
                    f"localhost,{starttls_server.port},{USER},{PASSWORD},x,one cell too many\n")
    out = fleet(str(path), "--json")
    codes = [a["exit_code"] for a in out.doc["accounts"]]
    assert codes == [0, 1, 2]
    assert failed(out.doc["accounts"][1]) == ("auth", "auth.bad_credentials")
    assert "more cells than the header" in out.doc["accounts"][2]["findings"][0]["message"]
    assert out.doc["accounts"][0]["settings"]["family"] == "smtp"


def test_json_array_and_a_source_that_is_not_one(starttls_server, fleet, tmp_path):
    good = tmp_path / "a.json"
    good.write_text(json.dumps([row(starttls_server.port), row(starttls_server.port, tenant_id="t9")]))
    out = fleet(str(good), "--json")
    assert out.exit_code == 0 and out.doc["summary"]["passed"] == 2
    bad = tmp_path / "b.json"
    bad.write_text('{"smtp_host": "x"}')
    out = fleet(str(bad), "--json")
    assert out.exit_code == 2
    assert out.doc["findings"][0]["reason"] == "config.accounts_unreadable"
    assert "array of objects" in out.doc["findings"][0]["message"]


def test_json_lines_on_stdin(starttls_server, ca_file, tmp_path):
    lines = "".join(json.dumps(row(starttls_server.port, tenant_id=f"t{i}")) + "\n" for i in range(3))
    lines += json.dumps(row(starttls_server.port, tenant_id="t-wrong", smtp_password="nope")) + "\n" + "oops\n"
    result = run_stdin(["check", "--accounts", "-", "--ca-file", ca_file, "--alt-ports", "none", "--json"], lines)
    assert result.returncode == 2, result.stderr
    doc = json.loads(result.stdout)
    assert doc["summary"] == {"total": 5, "passed": 3, "failed": 1, "config_errors": 1, "internal_errors": 0}
    assert [a["account"]["label"] for a in doc["accounts"]][3:] == ["t-wrong/main", "row 5"]


def run_stdin(args: list[str], text: str, extra_env: dict[str, str] | None = None):
    import subprocess

    from tests.console import SCRIPT

    environ = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "MAIL_"))}
    return subprocess.run([SCRIPT, *args], input=text, capture_output=True, text=True, timeout=60,
                          env=environ | (extra_env or {}))


def test_rows_never_read_the_environment_or_a_dotenv_file(starttls_server, fleet, tmp_path, monkeypatch):
    (tmp_path / ".env").write_text(f"SMTP_HOST=localhost\nSMTP_PORT={starttls_server.port}\nSMTP_PASSWORD={PASSWORD}\n")
    monkeypatch.chdir(tmp_path)
    source = jsonl(tmp_path, [row(starttls_server.port, smtp_host=None), row(starttls_server.port, smtp_password=None)])
    out = fleet(source, "--json", env={"SMTP_HOST": "localhost", "SMTP_PASSWORD": PASSWORD})
    reasons = [[f["reason"] for f in a["findings"] if f["severity"] == "error"] for a in out.doc["accounts"]]
    assert reasons == [["config.missing_host"], ["config.missing_password"]]
    # The fix is in the row, not in a .env file or a --host option the row cannot take.
    remedies = [a["findings"][0]["remedy"] for a in out.doc["accounts"]]
    assert remedies[0] == "Set smtp_host in this account's row (for example smtp.qq.com); `smtpdoctor providers` lists the hosts."
    assert remedies[1].startswith("Set smtp_password in this account's row")


# --- concurrency that respects providers ----------------------------------------------------------

class CountingServer(ScriptedServer):
    """Counts the sessions open at once (each lingers a little at EHLO). A session
    ends when its QUIT arrives, before the 221 goes out: the client cannot start
    its next connection before that, so the count has no race with thread scheduling."""

    def __init__(self, context: object) -> None:
        super().__init__({"AUTH": b"235 2.7.0 Accepted\r\n"}, context=context, ehlo_delay=0.05)  # type: ignore[arg-type]
        self.open = 0
        self.most = 0
        self.connections = 0
        self.lock = threading.Lock()
        self.session = threading.local()

    def _talk(self, conn) -> None:  # type: ignore[no-untyped-def]
        with self.lock:
            self.open += 1
            self.connections += 1
            self.most = max(self.most, self.open)
        self.session.ended = False
        try:
            super()._talk(conn)
        finally:
            self.quitting()

    def quitting(self) -> None:
        if not self.session.ended:
            self.session.ended = True
            with self.lock:
                self.open -= 1


def test_the_per_host_limit_bounds_connections_to_one_host(fleet, tmp_path, good_tls):
    with CountingServer(good_tls) as server:
        rows = [row(server.port, tenant_id=f"t{i}", security_protocol="SSL") for i in range(12)]
        started = time.monotonic()
        out = fleet(jsonl(tmp_path, rows), "--json", "--concurrency", "10", "--per-host", "2")
        took = time.monotonic() - started
    assert out.doc["summary"]["passed"] == 12, out.doc["summary"]
    assert server.most == 2
    assert server.connections == 12
    assert took < 10


def test_concurrency_runs_accounts_side_by_side(fleet, tmp_path, good_tls):
    with CountingServer(good_tls) as server:
        rows = [row(server.port, tenant_id=f"t{i}", security_protocol="SSL") for i in range(8)]
        out = fleet(jsonl(tmp_path, rows), "--json", "--concurrency", "8", "--per-host", "8")
    assert out.doc["summary"]["passed"] == 8
    assert server.most > 2


# --- output ----------------------------------------------------------------------------------------

def test_text_summary_names_each_account_and_its_fix(starttls_server, fleet, tmp_path):
    source = jsonl(tmp_path, [row(starttls_server.port),
                              row(starttls_server.port, tenant_id="t2", setting_name="tls on 587", security_protocol="TLS"),
                              row(starttls_server.port, tenant_id="t3", setting_name="no host", smtp_host=None)])
    out = fleet(source, "--client", "aiosmtplib")
    text = " ".join(out.stdout.split())
    assert "✓ t1/main" in text
    assert "✗ t2/tls on 587 tls ETLS tls.wrong_mode" in text
    assert "fix: Set security_protocol=SSL. Verified in this run" in text
    assert "✗ t3/no host ECONFIG config.missing_host" in text and "Set smtp_host" in text
    assert "1 of 3 accounts passed; 1 failed, 1 with configuration errors (exit 2)" in text
    assert out.exit_code == 2
    assert PASSWORD not in out.stdout


def test_a_fix_that_leads_to_the_next_failure_shows_it(starttls_server, ssl_server, fleet, tmp_path):
    """The fix says "the credentials themselves are refused: see below": below must exist."""
    source = jsonl(tmp_path, [row(starttls_server.port, security_protocol="SSL", smtp_password="wrong")])
    out = fleet(source, "--alt-ports", str(ssl_server.port))
    text = " ".join(out.stdout.split())
    assert "took the login (the credentials themselves are refused: see below)" in text
    assert f"then, with smtp_port={ssl_server.port}: ✗ auth" in text
    assert "EAUTH auth.bad_credentials" in text


def test_junit_has_one_testsuite_per_account(starttls_server, fleet, tmp_path):
    report = tmp_path / "r.xml"
    fleet(jsonl(tmp_path, [row(starttls_server.port), row(starttls_server.port, tenant_id="t2", smtp_password="nope")]),
          "--junit-xml", str(report))
    suites = ET.parse(report).getroot()
    assert suites.tag == "testsuites"
    assert [s.get("name") for s in suites] == ["smtpdoctor check t1/main", "smtpdoctor check t2/main"]
    assert [s.get("failures") for s in suites] == ["0", "1"]


def test_send_test_for_every_account(starttls_server, smtpdoctor, ca_file, tmp_path):
    out = smtpdoctor("send-test", "you@example.com", "--accounts", jsonl(tmp_path, [row(starttls_server.port)] * 2),
                     "--ca-file", ca_file, "--alt-ports", "none", "--json")
    assert out.exit_code == 0
    assert len(starttls_server.handler.received) == 2


# --- PostgreSQL, with Fernet-encrypted passwords --------------------------------------------------------

@pytest.fixture(scope="module")
def postgres():
    with postgres_server() as url:
        yield url


def seed_table(url: str, rows: list[tuple]) -> None:
    import asyncpg

    async def main() -> None:
        conn = await asyncpg.connect(url)
        await conn.execute("DROP TABLE IF EXISTS tenant_smtp_settings")
        await conn.execute("""CREATE TABLE tenant_smtp_settings (
            tenant_id text, setting_name text, smtp_host text, smtp_port integer, smtp_username text,
            smtp_password text, security_protocol text, from_email text, from_name text)""")
        await conn.executemany("INSERT INTO tenant_smtp_settings VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)", rows)
        await conn.close()
    asyncio.run(main())


QUERY = "SELECT * FROM tenant_smtp_settings ORDER BY tenant_id"


def test_postgresql_rows_with_rotated_fernet_keys(starttls_server, ca_file, postgres):
    from cryptography.fernet import Fernet

    new, old, foreign = Fernet.generate_key(), Fernet.generate_key(), Fernet.generate_key()
    def tenant(tid: str, key: bytes, port: int = starttls_server.port, protocol: str = "STARTTLS") -> tuple:
        secret = Fernet(key).encrypt(PASSWORD.encode()).decode()
        return (tid, "main", "localhost", port, USER, secret, protocol, USER, "Shop")
    seed_table(postgres, [tenant("a-new-key", new), tenant("b-old-key", old), tenant("c-foreign", foreign),
                          tenant("d-tls-587", new, protocol="TLS")])
    environ = {"ENCRYPTION_KEY": f"{new.decode()},{old.decode()}"}
    result = run("check", "--accounts", postgres, "--query", QUERY, "--decrypt-column", "smtp_password",
                 "--fernet-key-env", "ENCRYPTION_KEY", "--client", "aiosmtplib", "--ca-file", ca_file,
                 "--alt-ports", "none", "--json", env=environ)
    doc = result.doc
    by_label = accounts_by_label(doc)
    assert by_label["a-new-key/main"]["ok"] and by_label["b-old-key/main"]["ok"]
    foreign_row = by_label["c-foreign/main"]
    assert foreign_row["exit_code"] == 2
    assert "smtp_password cannot be decrypted with the keys in ENCRYPTION_KEY" in foreign_row["findings"][0]["message"]
    assert failed(by_label["d-tls-587/main"]) == ("tls", "tls.wrong_mode")
    assert result.code == 2
    everything = result.stdout + result.stderr
    for secret in (PASSWORD, new.decode(), old.decode(), PG_PASSWORD):
        assert secret not in everything


@pytest.mark.parametrize(("extra", "environ", "words"), [
    (["--decrypt-column", "smtp_password", "--fernet-key-env", "ENCRYPTION_KEY"], {}, "set ENCRYPTION_KEY"),
    (["--decrypt-column", "smtp_password", "--fernet-key-env", "ENCRYPTION_KEY"],
     {"ENCRYPTION_KEY": "not-a-key"}, "does not hold Fernet keys"),
    ([], {}, "needs --query"),
    # A gate that checked nothing must not pass: a filter that matched no row.
    (["--query", "select * from tenant_smtp_settings where false"], {}, "the query returned no rows"),
])
def test_postgresql_source_problems_are_exit_2(postgres, extra, environ, words):
    args = ["check", "--accounts", postgres, "--json", *extra]
    if "--query" not in extra and words != "needs --query":
        args += ["--query", QUERY]
    result = run(*args, env=environ)
    assert result.code == 2
    finding = result.doc["findings"][0]
    assert finding["reason"] == "config.accounts_unreadable" and words in finding["message"]
    assert "not-a-key" not in result.stdout


def test_a_wrong_database_password_is_masked(postgres):
    wrong = postgres.replace(PG_PASSWORD, "Wrong-DB-pass")
    result = run("check", "--accounts", wrong, "--query", QUERY, "--json")
    assert result.code == 2
    message = result.doc["findings"][0]["message"]
    assert "cannot connect to postgresql://tenants:****@127.0.0.1" in message
    assert "Wrong-DB-pass" not in result.stdout


# --- the Python API ----------------------------------------------------------------------------------

def test_the_api_works_inside_a_running_loop_and_never_reads_dotenv(starttls_server, ca_file, tmp_path, monkeypatch):
    import smtpdoctor

    (tmp_path / ".env").write_text(f"SMTP_HOST=localhost\nSMTP_PORT={starttls_server.port}\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SMTP_HOST", "localhost")

    async def endpoint() -> tuple:
        good = await smtpdoctor.acheck(row(starttls_server.port), ca_file=ca_file, alt_ports="none", timeout=2)
        no_host = await smtpdoctor.acheck({"SMTP_USER": USER, "SMTP_PASSWORD": PASSWORD})
        tls = await smtpdoctor.acheck(row(starttls_server.port, security_protocol="TLS"), client="aiosmtplib",
                                      ca_file=ca_file, alt_ports="none", timeout=2)
        with pytest.raises(RuntimeError, match=r"await smtpdoctor\.acheck"):
            smtpdoctor.check(row(starttls_server.port))
        return good, no_host, tls

    good, no_host, tls = asyncio.run(endpoint())
    assert good.ok and good.exit_code == 0 and good.failure is None
    assert good.to_dict()["probes"][-1]["name"] == "envelope"
    assert no_host.exit_code == 2
    assert [f["reason"] for f in no_host.to_dict()["findings"] if f["severity"] == "error"] == ["config.missing_host"]
    assert tls.failure is not None and tls.failure.error is not None
    assert tls.failure.error.reason == "tls.wrong_mode"
    assert PASSWORD not in json.dumps(tls.to_dict())


def test_a_report_speaks_the_language_it_was_asked_in(starttls_server, ca_file):
    import smtpdoctor

    tls = smtpdoctor.check(row(starttls_server.port, security_protocol="TLS"), client="aiosmtplib",
                           ca_file=ca_file, alt_ports="none", timeout=2, lang="zh")
    assert tls.lang == "zh"
    failed = next(p for p in tls.to_dict()["probes"] if p["status"] == "fail")
    assert "端口" in failed["error"]["message"]
    english = next(p for p in tls.to_dict("en")["probes"] if p["status"] == "fail")
    assert "port" in english["error"]["message"] and "端口" not in english["error"]["message"]


def test_the_sync_api_from_a_script(starttls_server, ca_file):
    import smtpdoctor

    report = smtpdoctor.check({"SMTP_HOST": "localhost", "SMTP_PORT": starttls_server.port, "SMTP_USER": USER,
                               "SMTP_PASSWORD": PASSWORD}, ca_file=ca_file, alt_ports="none")
    sent = smtpdoctor.send_test(row(starttls_server.port), "you@example.com", ca_file=ca_file, alt_ports="none")
    assert report.ok and sent.ok
    assert starttls_server.handler.received[0].rcpt_tos == ["you@example.com"]


@pytest.mark.parametrize(("options", "error", "words"), [
    ({"timeout": -1}, ValueError, "timeout=-1: give between 0.1 and 300 seconds"),
    ({"timeout": "5"}, TypeError, "timeout must be a number of seconds, not '5'"),
    ({"until": "nope"}, ValueError, "until='nope': use one of dns, tcp, tls, smtp, auth, envelope"),
    ({"client": "flask"}, ValueError, "client='flask': use one of auto, smtplib"),
    ({"lang": "fr"}, ValueError, "lang='fr': use one of en, zh"),
    ({"dns_server": "dns.example"}, ValueError, "dns_server: 'dns.example' is not an IP address"),
    ({"alt_ports": "465,abc"}, ValueError, "alt_ports: 'abc' is not a port number"),
    ({"timout": 5}, TypeError, "unknown option(s): timout"),
])
def test_api_options_the_command_line_would_refuse_raise_before_connecting(options, error, words):
    """Found by a sweep: until="nope" used to end in "tuple.index(x): x not in tuple" and
    the others were taken silently. A typo must not pass as a check with default options."""
    import smtpdoctor

    with SilentServer() as server:  # a connection would be noticed: none may be made
        with pytest.raises(error) as raised:
            smtpdoctor.check(row(server.port), **options)
        assert server.held == []
    assert words in str(raised.value)




def test_github_annotations_name_the_account(starttls_server, fleet, tmp_path):
    out = fleet(jsonl(tmp_path, [row(starttls_server.port), row(starttls_server.port, tenant_id="t2", smtp_password="nope")]),
                "--format", "github")
    annotations = [line for line in out.stdout.splitlines() if line.startswith("::error")]
    assert len(annotations) == 1
    assert annotations[0].startswith("::error title=smtpdoctor t2/main%3A auth%3A EAUTH auth.bad_credentials::")
    assert "nope" not in out.stdout


def test_a_bad_row_lists_every_probe_of_the_run(fleet, tmp_path):
    out = fleet(jsonl(tmp_path, ["{broken"]), "--json")
    assert [p["name"] for p in out.doc["accounts"][0]["probes"]] == ["dns", "tcp", "tls", "smtp", "auth", "envelope"]


def test_an_encrypted_column_is_decrypted_whatever_the_source(starttls_server, ca_file, tmp_path):
    from cryptography.fernet import Fernet

    key = Fernet.generate_key()
    secret = Fernet(key).encrypt(PASSWORD.encode()).decode()
    lines = json.dumps(row(starttls_server.port, smtp_password=secret)) + "\n"  # what a psql export gives
    result = run_stdin(["check", "--accounts", "-", "--decrypt-column", "smtp_password", "--fernet-key-env",
                        "ENCRYPTION_KEY", "--ca-file", ca_file, "--alt-ports", "none", "--json"], lines,
                       {"ENCRYPTION_KEY": key.decode()})
    assert result.returncode == 0, result.stdout
    assert key.decode() not in result.stdout + result.stderr and PASSWORD not in result.stdout


def test_config_accounts_lints_every_row_without_a_connection(smtpdoctor, tmp_path):
    with SilentServer() as server:  # every row points at it: a connection would be held here
        source = jsonl(tmp_path, [
            row(server.port),
            row(server.port, tenant_id="t2", security_protocol="TLS", smtp_port=587),
            {"tenant_id": "t3", "smtp_port": "abc"},  # a row of the tenant table with almost nothing in it
            "oops",
        ])
        collector = gc.get_threshold()  # a fleet run collects less often, and then gives it back
        out = smtpdoctor("config", "--accounts", source, "--client", "aiosmtplib", "--json")
        text = smtpdoctor("config", "--accounts", source, "--client", "aiosmtplib")
        assert server.held == []
        assert gc.get_threshold() == collector
    assert out.exit_code == 2 and text.exit_code == 2
    assert out.doc["summary"] == {"total": 4, "passed": 2, "failed": 0, "config_errors": 2, "internal_errors": 0}
    reasons = {a["account"]["label"]: [f["reason"] for f in a["findings"]] for a in out.doc["accounts"]}
    assert reasons["t1/main"] == []
    # aiosmtplib reads TLS as implicit TLS, which port 587 does not speak by convention: a warning
    # before any connection (`check` then proves it on the wire).
    assert "config.mode_port_mismatch" in reasons["t2/main"]
    assert out.doc["accounts"][1]["findings"][0]["severity"] == "warning"
    # Its field names alone say it is a tenant row: smtp_port=abc is named as such.
    assert reasons["t3"][0] == "config.bad_port"
    assert "smtp_port=abc is not a port number" in out.doc["accounts"][2]["findings"][0]["message"]
    assert reasons["row 4"] == ["config.bad_account"]
    assert all(a["probes"] == [] for a in out.doc["accounts"])
    # Where each value came from: the row, never "environment".
    assert out.doc["accounts"][0]["settings"]["sources"]["host"] == "smtp_host (account row)"
    assert text.stdout.splitlines()[0] == "✓ t1/main"
    assert "2 of 4 accounts passed (1 with warnings to read); 0 failed, 2 with configuration errors (exit 2)" \
        in " ".join(text.stdout.split())


@pytest.mark.parametrize(("content", "words"), [
    ("", "no header row"),
    ("smtp_host,smtp_port\n", "it holds no accounts"),
    ("smtp_host,smtp_port,smtp_host\na,465,b\n", "the header names smtp_host more than once"),
])
def test_a_csv_source_that_names_no_account_or_a_column_twice_is_exit_2(fleet, tmp_path, content, words):
    path = tmp_path / "accounts.csv"
    path.write_text(content)
    out = fleet(str(path), "--json")
    assert out.exit_code == 2
    assert out.doc["findings"][0]["reason"] == "config.accounts_unreadable"
    assert words in out.doc["findings"][0]["message"]


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_a_spreadsheets_semicolon_or_tab_csv_is_read(smtpdoctor, tmp_path, delimiter):
    path = tmp_path / "accounts.csv"
    path.write_text(delimiter.join(["smtp_host", "smtp_port", "smtp_username", "smtp_password", "from_email"])
                    + "\n" + delimiter.join(["smtp.qq.com", "465", "1@qq.com", "abcdefghijklmnop", "1@qq.com"]) + "\n")
    out = smtpdoctor("config", "--accounts", str(path), "--json")
    [account] = out.doc["accounts"]
    assert (account["settings"]["host"], account["settings"]["port"]) == ("smtp.qq.com", 465)
    assert out.exit_code == 0, account["findings"]


def test_why_a_source_or_a_row_cannot_be_used_is_said_in_chinese(fleet, tmp_path):
    source = jsonl(tmp_path, ["oops"])
    bad_row_ = fleet(source, "--json", "--lang", "zh")
    missing = fleet(str(tmp_path / "nope.jsonl"), "--json", "--lang", "zh")
    assert "第 1 行不是 JSON（Expecting value）" in bad_row_.doc["accounts"][0]["findings"][0]["message"]
    assert missing.doc["findings"][0]["message"].endswith("文件不存在。")


def test_the_python_api_reaches_the_options_the_command_line_has():
    """One road for both: retries, --domain's probes and --confirm are API options too."""
    import smtpdoctor
    from tests.servers import closed_port

    port = closed_port()
    report = smtpdoctor.check(row(port), retries=2, retry_delay=0, alt_ports="none", timeout=1)
    assert (report.attempts, report.failure.error.reason) == (3, "tcp.refused")
    sent = smtpdoctor.send_test(row(port), "someone@example.net", confirm=True, alt_ports="none")
    assert "config.confirm_no_mailbox" in [f.reason for f in sent.findings]
    assert sent.exit_code == 2 and {p.status.value for p in sent.probes} == {"skip"}


def test_a_fleet_groups_accounts_that_say_the_same_and_labels_every_row(smtpdoctor, tmp_path):
    """Fifty rows with one cause are one group, its fix said once; a row without a setting
    name is labelled by its id, and labels that would repeat get their row number."""
    rows = [row(465, tenant_id=f"shop{n}", setting_name=None, id=n, smtp_host="smtp.qq.com",
                security_protocol="STARTTLS") for n in range(50)]
    rows += [row(465, tenant_id="dup", setting_name=None, smtp_host="smtp.qq.com", security_protocol="TLS",
                 smtp_password="abcdefghijklmnop"),
             row(465, tenant_id="dup", setting_name=None, smtp_host="smtp.qq.com", security_protocol="TLS",
                 smtp_password="abcdefghijklmnop")]
    out = smtpdoctor("config", "--accounts", jsonl(tmp_path, rows), "--client", "aiosmtplib")
    assert out.exit_code == 2
    lines = out.stdout.splitlines()
    said = " ".join(out.stdout.split())
    assert said.startswith("✗ 50 accounts (shop0/0, shop1/1, shop2/2, shop3/3, shop4/4, shop5/5, shop6/6, "
                           "shop7/7, …) ECONFIG config.mode_port_mismatch")
    assert out.stdout.count("Per the provider table, QQ Mail takes 465 (ssl), 587 (starttls)") == 1
    # In the row's own field, as the API's aiosmtplib code reads it: TLS is implicit TLS there.
    assert "in your variables: security_protocol=TLS (documented, not yet verified)" in said
    assert "✓ 2 accounts (dup (row 51), dup (row 52))" in said
    assert len(lines) < 20
    doc = smtpdoctor("config", "--accounts", jsonl(tmp_path, rows), "--client", "aiosmtplib", "--json").doc
    labels = [a["account"]["label"] for a in doc["accounts"]]
    assert labels[:2] == ["shop0/0", "shop1/1"] and labels[-2:] == ["dup (row 51)", "dup (row 52)"]


def test_a_row_whose_check_crashes_is_exit_3_and_counted_apart(fleet, starttls_server, tmp_path, monkeypatch):
    from smtpdoctor.runner import pipeline

    real = pipeline.PROBES["auth"]

    async def crashes_for_t2(session):
        if session.settings.username == "crash@example.com":
            raise RuntimeError("bug in auth probe")
        return await real(session)

    monkeypatch.setitem(pipeline.PROBES, "auth", crashes_for_t2)
    source = jsonl(tmp_path, [row(starttls_server.port),
                              row(starttls_server.port, tenant_id="t2", smtp_username="crash@example.com")])
    out = fleet(source, "--json")
    assert out.exit_code == 3  # a bug in smtpdoctor outranks every verdict
    assert out.doc["summary"] == {"total": 2, "passed": 1, "failed": 0, "config_errors": 0, "internal_errors": 1}
    assert failed(accounts_by_label(out.doc)["t2/main"]) == ("auth", "internal.crash")
    text = fleet(source)
    assert "1 where smtpdoctor crashed (a bug in smtpdoctor) (exit 3)" in " ".join(text.stdout.split())


@pytest.mark.parametrize(("encoding", "odd"), [("utf-8", ""), ("utf-8", "\ud800"), ("ascii", ""), ("gbk", "")])
def test_many_accounts_are_written_a_row_at_a_time_as_the_same_bytes(encoding, odd, monkeypatch):
    """Over 20 accounts the document is written row by row (emit_json_listing): byte for byte what
    emit_json(fleet_document(…), indent=None) prints, the ASCII escapes still all or nothing."""
    import io
    import sys

    from smtpdoctor.model import Checked, Finding, ProbeResult, Report, Severity, Status, frozen_params
    from smtpdoctor.views import console
    from smtpdoctor.views.document import account_documents, fleet_document, fleet_head

    def report(i: int) -> Report:
        summary = frozen_params({"host": f"smtp{i}.example.com", "addresses": "→ 127.0.0.1 — 邮件"
                                 if i == 7 else "127.0.0.1", "via": ""})
        finding = Finding(Severity.WARNING, "config.dotenv_permissions", frozen_params({"file": f"a{i}{odd}"}))
        return Report("check", None, None, (finding,) if i == 11 else (),
                      (ProbeResult("dns", Status.PASS, 1.5 + i, summary_key="said.dns.resolved",
                                   summary_params=summary),))

    checked = [Checked(f"t{i}/main", {"index": i, "label": f"t{i}/main", "tenant_id": f"t{i}",
                                      "setting_name": "main"}, report(i)) for i in range(25)]
    printed = {}
    for how in ("whole", "rows"):
        buffer = io.BytesIO()
        monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(buffer, encoding=encoding, errors="strict"))
        if how == "whole":
            console.emit_json(fleet_document("check", checked, "en"), indent=None)
        else:
            console.emit_json_listing(fleet_head("check", checked), "accounts",
                                      lambda: account_documents(checked, "en"))
        printed[how] = buffer.getvalue()
    assert printed["rows"] == printed["whole"]
    assert json.loads(printed["rows"].decode(encoding))["summary"]["total"] == 25
