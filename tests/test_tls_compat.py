"""Old-server TLS (issue 19): a server that speaks only TLS 1.0 is told apart from a broken
handshake by a second handshake with every floor down, said with the version it speaks,
without waiting for a plaintext greeting that a TLS port never sends."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import warnings

import pytest

from tests.conftest import server_context
from tests.servers import PASSWORD, USER, SMTPServer


def tls10_only(ca) -> ssl.SSLContext:
    context = server_context(ca, "localhost", "smtp.test")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # ssl.TLSVersion.TLSv1: the point here
        context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1
    context.set_ciphers("ALL:@SECLEVEL=0")
    return context


class OldImplicitTLS:
    """An implicit-TLS port that speaks only TLS 1.0 (aiosmtpd's controller cannot start
    one: its readiness check uses today's defaults): the handshake, a greeting, then closed."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with contextlib.suppress(OSError), conn:
                conn.settimeout(5)
                with self.context.wrap_socket(conn, server_side=True) as tls:
                    tls.sendall(b"220 old.test ESMTP\r\n")
                    tls.recv(1024)

    def __enter__(self) -> OldImplicitTLS:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.listener.close()


@pytest.mark.parametrize(("mode", "port_var"), [("ssl", "true"), ("starttls", "false")])
def test_a_tls_1_0_server_is_named_as_too_old_at_once(check, env_file, ca, mode, port_var):
    server_class = OldImplicitTLS if mode == "ssl" else lambda context: SMTPServer("starttls", context)
    with server_class(tls10_only(ca)) as server:
        env = env_file(SMTP_HOST="localhost", SMTP_PORT=server.port, SMTP_USER=USER, SMTP_PASSWORD=PASSWORD,
                       SMTP_SECURE=port_var)
        out = check(env, timeout="10")
    assert out.exit_code == 1
    tls = out.probe("tls")
    assert (tls["error"]["code"], tls["error"]["reason"]) == ("ETLS", "tls.server_protocol_too_old"), tls["summary"]
    assert tls["details"]["relaxed_protocol"] == "TLSv1"
    message = " ".join(tls["error"]["message"].split())
    assert f"localhost:{server.port} speaks nothing newer than TLSv1, which is older than TLS 1.2" in message
    assert "completed a TLSv1 handshake with it only after lowering its own minimum" in message
    assert "enable TLS 1.2 or later" in tls["remedy"]
    # A TLS alert is an answer in TLS: no wait for a plaintext greeting (the whole --timeout).
    assert tls["duration_ms"] < 5000


# Diffie-Hellman parameters of 1024 bits (public values, made with `openssl dhparam 1024`):
# below OpenSSL 3's default security level, which wants 2048.
DH_1024 = """-----BEGIN DH PARAMETERS-----
MIGHAoGBAPPTEHErXFgX/Tuyh449DowpHgtH/FWVXAwPB9Awq0PrcsjWd4ILFdH7
XrofinaRuFItMxXrX3tYUqx1dIxwKPMc073Jj2BDYt56RVzJ01X4yqJeEYwmt4JZ
j3Yhx5BK49g0LN42e8vVSTNzQn/ZgEEVwPwyHwtd1Ew6o5u0aJiHAgEC
-----END DH PARAMETERS-----
"""


def test_a_server_with_a_small_dh_key_is_named_so(check, env_file, tmp_path):
    import trustme

    authority = trustme.CA(key_type=trustme.KeyType.RSA)  # DHE-RSA: an RSA certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("localhost", key_type=trustme.KeyType.RSA).configure_cert(context)
    context.maximum_version = ssl.TLSVersion.TLSv1_2  # TLS 1.3 has no custom DH groups
    context.set_ciphers("DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0")
    (tmp_path / "dh.pem").write_text(DH_1024)
    context.load_dh_params(str(tmp_path / "dh.pem"))
    authority.cert_pem.write_to_path(str(tmp_path / "rsa-ca.pem"))  # trusted: the key exchange decides
    with OldImplicitTLS(context) as server:
        env = env_file(SMTP_HOST="localhost", SMTP_PORT=server.port, SMTP_USER=USER, SMTP_PASSWORD=PASSWORD,
                       SMTP_SECURE="true")
        out = check(env, "--ca-file", str(tmp_path / "rsa-ca.pem"), timeout="10")
    tls = out.probe("tls")
    assert (tls["error"]["code"], tls["error"]["reason"]) == ("ETLS", "tls.server_dh_too_small")
    assert "(DH_KEY_TOO_SMALL (SSL))" in tls["error"]["message"]
    assert "completed a TLSv1.2 handshake (DHE-RSA-AES128-GCM-SHA256)" in " ".join(tls["error"]["message"].split())
    assert "2048 bits or more" in tls["remedy"]


def test_microsofts_4_7_66_at_starttls_says_the_client_is_too_old(check, account):
    from tests.servers import ScriptedServer

    reply = (b"421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support "
             b"TLS 1.2. Visit https://aka.ms/smtp_auth_tls.\r\n")
    with ScriptedServer({"STARTTLS": reply},
                        ehlo=b"250-smtp.test\r\n250-STARTTLS\r\n250 AUTH LOGIN\r\n") as server:
        out = check(account(server.port))
    failed = next(p for p in out.doc["probes"] if p["status"] == "fail")
    assert failed["error"]["reason"] == "tls.client_too_old", failed


def test_a_modern_server_still_passes(check, env_file, good_tls):
    with SMTPServer("ssl", good_tls) as server:
        env = env_file(SMTP_HOST="localhost", SMTP_PORT=server.port, SMTP_USER=USER, SMTP_PASSWORD=PASSWORD,
                       SMTP_SECURE="true")
        out = check(env)
    assert out.exit_code == 0, out.doc["probes"]
    assert out.probe("tls")["details"]["protocol"] in ("TLSv1.2", "TLSv1.3")


@pytest.mark.parametrize(("pasted", "reason"), [
    ("421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support TLS 1.2.",
     "tls.client_too_old"),
    ("ssl.SSLError: [SSL: UNSUPPORTED_PROTOCOL] unsupported protocol (_ssl.c:1006)", "tls.server_protocol_too_old"),
    ("Error: 40E7B1F8A77F0000:error:0A00018A:SSL routines:tls_process_ske_dhe:dh key too small",
     "tls.server_dh_too_small"),
    ("[SSL: UNSAFE_LEGACY_RENEGOTIATION_DISABLED] unsafe legacy renegotiation disabled",
     "tls.server_no_secure_renegotiation"),
])
def test_explain_names_old_tls_on_either_side(smtpdoctor, pasted, reason):
    out = smtpdoctor("explain", "--json", pasted)
    assert out.doc["matches"][0]["reason"] == reason
