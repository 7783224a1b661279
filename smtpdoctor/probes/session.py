"""State one check carries from probe to probe, and result helpers."""

from __future__ import annotations

import asyncio
import socket
import ssl
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from smtpdoctor.catalog import code_for
from smtpdoctor.classify import classify_refusal, decode_reply, enhanced_code
from smtpdoctor.config.values import Settings
from smtpdoctor.model import (
    ErrorCode,
    ProbeError,
    ProbeResult,
    Status,
    frozen_details,
    frozen_params,
    printable,
)
from smtpdoctor.providers import Provider, ProviderTable
from smtpdoctor.secret import Redactor, Secret

if TYPE_CHECKING:
    from aiosmtplib import SMTP

    from smtpdoctor.wire.imap import Mailbox
    from smtpdoctor.wire.oauth import TokenAnswer
    from smtpdoctor.wire.proxy import ProxyURL


# A reply of 10,000 lines (an EHLO flood) is kept in the transcript this far.
MAX_TRANSCRIPT_LINES = 200


# State, not a value: never compared, and its own __init__ only (each generated method is
# compiled at import, ~0.3 ms on Python 3.11, and a check imports this module).
@dataclass(eq=False, repr=False)
class Session:
    settings: Settings
    provider: Provider | None
    table: ProviderTable
    timeout: float
    context: ssl.SSLContext
    redactor: Redactor
    alt_ports: tuple[int, ...] = ()
    dns_server: tuple[str, int] | None = None
    family: str = "auto"  # --family
    resolves: tuple[tuple[str, int, str], ...] = ()  # --resolve
    proxy: ProxyURL | None = None  # --proxy
    # `domain`: the provider that sends for the domain (the settings', else the MX's).
    sending_provider: Provider | None = None
    recipients: tuple[str, ...] = ()
    # send-test --confirm: the mailbox to look in, how long to look, whether to leave the message.
    mailbox: Mailbox | None = None
    confirm_timeout: float = 60.0
    keep: bool = False
    # What the send step sent, for the delivery step to find: Message-ID, token, when DATA ended.
    sent_id: str = ""
    sent_token: str = ""
    sent_at: float = 0.0
    subject: str | None = None
    body: str | None = None
    transcript: list[str] = field(default_factory=list)
    # Only -v shows the transcript: without it, the lines are not made (a fleet's thousand rows).
    keeps_transcript: bool = True
    addresses: list[str] = field(default_factory=list)
    # The EHLO name sent, and whether it is the one the app's client sends (wire/ehlo.py).
    ehlo_name: str = ""
    ehlo_is_clients: bool = False
    address: str | None = None
    sock: socket.socket | None = None
    client: SMTP | None = None
    greeting: str = ""
    # The command in flight, so a timeout can say what it was waiting for.
    current: str = ""
    deadline: float = 0.0
    # --max-time: the end of the whole run (time.monotonic, as the loop's clock), or None.
    run_deadline: float | None = None
    # What each port was seen to speak in this run (None: no answer), for fixes.
    port_modes: dict[int, str | None] = field(default_factory=dict)
    # The access token the oauth probe fetched for this run's login, and the token
    # endpoint's answers, shared by the fix trials of the same run.
    access_token: Secret | None = None
    tokens: dict[tuple[str, str | None, str], TokenAnswer] = field(default_factory=dict)
    # What other ports speak, asked while this port's greeting was late (sniff_alternatives).
    sniffs: dict[int, asyncio.Future[str | None]] = field(default_factory=dict)
    # DNS answers shared with concurrent runs: (host, --dns-server) → the lookup.
    lookups: dict[tuple[str, str | None], asyncio.Future[list[str]]] = field(default_factory=dict)

    def candidate_ports(self) -> list[int]:
        """The ports a fix may move to: the configured one, the provider's, --alt-ports."""
        provider_ports = sorted(self.provider.ports) if self.provider else []
        return list(dict.fromkeys([self.settings.port or 0, *provider_ports, *self.alt_ports]))

    def sniff_alternatives(self) -> None:
        """Start asking every other candidate port what it speaks, within this step's limit."""
        from smtpdoctor.wire.sniff import what_port_speaks

        address = self.address or (self.addresses[0] if self.addresses else "")
        if not address or not self.alt_ports:
            return
        host = self.settings.host or address
        for port in self.candidate_ports():
            if port != self.settings.port and port not in self.port_modes and port not in self.sniffs:
                sniff = asyncio.ensure_future(
                    what_port_speaks(address, port, host, self.context, self.remaining()))
                # Read when the fix search needs it, else never: its error must not go unread.
                sniff.add_done_callback(lambda task: task.cancelled() or task.exception())
                self.sniffs[port] = sniff

    def start_step(self, limit: float | None = None) -> bool:
        """Start a step's clock (``limit``, else --timeout); True when --max-time ends it first."""
        step_end = asyncio.get_running_loop().time() + (limit or self.timeout)
        cut_short = self.run_deadline is not None and self.run_deadline < step_end
        self.deadline = min(step_end, self.run_deadline) if self.run_deadline else step_end
        return cut_short

    def remaining(self) -> float:
        return max(0.01, self.deadline - asyncio.get_running_loop().time())

    def run_left(self) -> float | None:
        """Seconds until --max-time, or None without one."""
        if self.run_deadline is None:
            return None
        return self.run_deadline - asyncio.get_running_loop().time()

    def record(self, direction: str, text: str) -> None:
        if not self.keeps_transcript:
            return
        for line in text.splitlines() or [""]:
            self.transcript.append(f"{direction}: {printable(self.redactor.clean(line))}")

    def record_reply(self, code: int, message: str) -> str:
        """Log a server reply and return it as one decoded, redacted, printable line."""
        text = self.redactor.clean(decode_reply(message))
        lines = text.splitlines() or [""]
        shown = lines[:MAX_TRANSCRIPT_LINES]
        if self.keeps_transcript:
            for i, line in enumerate(shown):
                sep = "-" if i < len(shown) - 1 else " "
                self.transcript.append(f"S: {code}{sep}{printable(line)}")
            if len(lines) > len(shown):
                self.transcript.append(f"S: … {len(lines) - len(shown)} more lines")
        return printable(f"{code} {' '.join(shown)}".strip())

    def classify(self, code: int, text: str, prefixes: tuple[str, ...],
                 fallback: str) -> tuple[str, str | None]:
        """The reason for a refusal at this step, and the provider whose reply
        text matched; ``fallback`` when no known text matches."""
        return classify_refusal(code, text, self.table, self.provider, prefixes, fallback)

    def ehlo_params(self) -> dict[str, object]:
        """What a refused EHLO name is said with: the name, whose it is, how to change it."""
        choice = self.settings.client
        modelled = self.ehlo_is_clients and choice is not None
        return {"ehlo": self.ehlo_name, "client": choice.param if choice else "§client.generic",
                "whose": "§ehlo.whose_client" if modelled else "§ehlo.whose_ours",
                "name_fix": f"§ehlo_fix.{choice.id if modelled and choice else 'generic'}"}

    def tls_active(self) -> bool:
        client = self.client
        return bool(client and client.is_connected and client.get_transport_info("sslcontext"))

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.sock is not None:
            self.sock.close()
            self.sock = None


class Said(NamedTuple):
    """A probe's one-line summary: a "said.*" phrase and what fills it."""

    key: str
    params: dict[str, object]


def say(key: str, **params: object) -> Said:
    return Said(f"said.{key}", params)


def passed(name: str, summary: Said, *, warning: str | None = None,
           params: dict[str, object] | None = None, details: dict[str, object] | None = None,
           duration_ms: float = 0.0) -> ProbeResult:
    return ProbeResult(
        name=name,
        status=Status.WARN if warning else Status.PASS,
        warning=warning,
        params=frozen_params(params),
        details=frozen_details(details),
        duration_ms=duration_ms,
        summary_key=summary.key,
        summary_params=frozen_params(summary.params),
    )


def failed(name: str, reason: str, summary: Said, *, code: ErrorCode | None = None,
           reply: str | None = None, reply_code: int | None = None,
           params: dict[str, object] | None = None, duration_ms: float = 0.0,
           provider: str | None = None, details: dict[str, object] | None = None) -> ProbeResult:
    error = ProbeError(
        code=code or code_for(reason),
        reason=reason,
        reply_code=reply_code,
        enhanced_code=enhanced_code(reply) if reply else None,
        reply=printable(reply) if reply else None,
        provider=provider,
    )
    return ProbeResult(name=name, status=Status.FAIL, error=error, params=frozen_params(params),
                       details=frozen_details(details), duration_ms=duration_ms, summary_key=summary.key,
                       summary_params=frozen_params(summary.params))


def skipped(name: str, why: Said) -> ProbeResult:
    return ProbeResult(name=name, status=Status.SKIP, summary_key=why.key,
                       summary_params=frozen_params(why.params))
