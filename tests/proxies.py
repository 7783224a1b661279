"""Real proxies on loopback for the --proxy tests: Debian's dante-server (SOCKS5) and
tinyproxy (HTTP CONNECT), each started with its own configuration in a temporary folder.
.ci/run installs both; a machine without them skips the tests that need them."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.servers import free_port


def _wait_for(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    for _ in range(100):
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited: {process.stderr.read().decode() if process.stderr else ''}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port}")


class Proxy:
    """A proxy process on 127.0.0.1:``port`` while in a ``with``."""

    program = ""

    def __init__(self) -> None:
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="smtpdoctor-proxy-"))
        self.process: subprocess.Popen[bytes] | None = None

    @classmethod
    def available(cls) -> bool:
        return shutil.which(cls.program) is not None

    def command(self) -> list[str]:
        raise NotImplementedError

    def __enter__(self) -> Proxy:
        self.process = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _wait_for(self.port, self.process, self.program)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(5)
        shutil.rmtree(self.folder, ignore_errors=True)


class Dante(Proxy):
    """SOCKS5 without a login; connections to ``blocked_port`` are refused by its rules."""

    program = "danted"

    def __init__(self, blocked_port: int = 1) -> None:
        super().__init__()
        self.blocked_port = blocked_port

    def command(self) -> list[str]:
        config = self.folder / "danted.conf"
        config.write_text(
            "logoutput: stderr\n"
            f"internal: 127.0.0.1 port = {self.port}\n"
            "external: 127.0.0.1\n"
            "clientmethod: none\nsocksmethod: none\nuser.unprivileged: nobody\n"
            "client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }\n"
            f"socks block {{ from: 0.0.0.0/0 to: 0.0.0.0/0 port = {self.blocked_port} }}\n"
            "socks pass { from: 127.0.0.0/8 to: 127.0.0.0/8 }\n")
        return [self.program, "-f", str(config), "-p", str(self.folder / "danted.pid")]


class Tinyproxy(Proxy):
    """HTTP CONNECT with a login (user/secret), to ``allowed_port`` only (403 elsewhere)."""

    program = "tinyproxy"
    USER, PASSWORD = "proxyuser", "Pr0xySecret42"  # its config takes letters and digits

    def __init__(self, allowed_port: int) -> None:
        super().__init__()
        self.allowed_port = allowed_port

    def command(self) -> list[str]:
        config = self.folder / "tinyproxy.conf"
        config.write_text(
            f"Port {self.port}\nListen 127.0.0.1\nTimeout 10\nAllow 127.0.0.1\n"
            f"BasicAuth {self.USER} {self.PASSWORD}\nConnectPort {self.allowed_port}\n"
            "User nobody\nGroup nogroup\n")
        return [self.program, "-d", "-c", str(config)]
