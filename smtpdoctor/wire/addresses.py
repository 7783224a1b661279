"""Addresses as they go on the wire: an internationalised domain in its ASCII
(IDNA) form, and whether a non-ASCII local part needs the server's SMTPUTF8."""

from __future__ import annotations


def ascii_domain(domain: str) -> str:
    """``domain`` as IDNA 2008 with UTS #46 mapping writes it (straße.de → xn--strae-oqa.de),
    the way mail servers and DNS resolve it today; Python's own "idna" codec is IDNA 2003,
    which maps ß to ss and so names another domain (strasse.de). Raises ``idna.IDNAError``
    (a UnicodeError) for a name IDNA 2008 does not allow (☃.com). An ASCII name is left as it
    is: idna is imported only for the others (loading its tables takes about 30 ms)."""
    if domain.isascii():
        return domain
    import idna

    return idna.encode(domain, uts46=True).decode("ascii")


def wire_address(address: str) -> tuple[str, bool]:
    """(the address for MAIL FROM / RCPT TO, whether it needs SMTPUTF8)."""
    local, at, domain = address.rpartition("@")
    if at:
        try:
            domain = ascii_domain(domain)
        except UnicodeError:
            # Not a name IDNA 2008 allows (the settings' addresses are refused before this,
            # config.address_domain_invalid): sent as written, which only SMTPUTF8 can carry.
            return address, True
    wire = f"{local}{at}{domain}" if at else address
    return wire, not wire.isascii()
