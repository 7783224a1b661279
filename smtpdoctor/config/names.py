"""Whether a name can be looked up at all: checked before any probe, so a bad name is a
configuration error (exit 2), never a failed lookup."""

from __future__ import annotations


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be looked up (an empty label, a label over 63 octets, a name
    over 255), as dnspython would refuse it; None for a name it can ask about."""
    import dns.exception
    import dns.name

    if not name.strip(". "):
        return "the name is empty"
    try:
        dns.name.from_text(name)
    except (dns.exception.DNSException, UnicodeError, ValueError) as exc:
        return str(exc).rstrip(".") or type(exc).__name__
    return None
