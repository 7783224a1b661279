"""The real aiosmtplib and smtplib against a host whose first address (IPv6, [::1]) is silent
and whose second (127.0.0.1) accepts, beside what `smtpdoctor check` says for each client.

This machine's resolver cannot be given a name with both addresses (the tests do not edit
/etc/hosts), so each client runs in its own process with ``socket.getaddrinfo`` answering
[::1, 127.0.0.1] for smtp.test, in that order, as glibc orders them where IPv6 routes: the
only part that is not real. nodemailer is left out: it resolves with its own DNS queries
(dns.resolve4/resolve6), which this cannot stand in for.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.servers import PASSWORD, USER
from tests.test_addresses import _ipv6_loopback

pytestmark = pytest.mark.skipif(not _ipv6_loopback(), reason="this machine has no IPv6 loopback (::1)")

RESOLVER = """
import socket, sys
real = socket.getaddrinfo
def both(host, port, family=0, type=0, proto=0, flags=0):
    if host != "smtp.test":
        return real(host, port, family, type, proto, flags)
    return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", int(port), 0, 0)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", int(port)))]
socket.getaddrinfo = both
port, ca, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
"""
SMTPLIB = RESOLVER + """
import smtplib, ssl
with smtplib.SMTP("smtp.test", port, timeout=1) as client:
    client.starttls(context=ssl.create_default_context(cafile=ca))
    client.login(user, password)
print("delivered")
"""
AIOSMTPLIB = RESOLVER + """
import asyncio, ssl, aiosmtplib
async def main():
    client = aiosmtplib.SMTP(hostname="smtp.test", port=port, timeout=1, start_tls=True,
                             tls_context=ssl.create_default_context(cafile=ca))
    await client.connect()
    await client.login(user, password)
    print("delivered")
try:
    asyncio.run(main())
except Exception as exc:
    print(type(exc).__name__, exc)
"""


def real_client(script: str, port: int, ca_file: str) -> tuple[str, float]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script, str(port), ca_file, USER, PASSWORD],
                          capture_output=True, text=True, timeout=60)
    return done.stdout.strip() + done.stderr.strip()[-300:], time.monotonic() - started


@pytest.fixture
def silent_first(starttls_server):
    from tests.servers import DNSServer, DroppingPort

    with DroppingPort("::1", starttls_server.port), DNSServer(
            {"smtp.test": ["127.0.0.1"]}, zone={"smtp.test": {"AAAA": ["::1"]}}) as dns:
        yield dns


def test_aiosmtplib_times_out_as_smtpdoctor_says(check, env_file, starttls_server, ca_file, silent_first):
    said, _ = real_client(AIOSMTPLIB, starttls_server.port, ca_file)
    assert said.startswith("SMTPConnectTimeoutError"), said  # the one timeout ran out on [::1]
    env = env_file(SMTP_HOST="smtp.test", SMTP_PORT=starttls_server.port, SMTP_USER=USER, SMTP_PASSWORD=PASSWORD)
    out = check(env, "--dns-server", silent_first.address, "--client", "aiosmtplib", timeout="1")
    assert (out.exit_code, out.probe("tcp")["error"]["reason"]) == (1, "tcp.first_address_silent")


def test_smtplib_gets_through_a_timeout_later_as_smtpdoctor_says(check, env_file, starttls_server, ca_file,
                                                                 silent_first):
    said, took = real_client(SMTPLIB, starttls_server.port, ca_file)
    assert said == "delivered"
    assert took >= 1.0  # the whole timeout on [::1] first
    env = env_file(MAIL_SERVER="smtp.test", MAIL_PORT=starttls_server.port, MAIL_USE_TLS="True",
                   MAIL_USERNAME=USER, MAIL_PASSWORD=PASSWORD)
    out = check(env, "--dns-server", silent_first.address, "--client", "flask-mail", timeout="1")
    assert out.exit_code == 0
    assert out.probe("tcp")["warning"]["reason"] == "tcp.address_silent_in_order"
