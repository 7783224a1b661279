"""send-test, and smtpdoctor as a CI preflight step and a boot gate."""

from __future__ import annotations

import email
import email.policy
import re
import threading
import time
import xml.etree.ElementTree as ET

import pytest

from tests.servers import USER, Recorder, SMTPServer, closed_port, free_port


@pytest.fixture
def send(smtpdoctor, ca_file):
    def run(env: str, *args: str):
        return smtpdoctor("send-test", *args, "--env-file", env, "--ca-file", ca_file,
                          "--alt-ports", "none", "--timeout", "2")

    return run


# --- send-test ------------------------------------------------------------------

def test_send_test_delivers_one_well_formed_message(send, account, starttls_server, no_password_leak):
    out = send(account(starttls_server.port), "you@example.com", "--json")
    assert out.exit_code == 0, out.doc["probes"]
    assert [p["name"] for p in out.doc["probes"]] == ["dns", "tcp", "tls", "smtp", "auth", "envelope", "send"]
    assert "queued as 4F1A2B3C" in out.probe("send")["summary"]
    [envelope] = starttls_server.handler.received
    assert (envelope.mail_from, envelope.rcpt_tos) == (USER, ["you@example.com"])
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    for header in ("Date", "Message-ID", "From", "To", "Subject", "MIME-Version"):
        assert message[header], header
    assert message["From"] == USER and message["To"] == "you@example.com"
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    body = message.get_content()
    assert f"via localhost:{starttls_server.port} (starttls)" in body and USER in body
    no_password_leak(envelope.original_content.decode("utf-8", "replace"))
    no_password_leak(out.stdout)


def test_send_test_subject_body_and_several_recipients(send, account, ssl_server):
    out = send(account(ssl_server.port, SMTP_SECURE="true"), "a@example.com", "b@example.org",
               "--subject", "deploy 42 ✓", "--body", "Hello from CI.")
    assert out.exit_code == 0
    [envelope] = ssl_server.handler.received
    assert envelope.rcpt_tos == ["a@example.com", "b@example.org"]
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert message["Subject"] == "deploy 42 ✓"
    assert message.get_content().startswith("Hello from CI.")
    assert "accepted for 2 recipient(s)" in out.stdout


def test_message_refused_at_data_is_emessage_with_the_providers_meaning(send, account, good_tls, smtp_server):
    reply = ("554 DT:SPM 163 smtp10,DsCowAD3R5xY,please see "
             "http://mail.163.com/help/help_spam_16.htm?ip=1.2.3.4&hostid=smtp10")
    server = smtp_server("starttls", good_tls, handler=Recorder(data_reply=reply))
    out = send(account(server.port), "you@example.com", "--json")
    assert out.exit_code == 1
    probe = out.probe("send")
    assert (probe["status"], probe["error"]["code"], probe["error"]["reason"]) == (
        "fail", "EMESSAGE", "message.spam")
    assert probe["error"]["reply"] == reply
    assert "Message-ID" in probe["remedy"]


def test_rate_limit_at_data(send, account, good_tls, smtp_server):
    reply = "451 MI:SFQ 163 smtp5, try again later"
    server = smtp_server("starttls", good_tls, handler=Recorder(data_reply=reply))
    out = send(account(server.port), "you@example.com", "--json")
    assert out.probe("send")["error"]["reason"] == "message.rate_limited"


@pytest.mark.parametrize(("recipient", "detail"), [
    ("you@example.com\r\nBcc: everyone@example.com", "line break"),
    ("you@example.com\nSubject: spam", "line break"),
    ("a@example.com,b@example.com", "one address per argument"),
    ("Me <me@example.com>", "no spaces"),
    ("not-an-address", "not an address"),
    ("you@localhost", "not an address"),
])
def test_bad_recipients_are_refused_before_any_network(send, account, recipient, detail):
    out = send(account(closed_port()), recipient, "--json")
    assert out.exit_code == 2
    finding = next(f for f in out.doc["findings"] if f["reason"] == "config.bad_recipient")
    assert detail in finding["message"]
    assert "\n" not in finding["message"]  # shown escaped, never as a header line
    assert {p["status"] for p in out.doc["probes"]} == {"skip"}


def test_one_refused_recipient_of_two_is_a_warning(send, account, good_tls, smtp_server):
    class RefuseOne(Recorder):
        async def handle_RCPT(self, server, session, envelope, address, options):
            if address.startswith("gone"):
                return "550 5.1.1 <gone@example.com>: Recipient address rejected"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    server = smtp_server("starttls", good_tls, handler=RefuseOne())
    out = send(account(server.port), "you@example.com", "gone@example.com", "--json")
    probe = out.probe("send")
    assert probe["status"] == "warn"
    assert probe["details"]["refused"][0].startswith("<gone@example.com>: 550 5.1.1")
    assert server.handler.received[0].rcpt_tos == ["you@example.com"]


# --- CI preflight ---------------------------------------------------------------

ANNOTATION = re.compile(r"^::(error|warning) title=([^:]*)::(.*)$")


def unescape(text: str) -> str:
    return text.replace("%0A", "\n").replace("%0D", "\r").replace("%3A", ":").replace(
        "%2C", ",").replace("%25", "%")


def test_github_annotations_carry_the_fix(smtpdoctor, account, good_tls, ca_file, smtp_server):
    server = smtp_server("starttls", good_tls, password="other")
    out = smtpdoctor("check", "--env-file", account(server.port), "--ca-file", ca_file,
                     "--alt-ports", "none", env={"GITHUB_ACTIONS": "true"})
    assert out.exit_code == 1
    annotations = [ANNOTATION.match(line) for line in out.stdout.splitlines() if line.startswith("::")]
    assert len(annotations) == 1 and annotations[0]
    level, title, message = annotations[0].groups()
    assert level == "error"
    assert unescape(title) == "smtpdoctor auth: EAUTH auth.bad_credentials"
    assert "Server said: 535 5.7.8 Authentication credentials invalid" in unescape(message)
    assert "Fix: Check SMTP_USER" in unescape(message)


def test_github_format_with_json_keeps_stdout_one_document(smtpdoctor, account, good_tls, ca_file, smtp_server):
    server = smtp_server("starttls", good_tls, password="other")
    out = smtpdoctor("check", "--env-file", account(server.port), "--ca-file", ca_file,
                     "--alt-ports", "none", "--json", "--format", "github")
    assert out.doc["exit_code"] == 1  # stdout parses as one JSON value
    assert out.stderr.startswith("::error title=smtpdoctor auth")


def test_github_annotation_for_a_configuration_error(smtpdoctor, env_file):
    out = smtpdoctor("check", "--env-file", env_file(SMTP_PORT=587), "--format", "github")
    assert out.exit_code == 2
    assert "::error title=smtpdoctor config.missing_host::No SMTP host is set. Fix: Set SMTP_HOST" in out.stdout


def test_junit_report_has_one_case_per_probe(smtpdoctor, account, good_tls, ca_file, tmp_path, smtp_server):
    report = tmp_path / "junit.xml"
    server = smtp_server("starttls", good_tls, password="other")
    out = smtpdoctor("check", "--env-file", account(server.port), "--ca-file", ca_file,
                     "--alt-ports", "none", "--junit-xml", str(report))
    assert out.exit_code == 1
    suite = ET.parse(report).getroot()
    assert suite.tag == "testsuite"
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("7", "1", "1")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert list(cases) == ["settings", "dns", "tcp", "tls", "smtp", "auth", "envelope"]
    failure = cases["auth"].find("failure")
    assert failure is not None and failure.get("type") == "EAUTH"
    assert "reason: auth.bad_credentials" in (failure.text or "")
    assert "Fix: Check SMTP_USER" in (failure.text or "")
    assert cases["envelope"].find("skipped") is not None
    assert cases["dns"].find("failure") is None


def test_junit_report_for_a_configuration_error(smtpdoctor, env_file, tmp_path):
    report = tmp_path / "junit.xml"
    out = smtpdoctor("check", "--env-file", env_file(SMTP_PORT="x"), "--junit-xml", str(report))
    assert out.exit_code == 2
    suite = ET.parse(report).getroot()
    error = suite.find("testcase[@name='settings']/error")
    assert error is not None and "config.bad_port" in (error.text or "")


# --- boot gate ------------------------------------------------------------------

def test_retries_wait_for_a_server_that_comes_up_later(smtpdoctor, account, good_tls, ca_file):
    port = free_port()
    server = SMTPServer("starttls", good_tls, port=port)
    starter = threading.Timer(0.8, server.controller.start)
    starter.start()
    try:
        out = smtpdoctor("check", "--env-file", account(port), "--ca-file", ca_file, "--alt-ports", "none",
                         "--json", "--retries", "10", "--retry-delay", "0.3", "--timeout", "2")
    finally:
        starter.join()
        server.controller.stop()
    assert out.exit_code == 0, out.doc["probes"]
    assert out.doc["attempts"] > 1


def test_retries_stop_after_n_and_take_the_delay(smtpdoctor, account):
    started = time.monotonic()
    out = smtpdoctor("check", "--env-file", account(closed_port()), "--alt-ports", "none", "--json",
                     "--retries", "2", "--retry-delay", "0.4")
    took = time.monotonic() - started
    assert out.exit_code == 1
    assert out.doc["attempts"] == 3
    assert 0.8 <= took < 4


def test_a_wrong_password_is_not_retried(smtpdoctor, account, good_tls, ca_file, smtp_server):
    server = smtp_server("starttls", good_tls, password="other")
    started = time.monotonic()
    out = smtpdoctor("check", "--env-file", account(server.port), "--ca-file", ca_file,
                     "--alt-ports", "none", "--json", "--retries", "5", "--retry-delay", "2")
    took = time.monotonic() - started
    assert out.exit_code == 1
    assert "attempts" not in out.doc
    assert server.handler.logins == [USER]  # one login attempt: no lock-out from retries
    assert took < 2


def test_health_check_until_smtp_needs_no_credentials(smtpdoctor, env_file, starttls_server, ca_file):
    env = env_file(SMTP_HOST="localhost", SMTP_PORT=starttls_server.port)
    out = smtpdoctor("check", "--env-file", env, "--ca-file", ca_file, "--until", "smtp", "--json")
    assert out.exit_code == 0, out.doc
    severities = {f["reason"]: f["severity"] for f in out.doc["findings"]}
    # No login at all is no error: the app would send without AUTH, as to a relay.
    assert severities["config.no_credentials"] == "info"
    assert "config.missing_password" not in severities
    assert starttls_server.handler.logins == []


def test_a_mistyped_recipient_domain_gets_did_you_mean(send, account, starttls_server):
    out = send(account(starttls_server.port), "you@gmial.com", "--json")
    [typo] = [f for f in out.doc["findings"] if f["reason"] == "config.domain_typo"]
    assert typo["severity"] == "warning"
    assert typo["message"] == "the recipient=you@gmial.com: gmial.com is one letter away from gmail.com."
    assert typo["remedy"].startswith("Did you mean gmail.com?")


def test_a_mistyped_sender_domain_is_warned_before_the_network(smtpdoctor, env_file):
    out = smtpdoctor("config", "--env-file", env_file(SMTP_HOST="smtp.qq.com", SMTP_USER="123456@qq.con",
                                                      SMTP_PASSWORD="abcdefghijklmnop"), "--json", "--lang", "zh")
    [typo] = [f for f in out.doc["findings"] if f["reason"] == "config.domain_typo"]
    assert typo["message"] == "SMTP_USER=123456@qq.con：qq.con 与 qq.com 只差一个字母。"
