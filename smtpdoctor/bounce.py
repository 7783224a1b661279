"""The server replies inside a whole bounce, as users paste it: a DSN (RFC 3464:
``Diagnostic-Code: smtp; 550 5.7.26 …``, folded over lines), a multi-line SMTP reply
(``550-5.7.26 …`` continued by ``550 5.7.26 …``), an Exchange NDR (``Remote server returned
'550 5.7.708 …'``), Gmail's ("The response was: …") and Postfix's ("… said: 550 5.1.1 …
(in reply to RCPT TO command)") bounce texts. Plain lookups: which reason a reply means is
classify's to say.
"""

from __future__ import annotations

import re

# A reply line: the code, "-" for a line that continues, the rest.
_REPLY_LINE = re.compile(r"^\s*([245]\d\d)([- ])(.*)$")
# Where bounce texts quote the remote server's reply.
_QUOTED = (
    re.compile(r"^\s*diagnostic-code:\s*(?:smtp|x-\w+)\s*;\s*(.+)$", re.I),
    re.compile(r"remote server returned ['\"]?(.+?)['\"]?\s*$", re.I),
    re.compile(r"the response (?:from the remote server )?was:\s*(.+)$", re.I),
    re.compile(r"\bsaid:\s*(.+?)(?:\s*\(in reply to [A-Z ]+command\))?\s*$", re.I),
)


def is_bounce(text: str) -> bool:
    """More than one line: a pasted message or transcript rather than one reply."""
    return len(text.strip().splitlines()) > 1


def replies(text: str) -> list[str]:
    """The server replies in ``text``, the diagnostic ones first (a DSN's Diagnostic-Code, the
    reply an NDR quotes), then the reply lines themselves; multi-line replies joined; no repeats."""
    lines = _unfolded(text)
    found: list[str] = []
    for line in lines:
        for pattern in _QUOTED:
            match = pattern.search(line)
            if match:
                found.append(" ".join(match.group(1).split()))
                break
    found += _reply_lines(lines)
    return list(dict.fromkeys(reply for reply in found if reply))


def _unfolded(text: str) -> list[str]:
    """Header lines joined with their continuations (RFC 5322 folding), other lines as they are."""
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        if raw[:1] in (" ", "\t") and lines and re.match(r"^[\w-]+:", lines[-1]) and raw.strip():
            lines[-1] += " " + raw.strip()
        else:
            lines.append(raw)
    return lines


def _reply_lines(lines: list[str]) -> list[str]:
    """Each SMTP reply in the lines, its "550-…" continuations joined to its last line."""
    replies: list[str] = []
    pending: list[str] = []
    code = ""
    for line in lines:
        match = _REPLY_LINE.match(line)
        if not match or (pending and match.group(1) != code):
            pending, code = [], ""
            if not match:
                continue
        code = match.group(1)
        body = match.group(3).strip()
        # Every line of a multi-line reply repeats the enhanced code: said once.
        enhanced = re.match(r"^(\d\.\d{1,3}\.\d{1,3})\s+", body)
        if pending and enhanced and pending[0].startswith(enhanced.group(1)):
            body = body[enhanced.end():]
        pending.append(body)
        if match.group(2) == " ":
            replies.append(f"{code} {' '.join(pending)}")
            pending, code = [], ""
    return replies
