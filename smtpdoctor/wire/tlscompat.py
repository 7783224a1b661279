"""What an old server's TLS lacks: a second handshake with the floor lowered.

When the runtime's defaults refuse the server (OpenSSL 3 and Python 3.10+ want TLS 1.2 or
later, a Diffie-Hellman key of 2048 bits, secure renegotiation), the handshake is tried once
more with every floor down (TLS 1.0, OpenSSL security level 0, legacy renegotiation allowed),
no certificate checked: if that one completes, what the server speaks is an observed fact,
not a guess. It never carries mail: the connection is closed after the handshake.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import NamedTuple

# The OpenSSL reasons a default context gives for a server that is too old, and what each says.
TOO_OLD = {
    "UNSUPPORTED_PROTOCOL": "protocol",
    "TLSV1_ALERT_PROTOCOL_VERSION": "protocol",
    "NO_PROTOCOLS_AVAILABLE": "protocol",
    "DH_KEY_TOO_SMALL": "dh",
    "UNSAFE_LEGACY_RENEGOTIATION_DISABLED": "renegotiation",
}
# OpenSSL's SSL_OP_LEGACY_SERVER_CONNECT (ssl.OP_LEGACY_SERVER_CONNECT from Python 3.12).
LEGACY_SERVER_CONNECT = getattr(ssl, "OP_LEGACY_SERVER_CONNECT", 0x4)


class Relaxed(NamedTuple):
    """The handshake that completed with every floor down."""

    version: str  # "TLSv1", "TLSv1.1", …
    cipher: str


def too_old(exc: BaseException) -> str | None:
    """"protocol", "dh" or "renegotiation" when ``exc`` is OpenSSL refusing an old server;
    "reset" when the server hung up in the handshake, as an old one may do at a ClientHello
    it cannot read (only a second handshake tells); else None."""
    if isinstance(exc, ssl.SSLError):
        if isinstance(exc, ssl.SSLEOFError):
            return "reset"
        return TOO_OLD.get(exc.reason or "")
    return "reset" if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, EOFError)) else None


def lacks(kind: str, relaxed: Relaxed) -> str | None:
    """What the server lacks, given what the first handshake said and the relaxed one did:
    a hang-up is an old protocol only if the relaxed handshake went below TLS 1.2."""
    if kind != "reset":
        return kind
    return "protocol" if relaxed.version in ("SSLv3", "TLSv1", "TLSv1.1") else None


def relaxed_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    context.set_ciphers("ALL:@SECLEVEL=0")
    context.options |= LEGACY_SERVER_CONNECT
    return context


async def relaxed_handshake(address: str, port: int, host: str, *, implicit: bool,
                            limit: float) -> Relaxed | None:
    """The handshake with every floor down (after EHLO and STARTTLS unless ``implicit``), or
    None if even that fails or ``limit`` runs out."""
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(limit):
            if implicit:
                _, writer = await asyncio.open_connection(address, port, ssl=relaxed_context(),
                                                          server_hostname=host or None)
            else:
                reader, writer = await asyncio.open_connection(address, port)
                await _reply(reader)  # the greeting
                writer.write(b"EHLO smtpdoctor.localdomain\r\n")
                await _reply(reader)
                writer.write(b"STARTTLS\r\n")
                if not (await _reply(reader)).startswith(b"220"):
                    return None
                await writer.start_tls(relaxed_context(), server_hostname=host or None)
            sslobj = writer.get_extra_info("ssl_object")
            if sslobj is None:
                return None
            cipher = sslobj.cipher()
            return Relaxed(sslobj.version() or "?", cipher[0] if cipher else "?")
    except (OSError, TimeoutError, ssl.SSLError, EOFError):
        return None
    finally:
        if writer is not None:
            writer.close()


async def _reply(reader: asyncio.StreamReader) -> bytes:
    """One whole SMTP reply (its last line: "250 " rather than "250-")."""
    while True:
        line = await reader.readline()
        if not line:
            raise EOFError("the server closed the connection")
        if line[3:4] != b"-":
            return line
