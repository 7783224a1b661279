"""--proxy against real proxies on loopback (tests/proxies.py): SOCKS5 through Dante, HTTP
CONNECT through tinyproxy, each failure the proxy can give told apart and never the proxy's
password in the report."""

from __future__ import annotations

import pytest

from tests.proxies import Dante, Tinyproxy
from tests.servers import closed_port

needs_dante = pytest.mark.skipif(not Dante.available(), reason="dante-server is not installed (apt-get install dante-server)")
needs_tinyproxy = pytest.mark.skipif(not Tinyproxy.available(),
                                     reason="tinyproxy is not installed (apt-get install tinyproxy)")


def statuses(out) -> list[tuple[str, str]]:
    return [(p["name"], p["status"]) for p in out.doc["probes"]]


@needs_dante
def test_a_check_through_socks5_passes_with_the_proxy_as_its_own_step(check, account, starttls_server):
    with Dante() as proxy:
        out = check(account(starttls_server.port), "--proxy", f"socks5://127.0.0.1:{proxy.port}")
    assert out.exit_code == 0, out.doc["probes"]
    assert [name for name, _ in statuses(out)][:3] == ["dns", "proxy", "tcp"]
    assert out.probe("proxy")["summary"] == f"socks5://127.0.0.1:{proxy.port} connected to 127.0.0.1:{starttls_server.port}"
    assert "through socks5://127.0.0.1" in out.probe("tcp")["summary"]
    assert out.statuses()["auth"] == "pass"


@needs_dante
def test_socks5h_lets_the_proxy_resolve_the_name(check, account, starttls_server):
    with Dante() as proxy:
        out = check(account(starttls_server.port), "--proxy", f"socks5h://127.0.0.1:{proxy.port}")
    assert out.exit_code == 0, out.doc["probes"]
    assert out.probe("proxy")["summary"].endswith(f"connected to localhost:{starttls_server.port}")


@needs_dante
def test_a_port_the_proxys_rules_refuse_is_proxy_denied(check, account, starttls_server):
    with Dante(blocked_port=starttls_server.port) as proxy:
        out = check(account(starttls_server.port), "--proxy", f"socks5://127.0.0.1:{proxy.port}")
    proxy_probe = out.probe("proxy")
    assert (proxy_probe["error"]["code"], proxy_probe["error"]["reason"]) == ("ECONNECTION", "proxy.denied")
    assert "not allowed by ruleset" in proxy_probe["error"]["message"]
    assert out.statuses()["tcp"] == "skip"


@needs_dante
def test_a_server_the_proxy_cannot_reach_is_told_from_the_proxy_itself(check, account):
    with Dante() as proxy:
        out = check(account(closed_port()), "--proxy", f"socks5://127.0.0.1:{proxy.port}")
    assert out.probe("proxy")["error"]["reason"] == "proxy.target_unreachable"


def test_a_proxy_that_is_not_there_is_proxy_unreachable(check, account, starttls_server):
    out = check(account(starttls_server.port), "--proxy", f"socks5://127.0.0.1:{closed_port()}")
    assert out.probe("proxy")["error"]["reason"] == "proxy.unreachable"
    assert starttls_server.handler.logins == []


@needs_tinyproxy
def test_http_connect_with_its_login(check, account, starttls_server, no_password_leak):
    with Tinyproxy(allowed_port=starttls_server.port) as proxy:
        url = f"http://{Tinyproxy.USER}:{Tinyproxy.PASSWORD}@127.0.0.1:{proxy.port}"
        out = check(account(starttls_server.port), "--proxy", url, "-v")
        wrong = check(account(starttls_server.port), "--proxy",
                      f"http://{Tinyproxy.USER}:wrong@127.0.0.1:{proxy.port}")
        none = check(account(starttls_server.port), "--proxy", f"http://127.0.0.1:{proxy.port}")
        elsewhere = check(account(closed_port()), "--proxy", url)
    assert out.exit_code == 0, out.doc["probes"]
    assert out.probe("proxy")["summary"].startswith(f"http://{Tinyproxy.USER}@127.0.0.1:{proxy.port} connected")
    assert wrong.probe("proxy")["error"]["reason"] == "proxy.auth_failed"
    assert none.probe("proxy")["error"]["reason"] == "proxy.auth_failed"
    assert elsewhere.probe("proxy")["error"]["reason"] == "proxy.denied"  # tinyproxy's ConnectPort
    import base64

    login = base64.b64encode(f"{Tinyproxy.USER}:{Tinyproxy.PASSWORD}".encode()).decode()
    for run in (out, wrong, none, elsewhere):
        assert Tinyproxy.PASSWORD not in run.stdout + run.stderr
        assert login not in run.stdout + run.stderr
        no_password_leak(run.stdout + run.stderr)


@pytest.mark.parametrize("bad", ["ftp://proxy:21", "socks5://", "socks5://host:notaport", "http://host"])
def test_a_proxy_url_that_cannot_be_used_is_exit_2(smtpdoctor, bad):
    out = smtpdoctor("check", "--proxy", bad)
    assert out.exit_code == 2 and "--proxy" in out.stderr


def test_proxy_variables_the_client_ignores_are_said(check, account, starttls_server, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp.example:3128")
    out = check(account(starttls_server.port))
    assert out.exit_code == 0
    assert "config.proxy_variables_ignored" in out.reasons()


def test_without_the_extra_it_is_exit_2_before_any_connection(check, account, starttls_server, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "python_socks" else real(name, *a))
    out = check(account(starttls_server.port), "--proxy", "socks5://127.0.0.1:1080")
    assert out.exit_code == 2 and "config.extra_missing" in out.reasons()
    assert starttls_server.handler.logins == []
    # HTTP CONNECT is smtpdoctor's own: no extra needed.
    plain = check(account(starttls_server.port), "--proxy", f"http://127.0.0.1:{closed_port()}")
    assert plain.probe("proxy")["error"]["reason"] == "proxy.unreachable"
