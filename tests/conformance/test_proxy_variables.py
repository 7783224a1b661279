"""config.proxy_variables_ignored says SMTP clients never read HTTPS_PROXY, ALL_PROXY or
SOCKS_PROXY: each real client sends with them pointing at a port where nothing listens."""

from __future__ import annotations

import pytest

from tests.conformance.harness import missing_runtime, run_client
from tests.servers import Recorder, SMTPServer, closed_port

CLIENTS = {"smtplib": {"pattern": "plain"}, "flask-mail": {}, "django": {}, "aiosmtplib": {"api": "seed004"},
           "nodemailer": {"ignoreTLS": True}, "laravel": {}}


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_the_client_connects_directly_whatever_the_proxy_variables_say(client, monkeypatch):
    reason = missing_runtime(client)
    if reason:
        pytest.skip(reason)
    dead = f"http://127.0.0.1:{closed_port()}"
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, dead)
    monkeypatch.setenv("SOCKS_PROXY", f"socks5://127.0.0.1:{closed_port()}")
    with SMTPServer("plain", handler=Recorder()) as server:
        outcome = run_client(client, {"host": "127.0.0.1", "port": server.port, "user": None, "password": None,
                                      "sender": "app@example.com", "recipient": "you@example.com",
                                      "timeout": 5, **CLIENTS[client]})
        received = len(server.handler.received)
    assert outcome.delivered, outcome.error
    assert received == 1
