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
    if not name.isascii():
        # Judged by IDNA 2008 (UTS #46), as the name goes on the wire: not by whichever IDNA
        # dnspython picks (IDNA 2003 on older versions, which takes "☃.com").
        from smtpdoctor.config.lint import idna_problem

        problem = idna_problem(name)
        if problem:
            return problem
    try:
        dns.name.from_text(name)
    except (dns.exception.DNSException, UnicodeError, ValueError) as exc:
        return str(exc).rstrip(".") or type(exc).__name__
    return None
