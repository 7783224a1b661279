"""What a port really speaks: a plaintext SMTP greeting, or implicit TLS.

Used to turn "wrong version number" and "greeting never received" into the
exact setting to change, and to say which alternative port works how.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl

from smtpdoctor.wire.net import open_socket


async def plaintext_mode(address: str, port: int, limit: float) -> str | None:
    """``starttls`` or ``plain`` if the port greets in plaintext, else None."""
    try:
        async with asyncio.timeout(limit):
            sock = await open_socket(address, port, limit)
            reader, writer = await asyncio.open_connection(sock=sock)
            try:
                greeting = await reader.readline()
                if not greeting.startswith(b"220"):
                    return None
                # A multi-line greeting ends at the line with a space after the code.
                while greeting[3:4] == b"-":
                    greeting = await reader.readline()
                writer.write(b"EHLO smtpdoctor.localdomain\r\n")
                await writer.drain()
                offers_starttls = False
                while True:
                    line = await reader.readline()
                    if not line:
                        break
                    offers_starttls |= line[4:].strip().upper() == b"STARTTLS"
                    if line[3:4] != b"-":
                        break
                writer.write(b"QUIT\r\n")
                return "starttls" if offers_starttls else "plain"
            finally:
                writer.close()
    except (OSError, TimeoutError, ValueError):
        return None


async def speaks_implicit_tls(
    address: str, port: int, host: str, context: ssl.SSLContext, limit: float
) -> bool:
    """True if a TLS handshake completes on connect. A certificate the context
    refuses still proves the port speaks TLS."""
    try:
        async with asyncio.timeout(limit):
            sock = await open_socket(address, port, limit)
            _, writer = await asyncio.open_connection(
                sock=sock, ssl=context, server_hostname=host, ssl_handshake_timeout=limit
            )
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            return True
    except ssl.SSLCertVerificationError:
        return True
    except (OSError, TimeoutError, ValueError):
        return False


async def what_port_speaks(address: str, port: int, host: str, context: ssl.SSLContext,
                           limit: float) -> str | None:
    """``ssl``, ``starttls`` or ``plain`` for a port that answers within
    ``limit``, else None: a plaintext greeting and a TLS handshake race, the
    first clear answer wins."""
    attempts = {
        asyncio.create_task(plaintext_mode(address, port, limit)),
        asyncio.create_task(speaks_implicit_tls(address, port, host, context, limit)),
    }
    try:
        for finished in asyncio.as_completed(attempts):
            answer = await finished
            if answer is True:
                return "ssl"
            if isinstance(answer, str):
                return answer
        return None
    finally:
        for task in attempts:
            task.cancel()
