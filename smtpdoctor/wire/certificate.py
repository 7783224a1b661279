"""The certificate a server presents, fetched without checking it, so a failed check can say
what was presented (subject, names, issuer, validity) instead of guessing.

Only called after the checked handshake failed: a second connection, the same mode, within
what is left of the run's limit. Nothing sent but EHLO and STARTTLS."""

from __future__ import annotations

import asyncio
import calendar
import contextlib
import os
import re
import ssl
import tempfile
from typing import Any, NamedTuple

from smtpdoctor.wire.trust import unverified_context

# Issuers that mean a product on this machine or network re-signs TLS (antivirus "mail
# shields", TLS-inspecting proxies and firewalls), matched in the issuer's O or CN.
INTERCEPTORS = ("Kaspersky", "ESET", "Avast", "AVG", "Bitdefender", "Norton", "McAfee", "Sophos",
                "Fortinet", "FortiGate", "Zscaler", "Palo Alto", "Netskope", "Blue Coat", "Symantec Web",
                "Cisco Umbrella", "Check Point", "Forcepoint", "Barracuda", "WatchGuard", "Untangle",
                "mitmproxy", "Charles Proxy", "Fiddler", "Burp")


class CertFacts(NamedTuple):
    subject: str  # "CN=smtp.qq.com", else "O=…"
    issuer: str
    names: tuple[str, ...]  # the DNS names (and IP addresses) it is valid for
    not_before: str
    not_after: str
    self_signed: bool
    interceptor: str | None  # the interception product the issuer names, if any


async def presented_certificate(address: str, host: str, port: int, implicit: bool,
                                timeout: float) -> CertFacts | None:
    """The leaf certificate ``address:port`` presents (implicit TLS, or STARTTLS after EHLO),
    or None when it cannot be had within ``timeout``."""
    if timeout <= 0.05:
        return None
    try:
        der = await asyncio.wait_for(_fetch(address, host, port, implicit), timeout)
    except (OSError, ssl.SSLError, TimeoutError, ValueError, asyncio.IncompleteReadError):
        return None
    return facts(der) if der else None


async def _fetch(address: str, host: str, port: int, implicit: bool) -> bytes | None:
    context = unverified_context()
    server_name = host if host and not _is_address(host) else None
    if implicit:
        reader, writer = await asyncio.open_connection(address, port, ssl=context,
                                                       server_hostname=server_name)
    else:
        reader, writer = await asyncio.open_connection(address, port)
        try:
            await _reply(reader)
            writer.write(b"EHLO smtpdoctor.invalid\r\n")
            await _reply(reader)
            writer.write(b"STARTTLS\r\n")
            if not (await _reply(reader)).startswith(b"220"):
                return None
            await writer.start_tls(context, server_hostname=server_name)
        except BaseException:
            writer.close()
            raise
    try:
        sslobj = writer.get_extra_info("ssl_object")
        return sslobj.getpeercert(binary_form=True) if sslobj is not None else None
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def _reply(reader: asyncio.StreamReader) -> bytes:
    """One whole SMTP reply (its last line: ``250 …``, not ``250-…``)."""
    while True:
        line = await reader.readline()
        if not line:
            raise ValueError("connection closed")
        if len(line) < 4 or line[3:4] != b"-":
            return line


# A certificate's date as OpenSSL prints it (ASN1_TIME_print): "Jun  1 12:00:00 2030 GMT".
_CERT_TIME = re.compile(r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\d{1,2}) "
                        r"(\d\d):(\d\d):(\d\d) (\d{4}) GMT")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def cert_time_to_seconds(text: str) -> int:
    """``ssl.cert_time_to_seconds``, the same number, for the form OpenSSL gives, without the
    ~5 ms its ``time.strptime`` costs the first time (importing _strptime, building its locale
    tables); any other form is left to ssl's own, errors and all."""
    match = _CERT_TIME.fullmatch(text)
    if match:
        day, hour, minute, second, year = (int(g) for g in match.groups()[1:])
        if 1 <= day <= 31 and hour <= 23 and minute <= 59 and second <= 61:
            return calendar.timegm((year, _MONTHS.index(match.group(1)) + 1, day, hour, minute, second))
    return ssl.cert_time_to_seconds(text)


def _is_address(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def facts(der: bytes) -> CertFacts | None:
    """The facts of a DER certificate, read by the ssl module's own decoder."""
    pem = ssl.DER_cert_to_PEM_cert(der)
    fd, path = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(pem)
        decoded: dict[str, Any] = ssl._ssl._test_decode_cert(path)  # type: ignore[attr-defined]
    except (ssl.SSLError, OSError, AttributeError):
        return None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
    subject, issuer = decoded.get("subject", ()), decoded.get("issuer", ())
    names = tuple(value for kind, value in decoded.get("subjectAltName", ()) if kind in ("DNS", "IP Address"))
    issuer_text = " ".join(v for rdn in issuer for (_, v) in rdn)
    interceptor = next((p for p in INTERCEPTORS if p.lower() in issuer_text.lower()), None)
    return CertFacts(name_of(subject), name_of(issuer), names, decoded.get("notBefore", ""),
                     decoded.get("notAfter", ""), subject == issuer, interceptor)


def name_of(rdns: Any) -> str:
    """'CN=smtp.qq.com' (else the organisation) from the nested tuples the ssl module gives."""
    parts = {k: v for rdn in rdns for (k, v) in rdn}
    for key, short in (("commonName", "CN"), ("organizationName", "O")):
        if key in parts:
            return f"{short}={parts[key]}"
    return "?"
