"""A run's options as parsed values, with every default and limit in one place: the command
line reads its defaults and ranges from here, and the Python API validates against the same."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from smtpdoctor.wire.proxy import ProxyURL

# Ports tried at once when the configured one fails: the submission ports and 2525.
ALT_PORTS = (465, 587, 25, 2525)
# (lowest, highest) a number option accepts; click's ranges and the API's checks both read these.
LIMITS: dict[str, tuple[float, float]] = {
    "timeout": (0.1, 300), "max_time": (0.5, 86400), "retries": (0, 100), "retry_delay": (0, 3600),
    "confirm_timeout": (1, 3600), "concurrency": (1, 500), "per_host": (1, 100),
}


class RunOptions(NamedTuple):
    """What a run takes, parsed: the command line and the Python API build this one value.

    A NamedTuple rather than a frozen dataclass: as immutable, and the command line builds it
    at start-up for its defaults, where a dataclass's generated code costs milliseconds."""

    timeout: float = 10.0
    # One deadline for the whole run, retries and their delays included.
    max_time: float | None = None
    dns_server: tuple[str, int] | None = None
    # --family: the addresses the app's host can use ("4": IPv4 only, "6": IPv6 only); --resolve:
    # (host, port, address) to connect to instead of the host's own, as curl's --resolve does.
    family: str = "auto"
    resolves: tuple[tuple[str, int, str], ...] = ()
    # --proxy: connect through this SOCKS or HTTP CONNECT proxy (wire/proxy.py).
    proxy: ProxyURL | None = None
    ca_file: str | None = None
    alt_ports: tuple[int, ...] = ALT_PORTS
    until: str | None = None
    retries: int = 0
    retry_delay: float = 5.0
    subject: str | None = None
    body: str | None = None
    lang: str = "en"
    # Keep the (redacted) SMTP transcript in the report: -v.
    verbose: bool = False
    # check --domain: the sending domain's mx/spf/dkim/dmarc after the envelope.
    domain: bool = False
    dkim_selectors: tuple[str, ...] = ()
    # send-test --confirm: follow the message into the mailbox, for this long; --keep leaves it.
    confirm: bool = False
    confirm_timeout: float = 60.0
    keep: bool = False
    # --accounts: rows checked at once, and at once against one host. Microsoft answers
    # "432 4.3.2 Concurrent connections limit exceeded" past a handful per mailbox; QQ and
    # NetEase cut off bursts from one IP. Three per host is a polite default.
    concurrency: int = 20
    per_host: int = 3


class BadOption(ValueError):
    """An option's value cannot be used; the message says why."""


def parse_dns_server(text: str) -> tuple[str, int]:
    """``IP``, ``IP:PORT``, ``[IPv6]:PORT`` or a bare IPv6 address."""
    import ipaddress

    host, port = text.strip(), "53"
    if host.startswith("["):
        host, _, rest = host[1:].partition("]")
        port = rest.removeprefix(":") or "53"
    elif host.count(":") == 1:
        host, port = host.split(":")
    try:
        ipaddress.ip_address(host)
    except ValueError as exc:
        raise BadOption(f"{text!r} is not an IP address (use IP or IP:PORT)") from exc
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise BadOption(f"{port!r} is not a port number")
    return host, int(port)


def parse_resolves(texts: tuple[str, ...]) -> tuple[tuple[str, int, str], ...]:
    """Each ``HOST:PORT:ADDR`` (curl's --resolve; the address may be IPv6, bracketed or not)."""
    import ipaddress

    parsed: list[tuple[str, int, str]] = []
    for text in texts:
        host, _, rest = text.strip().partition(":")
        port, _, address = rest.partition(":")
        address = address.strip().removeprefix("[").removesuffix("]")
        if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise BadOption(f"{text!r}: use HOST:PORT:ADDRESS (smtp.qq.com:465:203.205.232.7)")
        try:
            ipaddress.ip_address(address)
        except ValueError as exc:
            raise BadOption(f"{text!r}: {address!r} is not an IP address") from exc
        parsed.append((host.lower().rstrip("."), int(port), address))
    return tuple(parsed)


def parse_proxy_option(text: str) -> ProxyURL:
    from smtpdoctor.wire.proxy import parse_proxy

    try:
        return parse_proxy(text)
    except ValueError as exc:
        raise BadOption(str(exc)) from None


def parse_ports(text: str) -> tuple[int, ...]:
    """``465,587`` or ``none``."""
    if text.strip().lower() in ("", "none"):
        return ()
    ports = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or not 1 <= int(part) <= 65535:
            raise BadOption(f"{part!r} is not a port number")
        ports.append(int(part))
    return tuple(dict.fromkeys(ports))


def parse_dkim_selectors(selectors: tuple[str, ...]) -> tuple[str, ...]:
    """Each --dkim-selector as a DNS name can hold it (``s1``, ``k1.sub``)."""
    from smtpdoctor.config.names import name_problem

    for selector in selectors:
        problem = name_problem(f"{selector}._domainkey.example.com") if selector.strip() else "it is empty"
        if problem:
            raise BadOption(f"{selector!r} is not a DKIM selector: {problem}")
    return selectors


def parse_domain(text: str) -> str:
    from smtpdoctor.config.names import name_problem

    problem = name_problem(text)
    if problem:
        raise BadOption(f"{text!r} is not a domain name: {problem}")
    return text


def recipient_problem(recipient: str) -> str | None:
    """Why ``recipient`` is not one plain address (a header-injection attempt, a list, a display
    name), as a "recipient.*" phrase the report says in its language; or None."""
    from email.utils import parseaddr

    if any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in recipient):
        return "§recipient.control"
    if "," in recipient or ";" in recipient:
        return "§recipient.list"
    if any(ch.isspace() for ch in recipient) or "<" in recipient or ">" in recipient:
        return "§recipient.display_name"
    name, address = parseaddr(recipient)
    local, at, domain = recipient.rpartition("@")
    if name or address != recipient or not at or not local or "." not in domain.strip("."):
        return "§recipient.not_address"
    if len(recipient) > 254:
        return "§recipient.too_long"
    return None
