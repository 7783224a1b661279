"""The EHLO name as the app's client sends it (issue 19), and a server that refuses it:
Postfix's reject_non_fqdn_helo_hostname says so at RCPT TO (504 5.5.2), others at EHLO."""

from __future__ import annotations

import socket

import pytest

from tests.servers import PASSWORD, USER, Recorder, SMTPServer

# What nodemailer sends here: this machine's hostname when it has a dot, else [127.0.0.1].
NODEMAILER_NAME = socket.gethostname() if "." in socket.gethostname() else "[127.0.0.1]"


class RefusesAtRcpt(Recorder):
    """Postfix with reject_non_fqdn_helo_hostname: the name is judged at RCPT TO."""

    async def handle_RCPT(self, server, session, envelope, address, options):
        name = self.ehlo_names[-1] if self.ehlo_names else ""
        if "." not in name.strip("[]") or name.startswith("["):
            return f"504 5.5.2 <{name}>: Helo command rejected: need fully-qualified hostname"
        return await super().handle_RCPT(server, session, envelope, address, options)


def test_nodemailers_name_is_sent_and_its_refusal_says_how_to_name_it(check, env_file, good_tls):
    with SMTPServer("starttls", good_tls, handler=RefusesAtRcpt()) as server:
        env = env_file(EMAIL_HOST="localhost", EMAIL_PORT=server.port, EMAIL_USER=USER, EMAIL_PASS=PASSWORD)
        out = check(env, "--client", "nodemailer")
    assert server.handler.ehlo_names[0] == NODEMAILER_NAME
    if "." in NODEMAILER_NAME.strip("[]") and not NODEMAILER_NAME.startswith("["):
        pytest.skip("this machine's hostname is fully qualified: the refusal cannot be shown here")
    envelope = out.probe("envelope")
    assert (envelope["error"]["code"], envelope["error"]["reason"]) == ("EPROTOCOL", "smtp.ehlo_name_refused")
    assert envelope["error"]["message"] == (
        f"The server refused the name {NODEMAILER_NAME} in EHLO: the name nodemailer sends from this machine.")
    assert "`name: 'mail.example.com'` in createTransport" in envelope["remedy"]


def test_a_refusal_at_ehlo_is_classified_too(check, account, good_tls):
    handler = Recorder()
    handler.ehlo_reply = "550 5.7.1 Invalid HELO name (see RFC 5321 4.1.1.1)"
    with SMTPServer("starttls", good_tls, handler=handler) as server:
        out = check(account(server.port), "--client", "aiosmtplib")
    failed = next(p for p in out.doc["probes"] if p["status"] == "fail")
    assert failed["error"]["reason"] == "smtp.ehlo_name_refused"
    assert "local_hostname='mail.example.com'" in failed["remedy"] and "aiosmtplib.SMTP()" in failed["remedy"]


def test_the_name_sent_is_in_the_smtp_details(check, account, starttls_server):
    out = check(account(starttls_server.port), "--client", "nodemailer")
    details = out.probe("smtp")["details"]
    assert (details["ehlo_name"], details["ehlo_name_is_the_clients"]) == (NODEMAILER_NAME, True)
    assert starttls_server.handler.ehlo_names[-1] == NODEMAILER_NAME


def test_a_client_not_modelled_gets_smtpdoctors_own_name_said_as_such(check, account, starttls_server):
    out = check(account(starttls_server.port), "--client", "laravel")
    assert out.probe("smtp")["details"]["ehlo_name_is_the_clients"] is False


def test_explain_knows_the_refusals(smtpdoctor):
    out = smtpdoctor("explain", "--json", "504 5.5.2 <vm>: Helo command rejected: need fully-qualified hostname")
    assert out.doc["matches"][0]["reason"] == "smtp.ehlo_name_refused"
