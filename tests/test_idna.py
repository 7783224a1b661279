"""Internationalised domains as IDNA 2008 with UTS #46 writes them (the idna package), never
Python's IDNA 2003 codec: straße.de is xn--strae-oqa.de, not strasse.de (another domain). A name
IDNA 2008 refuses is a configuration error before the network, never a traceback."""

from __future__ import annotations

import json

import pytest

from smtpdoctor.wire.addresses import ascii_domain, wire_address
from tests.servers import PASSWORD, USER, DNSServer, Recorder


@pytest.mark.parametrize(("address", "wired", "smtputf8"), [
    ("noreply@straße.de", "noreply@xn--strae-oqa.de", False),  # IDNA 2003 gave strasse.de
    ("noreply@Straße.DE", "noreply@xn--strae-oqa.de", False),  # UTS #46 maps the case
    ("ops@例子.测试", "ops@xn--fsqu00a.xn--0zwm56d", False),
    ("josé@straße.de", "josé@xn--strae-oqa.de", True),  # the local part still needs SMTPUTF8
    ("ops@example.com", "ops@example.com", False),
    ("ops@☃.com", "ops@☃.com", True),  # no IDNA 2008 name: as written (the lint refuses it first)
])
def test_addresses_go_on_the_wire_in_their_idna_2008_form(address, wired, smtputf8):
    assert wire_address(address) == (wired, smtputf8)


def test_an_ascii_name_is_left_as_it_is():
    assert ascii_domain("x_y.example.com") == "x_y.example.com"  # not IDNA's business


def test_the_envelope_carries_the_idna_2008_domain(check, env_file, smtp_server, good_tls):
    class Senders(Recorder):
        """Keeps every MAIL FROM address (check resets the envelope after it)."""

        def __init__(self) -> None:
            super().__init__()
            self.senders: list[str] = []

        async def handle_MAIL(self, server, session, envelope, address, options):
            self.senders.append(address)
            return await super().handle_MAIL(server, session, envelope, address, options)

    server = smtp_server("starttls", good_tls, handler=Senders())
    env = env_file(SMTP_HOST="localhost", SMTP_PORT=server.port, SMTP_USER=USER, SMTP_PASSWORD=PASSWORD,
                   SMTP_FROM="noreply@straße.de")
    out = check(env)
    assert out.exit_code == 0, out.stdout
    assert server.handler.senders == ["noreply@xn--strae-oqa.de"]  # not strasse.de, and no SMTPUTF8


def test_the_domain_checks_ask_for_the_idna_2008_name_whatever_dnspython_would_pick(
        smtpdoctor, env_file, monkeypatch):
    """dnspython uses IDNA 2008 only with an idna release it accepts (2.9 wants 3.20) and falls
    back to IDNA 2003 otherwise: the names are encoded before they reach it."""
    import dns.name

    # dnspython 2.5 and later pick their codec here; 2.4 (the floor) has no such default.
    monkeypatch.setattr(dns.name, "IDNA_DEFAULT", dns.name.IDNA_2003, raising=False)
    zone = {"xn--strae-oqa.de": {"MX": ["10 mx.xn--strae-oqa.de."], "TXT": ['"v=spf1 -all"']},
            "_dmarc.xn--strae-oqa.de": {"TXT": ['"v=DMARC1; p=reject"']}}
    with DNSServer(zone=zone) as dns_server:
        out = smtpdoctor("domain", "straße.de", "--env-file", env_file(SMTP_FROM="a@straße.de"),
                         "--dns-server", dns_server.address, "--timeout", "3", "--json")
    asked = {q.split()[0] for q in dns_server.queries}
    assert "xn--strae-oqa.de" in asked and "_dmarc.xn--strae-oqa.de" in asked
    assert not {n for n in asked if "strasse" in n}
    doc = json.loads(out.stdout)
    mx = next(p for p in doc["probes"] if p["name"] == "mx")
    assert mx["status"] == "pass" and "mx.xn--strae-oqa.de" in mx["summary"]


@pytest.mark.parametrize("command", ["config", "check"])
def test_a_sender_domain_idna_2008_refuses_is_a_configuration_error(smtpdoctor, env_file, command):
    env = env_file(SMTP_HOST="localhost", SMTP_PORT="2525", SMTP_USER=USER, SMTP_PASSWORD=PASSWORD,
                   SMTP_FROM="ops@☃.com")
    out = smtpdoctor(command, "--env-file", env, "--json")
    assert out.exit_code == 2 and "Traceback" not in out.stderr
    doc = json.loads(out.stdout)
    [finding] = [f for f in doc["findings"] if f["reason"] == "config.address_domain_invalid"]
    assert finding["severity"] == "error"
    message = " ".join(finding["message"].split())
    assert message == ("SMTP_FROM is ops@☃.com, and its domain ☃.com is not a valid internationalised "
                       "domain name under IDNA 2008 (Codepoint U+2603 at position 1 of '☃' not allowed): "
                       "no mail server can look it up.")
    assert "SMTP_FROM" in finding["remedy"]


def test_a_login_domain_idna_2008_refuses_is_said_for_the_login(tmp_path):
    from smtpdoctor.config.preflight import resolve
    from smtpdoctor.config.values import Options

    path = tmp_path / ".env"
    path.write_text("SMTP_HOST=localhost\nSMTP_PORT=2525\nSMTP_USER=me@a\u200db.com\nSMTP_PASSWORD=x\n",
                    encoding="utf-8")
    path.chmod(0o600)
    pre = resolve(str(path), {}, Options())
    [finding] = [f for f in pre.findings if f.reason == "config.address_domain_invalid"]
    assert finding.params["variable"] == "SMTP_USER" and "U+200D" in finding.params["detail"]


def test_domain_with_a_name_idna_2008_refuses_is_exit_2(env_file):
    from tests.console import no_traceback, run

    out = run("domain", "☃.com", "--env-file", env_file(SMTP_FROM="a@example.com"), "--json")
    assert out.code == 2
    [finding] = out.doc["findings"]
    assert finding["reason"] == "config.usage" and "U+2603" in finding["message"]
    no_traceback(out)


@pytest.mark.parametrize("smtputf8", [False, True])
def test_a_send_from_an_internationalised_domain_needs_no_smtputf8(smtpdoctor, env_file, smtp_server, good_tls,
                                                                   ca_file, smtputf8):
    """Only a non-ASCII local part needs SMTPUTF8 (RFC 6531): an IDN domain goes as its A-label,
    in the envelope and in the From header alike, whether the server offers SMTPUTF8 or not."""
    server = smtp_server("starttls", good_tls, smtputf8=smtputf8)
    env = env_file(SMTP_HOST="localhost", SMTP_PORT=server.port, SMTP_USER=USER, SMTP_PASSWORD=PASSWORD,
                   SMTP_FROM="noreply@bücher.de")
    out = smtpdoctor("send-test", USER, "--env-file", env, "--ca-file", ca_file, "--alt-ports", "none", "--json")
    assert out.exit_code == 0, out.stdout
    [message] = server.handler.received
    assert message.mail_from == "noreply@xn--bcher-kva.de"
    assert "SMTPUTF8" not in message.mail_options
    assert b"From: noreply@xn--bcher-kva.de" in message.original_content
    assert b"@xn--bcher-kva.de>" in message.original_content  # the Message-ID
    assert message.original_content.isascii()
