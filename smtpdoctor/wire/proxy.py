"""Connecting through a proxy (--proxy): SOCKS5 (socks5:// resolves here, socks5h:// at the
proxy) and SOCKS4 with python-socks (the `proxy` extra), HTTP CONNECT here. SMTP libraries
never read HTTPS_PROXY or ALL_PROXY: a proxy is only ever used when the app's code sets one up.

HTTP CONNECT is not left to python-socks: it reads the proxy's answer in one recv, and the
server's greeting, which an SMTP server sends as soon as the tunnel is up, can arrive in that
same read and be dropped with it; the app would then wait for a greeting that never comes.
Here the answer is read up to its blank line and not a byte further.
"""

from __future__ import annotations

import socket
from typing import NamedTuple

from smtpdoctor.secret import Secret

SCHEMES = ("socks5", "socks5h", "socks4", "http")


class ProxyURL(NamedTuple):
    scheme: str
    host: str
    port: int
    username: str | None = None
    password: Secret | None = None

    @property
    def shown(self) -> str:
        """The proxy as a report names it: never its password."""
        user = f"{self.username}@" if self.username else ""
        return f"{self.scheme}://{user}{self.host}:{self.port}"

    @property
    def remote_dns(self) -> bool:
        return self.scheme == "socks5h"


class ProxyFailed(Exception):
    """What the proxy step ended with: a proxy.* reason, and what was said."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def parse_proxy(text: str) -> ProxyURL:
    """``socks5://[user:password@]host:port`` (socks5h, socks4, http alike); ValueError says why not."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(text.strip())
    if parts.scheme not in SCHEMES:
        raise ValueError(f"{parts.scheme or text!r} is not a proxy scheme: use {', '.join(SCHEMES)}")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{text!r}: {exc}") from None
    if not parts.hostname or port is None:
        raise ValueError(f"{parts.scheme}://HOST:PORT needs a host and a port")
    password = Secret(unquote(parts.password)) if parts.password else None
    return ProxyURL(parts.scheme, parts.hostname, port, unquote(parts.username) if parts.username else None,
                    password)


def needs_python_socks(proxy: ProxyURL) -> bool:
    return proxy.scheme != "http"


async def connect_through(proxy: ProxyURL, host: str, port: int, limit: float) -> socket.socket:
    """A socket connected to ``host:port`` through ``proxy``, or ProxyFailed."""
    if proxy.scheme == "http":
        return await _http_connect(proxy, host, port, limit)
    from python_socks import ProxyConnectionError, ProxyError, ProxyTimeoutError, ProxyType
    from python_socks.async_.asyncio import Proxy

    kind = {"socks5": ProxyType.SOCKS5, "socks5h": ProxyType.SOCKS5, "socks4": ProxyType.SOCKS4,
            "http": ProxyType.HTTP}[proxy.scheme]
    client = Proxy(kind, proxy.host, proxy.port, username=proxy.username,
                   password=proxy.password.reveal() if proxy.password else None, rdns=proxy.remote_dns)
    try:
        return await client.connect(host, port, timeout=limit)
    except ProxyTimeoutError as exc:
        raise ProxyFailed("proxy.timeout", str(exc)) from None
    except ProxyConnectionError as exc:
        raise ProxyFailed("proxy.unreachable", exc.strerror or str(exc)) from None
    except ProxyError as exc:
        raise ProxyFailed(_refusal(exc), str(exc)) from None


async def _http_connect(proxy: ProxyURL, host: str, port: int, limit: float) -> socket.socket:
    import asyncio
    import base64

    from smtpdoctor.wire.net import open_socket

    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(limit):
            try:
                address = (await loop.getaddrinfo(proxy.host, proxy.port, type=socket.SOCK_STREAM))[0][4][0]
                sock = await open_socket(str(address), proxy.port, limit)
            except OSError as exc:
                raise ProxyFailed("proxy.unreachable", exc.strerror or str(exc)) from None
            try:
                target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
                request = f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n"
                if proxy.username is not None:
                    login = f"{proxy.username}:{proxy.password.reveal() if proxy.password else ''}"
                    request += f"Proxy-Authorization: Basic {base64.b64encode(login.encode()).decode()}\r\n"
                await loop.sock_sendall(sock, (request + "\r\n").encode())
                answer = b""
                while not answer.endswith(b"\r\n\r\n"):  # one byte at a time: never past the answer
                    byte = await loop.sock_recv(sock, 1)
                    if not byte or len(answer) > 16384:
                        raise ProxyFailed("proxy.denied", "the proxy closed the connection without an answer")
                    answer += byte
            except BaseException:
                sock.close()
                raise
    except TimeoutError:
        raise ProxyFailed("proxy.timeout", f"no answer within {limit:g} s") from None
    status = answer.split(b"\r\n", 1)[0].decode("latin-1").strip()
    code = status.split(" ", 2)[1] if status.count(" ") >= 1 else ""
    if code.startswith("2"):
        return sock
    sock.close()
    reason = ("proxy.auth_failed" if code in ("401", "407") else
              "proxy.target_unreachable" if code in ("502", "503", "504") else "proxy.denied")
    raise ProxyFailed(reason, status)


def _refusal(exc: BaseException) -> str:
    """The reason of a proxy's refusal, from its reply: SOCKS5 reply codes (RFC 1928 §6) or
    the HTTP status of the CONNECT."""
    code = getattr(exc, "error_code", None)
    if code in (401, 407) or "authentication" in str(exc).lower():
        return "proxy.auth_failed"
    if code in (3, 4, 5, 502, 503, 504):  # network/host unreachable, refused; gateway errors
        return "proxy.target_unreachable"
    return "proxy.denied"  # SOCKS5 2 (not allowed by ruleset), HTTP 403 and the rest
