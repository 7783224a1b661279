"""The run's TLS context (wire/trust.py) is the one ``ssl.create_default_context()`` makes,
with ``--ca-file`` added, though a thread reads its trust store."""

from __future__ import annotations

import contextlib
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from smtpdoctor.wire.trust import tls_context, unverified_context


def settings_of(context: ssl.SSLContext) -> tuple[object, ...]:
    return (context.protocol, context.options, context.verify_mode, context.verify_flags,
            context.check_hostname, context.minimum_version, context.maximum_version,
            context.keylog_filename, context.post_handshake_auth, context.get_ciphers())


def store_of(context: ssl.SSLContext) -> tuple[object, ...]:
    return context.cert_store_stats(), sorted(map(repr, context.get_ca_certs()))


@pytest.mark.parametrize("with_ca_file", [False, True])
def test_the_context_is_the_default_context_with_the_ca_file(ca_file, with_ca_file, monkeypatch, tmp_path):
    monkeypatch.setenv("SSLKEYLOGFILE", str(tmp_path / "keys.log"))
    expected = ssl.create_default_context()
    if with_ca_file:
        expected.load_verify_locations(cafile=ca_file)
    ours = tls_context(ca_file if with_ca_file else None)
    assert settings_of(ours) == settings_of(expected)
    assert store_of(ours) == store_of(expected)


def test_the_system_store_is_what_ssl_cert_file_names(ca_file, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)
    monkeypatch.setenv("SSL_CERT_DIR", str(Path(ca_file).parent))
    assert store_of(tls_context(None)) == store_of(ssl.create_default_context())
    assert tls_context(None).cert_store_stats()["x509_ca"] == 1


def test_a_bad_ca_file_raises_at_once(tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    with pytest.raises(ssl.SSLError):
        tls_context(str(bad))
    with pytest.raises(OSError):
        tls_context(str(tmp_path / "missing.pem"))


def test_a_handshake_waits_for_the_store(ca, ca_file):
    """wrap_bio (asyncio) and wrap_socket (urllib, imapclient) both wait for the thread."""
    context = tls_context(ca_file)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server)
    client_in, client_out, server_in, server_out = (ssl.MemoryBIO() for _ in range(4))
    client = context.wrap_bio(client_in, client_out, server_hostname="localhost")
    peer = server.wrap_bio(server_in, server_out, server_side=True)
    for _ in range(10):  # a handshake over memory: it verifies against the store just read
        for side, out, into in ((client, client_out, server_in), (peer, server_out, client_in)):
            with contextlib.suppress(ssl.SSLWantReadError):
                side.do_handshake()
            into.write(out.read())
    assert client.version() is not None
    assert client.getpeercert()["subjectAltName"] == (("DNS", "localhost"),)


def test_the_unverified_context_is_the_default_one_with_the_checks_off():
    expected = ssl.create_default_context()
    expected.check_hostname = False
    expected.verify_mode = ssl.CERT_NONE
    assert settings_of(unverified_context()) == settings_of(expected)


def test_the_trust_module_starts_its_thread_before_asyncio_is_imported():
    code = ("import sys\nfrom smtpdoctor.wire.trust import tls_context\ntls_context(None)\n"
            "print('asyncio' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parent).stdout
    assert out.strip() == "False"
