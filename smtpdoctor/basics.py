"""Small values every wing reads, kept apart from the result classes (``model``) so that the
commands that print no report (``explain``, ``providers``) need not define those: the error
families, and outside text made printable."""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

# The one empty mapping every frozen value shares (template parameters, details).
EMPTY: Mapping[str, str] = MappingProxyType({})


class ErrorCode(StrEnum):
    """Error families, named after nodemailer's so Node users recognise them."""

    ECONFIG = "ECONFIG"
    EDNS = "EDNS"
    ETIMEDOUT = "ETIMEDOUT"
    ECONNECTION = "ECONNECTION"
    ETLS = "ETLS"
    EPROTOCOL = "EPROTOCOL"
    EAUTH = "EAUTH"
    EENVELOPE = "EENVELOPE"
    EMESSAGE = "EMESSAGE"
    EDOMAIN = "EDOMAIN"
    EDELIVERY = "EDELIVERY"


# Outside text (server replies, certificate fields, exception messages, values
# from files) is shown on one line, at most this long.
MAX_OUTSIDE_TEXT = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_LINE_BREAK = re.compile(r"[\r\n\t]+")
# A GitHub workflow command is `::name` at the start of a line; text that wrapping could
# put there must not be able to forge one (::add-mask::, ::error). An IPv6 address
# (::1, [::1]:587, ::ffff:10.0.0.1) is hex digits up to a colon, dot or the end: kept.
_WORKFLOW_COMMAND = re.compile(r"(^|\s)::(?![0-9A-Fa-f]*(?:[:.\s,\])]|$))")


def printable(text: str) -> str:
    """``text`` as one printable line: breaks become spaces, other control
    characters (escape sequences included) visible escapes, workflow-command
    prefixes defused, and a length that fits a report."""
    if text.isprintable() and "::" not in text and len(text) <= MAX_OUTSIDE_TEXT:
        return text  # the common case, and hot: every reply line passes here
    text = _LINE_BREAK.sub(" ", text)
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                        else f"\\u{ord(m.group()):04x}", text)
    text = _WORKFLOW_COMMAND.sub(lambda m: f"{m.group(1)}: :", text)
    if len(text) > MAX_OUTSIDE_TEXT:
        text = f"{text[:MAX_OUTSIDE_TEXT]}… ({len(text) - MAX_OUTSIDE_TEXT} more characters)"
    return text
