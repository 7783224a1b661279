"""Addresses as they go on the wire: an internationalised domain in its ASCII
(IDNA) form, and whether a non-ASCII local part needs the server's SMTPUTF8."""

from __future__ import annotations


def wire_address(address: str) -> tuple[str, bool]:
    """(the address for MAIL FROM / RCPT TO, whether it needs SMTPUTF8)."""
    local, at, domain = address.rpartition("@")
    if at and not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return address, True
    wire = f"{local}{at}{domain}" if at else address
    return wire, not wire.isascii()
