"""The EHLO name each real client sends from this machine, beside the one smtpdoctor sends
for that client (wire/ehlo.py): recorded by the same loopback server."""

from __future__ import annotations

import pytest

from tests.conformance.harness import missing_runtime, run_client
from tests.servers import Recorder, SMTPServer

# Each client's settings for a plaintext server with no login: the name is all that matters.
CLIENTS = {
    "smtplib": {"pattern": "plain"},
    "flask-mail": {},
    "django": {},
    "aiosmtplib": {"api": "seed004"},
    "nodemailer": {"ignoreTLS": True},
}


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_smtpdoctor_sends_the_name_the_client_sends(client, check, env_file):
    reason = missing_runtime(client)
    if reason:
        pytest.skip(reason)
    with SMTPServer("plain", handler=Recorder()) as server:
        outcome = run_client(client, {"host": "127.0.0.1", "port": server.port, "user": None, "password": None,
                                      "sender": "app@example.com", "recipient": "you@example.com",
                                      "timeout": 5, **CLIENTS[client]})
        assert outcome.delivered, outcome.error
        real = server.handler.ehlo_names[0]
        env = env_file(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_SECURE="false",
                       SMTP_FROM="app@example.com")
        out = check(env, "--client", client, "--security", "plain")
        ours = server.handler.ehlo_names[-1]
    details = out.probe("smtp")["details"]
    assert (ours, details["ehlo_name"], details["ehlo_name_is_the_clients"]) == (real, real, True)
