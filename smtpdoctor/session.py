"""State one check carries from probe to probe, and result helpers."""

from __future__ import annotations

import asyncio
import socket
import ssl
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smtpdoctor.model import ErrorCode, ProbeError, ProbeResult, Status, frozen_params
from smtpdoctor.net import Redactor, classify_mta_reply, classify_reply, decode_reply, enhanced_code
from smtpdoctor.providers import Provider, ProviderTable
from smtpdoctor.remedies import code_for
from smtpdoctor.settings import Settings

if TYPE_CHECKING:
    from aiosmtplib import SMTP


@dataclass
class Session:
    settings: Settings
    provider: Provider | None
    table: ProviderTable
    timeout: float
    context: ssl.SSLContext
    redactor: Redactor
    alt_ports: tuple[int, ...] = ()
    dns_server: tuple[str, int] | None = None
    recipients: tuple[str, ...] = ()
    subject: str | None = None
    body: str | None = None
    transcript: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    address: str | None = None
    sock: socket.socket | None = None
    client: SMTP | None = None
    greeting: str = ""
    # The command in flight, so a timeout can say what it was waiting for.
    current: str = ""
    deadline: float = 0.0
    # What each port was seen to speak in this run (None: no answer), for fixes.
    port_modes: dict[int, str | None] = field(default_factory=dict)

    def start_step(self) -> None:
        self.deadline = asyncio.get_running_loop().time() + self.timeout

    def remaining(self) -> float:
        return max(0.01, self.deadline - asyncio.get_running_loop().time())

    def record(self, direction: str, text: str) -> None:
        for line in text.splitlines() or [""]:
            self.transcript.append(f"{direction}: {self.redactor.clean(line)}")

    def record_reply(self, code: int, message: str) -> str:
        """Log a server reply and return it as one decoded, redacted line."""
        text = self.redactor.clean(decode_reply(message))
        lines = text.splitlines() or [""]
        for i, line in enumerate(lines):
            sep = "-" if i < len(lines) - 1 else " "
            self.transcript.append(f"S: {code}{sep}{line}")
        return f"{code} {' '.join(lines)}".strip()

    def classify(self, code: int, text: str, prefixes: tuple[str, ...],
                 fallback: str) -> tuple[str, str | None]:
        """The reason for a refusal at this step, and the provider whose reply
        text matched; ``fallback`` when no known text matches."""
        match = classify_reply(code, text, self.table, self.provider)
        if match and match[0].startswith(prefixes):
            # A reply names its server; its provider's remedy applies only when the
            # settings named none (a custom-domain Exmail account, a bare IP…).
            return match[0], (match[1] if self.provider is None else None)
        generic = classify_mta_reply(text)
        if generic and generic.startswith(prefixes) and not 400 <= code < 500:
            return generic, None
        return fallback, None

    def tls_active(self) -> bool:
        client = self.client
        return bool(client and client.is_connected and client.get_transport_info("sslcontext"))

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def passed(name: str, summary: str, *, warning: str | None = None,
           params: dict[str, object] | None = None, details: dict[str, object] | None = None,
           duration_ms: float = 0.0) -> ProbeResult:
    return ProbeResult(
        name=name,
        status=Status.WARN if warning else Status.PASS,
        summary=summary,
        warning=warning,
        params=frozen_params(params),
        details=frozen_params(details),
        duration_ms=duration_ms,
    )


def failed(name: str, reason: str, summary: str, *, code: ErrorCode | None = None,
           reply: str | None = None, reply_code: int | None = None,
           params: dict[str, object] | None = None, duration_ms: float = 0.0,
           provider: str | None = None) -> ProbeResult:
    error = ProbeError(
        code=code or code_for(reason),
        reason=reason,
        reply_code=reply_code,
        enhanced_code=enhanced_code(reply) if reply else None,
        reply=reply,
        provider=provider,
    )
    return ProbeResult(name=name, status=Status.FAIL, summary=summary, error=error,
                       params=frozen_params(params), duration_ms=duration_ms)


def skipped(name: str, why: str) -> ProbeResult:
    return ProbeResult(name=name, status=Status.SKIP, summary=why)
