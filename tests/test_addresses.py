"""The host's addresses as the app's client walks them (issue 19): a host whose IPv6 address
is silent while its IPv4 one accepts (an IPv6 route this network drops), served by a name
server on loopback: A 127.0.0.1, AAAA ::1, with a listener on [::1] that never accepts."""

from __future__ import annotations

import socket

import pytest

from tests.servers import PASSWORD, USER, DNSServer, DroppingPort


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


pytestmark = pytest.mark.skipif(not _ipv6_loopback(), reason="this machine has no IPv6 loopback (::1)")


@pytest.fixture
def silent_ipv6(starttls_server):
    """smtp.test: A 127.0.0.1 (the server), AAAA ::1 (silent on the same port)."""
    with DroppingPort("::1", starttls_server.port), DNSServer(
            {"smtp.test": ["127.0.0.1"]}, zone={"smtp.test": {"AAAA": ["::1"]}}) as dns:
        yield dns


# Each client's own variables, for a STARTTLS server.
VARIABLES = {
    "flask-mail": {"MAIL_SERVER": "smtp.test", "MAIL_PORT": "{port}", "MAIL_USE_TLS": "True",
                   "MAIL_USERNAME": USER, "MAIL_PASSWORD": PASSWORD},
    "django": {"EMAIL_HOST": "smtp.test", "EMAIL_PORT": "{port}", "EMAIL_USE_TLS": "True",
               "EMAIL_HOST_USER": USER, "EMAIL_HOST_PASSWORD": PASSWORD},
}


def run(check, env_file, port, dns, client, *extra):
    default = {"SMTP_HOST": "smtp.test", "SMTP_PORT": "{port}", "SMTP_USER": USER, "SMTP_PASSWORD": PASSWORD}
    variables = {k: v.format(port=port) for k, v in VARIABLES.get(client, default).items()}
    return check(env_file(**variables), "--dns-server", dns.address, "--client", client, *extra, timeout="1")


def test_aiosmtplib_fails_where_its_one_timeout_runs_out_on_the_silent_first_address(
        check, env_file, starttls_server, silent_ipv6):
    out = run(check, env_file, starttls_server.port, silent_ipv6, "aiosmtplib")
    assert out.exit_code == 1
    tcp = out.probe("tcp")
    assert (tcp["status"], tcp["error"]["code"], tcp["error"]["reason"]) == (
        "fail", "ETIMEDOUT", "tcp.first_address_silent")
    port = starttls_server.port
    assert tcp["details"]["addresses"] == [f"[::1]:{port} no answer", f"127.0.0.1:{port} connected"]
    message = " ".join(tcp["error"]["message"].split())
    assert (f"The first, [::1]:{starttls_server.port} (IPv6), gives no answer, so the 1 s run out before "
            f"it tries 127.0.0.1:{starttls_server.port} (IPv4), which accepts") in message
    assert "precedence ::ffff:0:0/96 100" in tcp["remedy"]
    assert out.statuses()["tls"] == "skip"
    assert starttls_server.handler.logins == []


@pytest.mark.parametrize("client", ["flask-mail", "django"])  # both send with smtplib
def test_smtplib_gets_through_after_a_whole_timeout_on_each_connect(
        check, env_file, starttls_server, silent_ipv6, client):
    out = run(check, env_file, starttls_server.port, silent_ipv6, client)
    assert out.exit_code == 0, out.doc["probes"]
    tcp = out.probe("tcp")
    assert (tcp["status"], tcp["warning"]["reason"]) == ("warn", "tcp.address_silent_in_order")
    assert "every connect waits 1 s before it reaches 127.0.0.1" in " ".join(tcp["warning"]["message"].split())
    assert "precedence ::ffff:0:0/96 100" in tcp["remedy"]
    assert out.statuses()["auth"] == "pass"  # the rest of the check ran over IPv4


def test_nodemailer_may_pick_either_address(check, env_file, starttls_server, silent_ipv6):
    out = run(check, env_file, starttls_server.port, silent_ipv6, "nodemailer")
    assert out.exit_code == 0
    tcp = out.probe("tcp")
    assert (tcp["status"], tcp["warning"]["reason"]) == ("warn", "tcp.address_silent")
    assert "some sends wait 1 s or fail" in " ".join(tcp["warning"]["message"].split())


def test_a_refused_address_is_moved_past_at_once_and_is_no_warning(check, env_file, starttls_server):
    # [::1] refuses (nothing listens there): every client tries the next address at once.
    with DNSServer({"smtp.test": ["127.0.0.1"]}, zone={"smtp.test": {"AAAA": ["::1"]}}) as dns:
        out = run(check, env_file, starttls_server.port, dns, "aiosmtplib")
    assert out.exit_code == 0, out.doc["probes"]
    tcp = out.probe("tcp")
    assert tcp["status"] == "pass"
    port = starttls_server.port
    assert tcp["details"]["addresses"] == [f"[::1]:{port} refused", f"127.0.0.1:{port} connected"]


def test_family_4_leaves_the_silent_ipv6_address_out(check, env_file, starttls_server, silent_ipv6):
    out = run(check, env_file, starttls_server.port, silent_ipv6, "aiosmtplib", "--family", "4")
    assert out.exit_code == 0, out.doc["probes"]
    assert out.probe("dns")["details"]["addresses"] == ["127.0.0.1"]


def test_family_6_uses_only_the_silent_one(check, env_file, starttls_server, silent_ipv6):
    out = run(check, env_file, starttls_server.port, silent_ipv6, "aiosmtplib", "--family", "6")
    assert out.probe("tcp")["error"]["reason"] == "tcp.timeout"


def test_family_6_for_a_host_with_no_ipv6_address(check, env_file, starttls_server):
    with DNSServer({"smtp.test": ["127.0.0.1"]}) as dns:
        out = run(check, env_file, starttls_server.port, dns, "aiosmtplib", "--family", "6")
    assert out.exit_code == 1
    dns_probe = out.probe("dns")
    assert (dns_probe["error"]["code"], dns_probe["error"]["reason"]) == ("EDNS", "dns.no_address_in_family")
    assert "smtp.test has no IPv6 address; it resolves to 127.0.0.1 only" in dns_probe["error"]["message"]


def test_resolve_connects_there_and_checks_the_certificate_for_the_host(check, env_file, starttls_server):
    # smtp.test resolves nowhere here; --resolve sends it to the server, whose certificate names it.
    env = env_file(SMTP_HOST="smtp.test", SMTP_PORT=starttls_server.port, SMTP_USER=USER, SMTP_PASSWORD=PASSWORD)
    out = check(env, "--resolve", f"smtp.test:{starttls_server.port}:127.0.0.1")
    assert out.exit_code == 0, out.doc["probes"]
    assert out.probe("dns")["summary"] == (f"smtp.test:{starttls_server.port} → 127.0.0.1 (--resolve; the "
                                           "certificate is still checked for smtp.test)")
    other = env_file(SMTP_HOST="other.test", SMTP_PORT=starttls_server.port, SMTP_USER=USER, SMTP_PASSWORD=PASSWORD)
    out = check(other, "--resolve", f"other.test:{starttls_server.port}:127.0.0.1")
    assert out.probe("tls")["error"]["reason"] == "tls.cert_name_mismatch"


@pytest.mark.parametrize("bad", ["smtp.test:587", "smtp.test:x:127.0.0.1", "smtp.test:587:not-an-ip"])
def test_a_resolve_that_cannot_be_used_is_exit_2(smtpdoctor, bad):
    out = smtpdoctor("check", "--resolve", bad)
    assert out.exit_code == 2 and "--resolve" in out.stderr
