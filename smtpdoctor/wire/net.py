"""Small pieces the probes share: sockets, reply text, redaction (the TLS context: ``trust``)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


async def in_daemon_thread(func: Callable[[], T]) -> T:
    """Run a blocking call (getaddrinfo) without holding up the exit.

    ``asyncio.to_thread`` uses the default executor, which ``asyncio.run``
    joins on the way out: a resolver that hangs for 30 s would hold the
    verdict hostage after our own limit has passed. A daemon thread doesn't.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def deliver(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def work() -> None:
        try:
            result = func()
        except BaseException as exc:  # handed to the awaiting task
            loop.call_soon_threadsafe(deliver, None, exc)
        else:
            loop.call_soon_threadsafe(deliver, result, None)

    threading.Thread(target=work, name="smtpdoctor-resolve", daemon=True).start()
    return await future


async def open_socket(address: str, port: int, limit: float) -> socket.socket:
    """A connected non-blocking TCP socket, or the connect error."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        async with asyncio.timeout(limit):
            await asyncio.get_running_loop().sock_connect(sock, (address, port))
    except BaseException:
        sock.close()
        raise
    return sock


def local_hostname() -> str:
    """The EHLO name, without the DNS lookup ``socket.getfqdn`` would do."""
    name = socket.gethostname().strip()
    if not name or any(ch.isspace() or ord(ch) < 33 or ord(ch) > 126 for ch in name):
        return "smtpdoctor.localdomain"
    return name
