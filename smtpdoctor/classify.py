"""Every text → its reason, in one place: server replies (decoded, matched against the
provider table and the common MTAs' texts), OAuth2 token-endpoint answers, and what users
paste into `explain`. No network code: light to import, for `explain` as much as for probes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from smtpdoctor.basics import ErrorCode
from smtpdoctor.catalog import catalog
from smtpdoctor.providers import Provider, ProviderTable


def decode_reply(text: str) -> str:
    """aiosmtplib decodes with surrogateescape; older QQ servers answer in GBK.
    Recover the bytes and try UTF-8, then GB18030 (a superset of GBK)."""
    raw = text.encode("utf-8", "surrogateescape")
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "replace")


# Reply texts of the common MTAs, documented by Postfix (postconf(5), access(5))
# and Exim's default configuration: what they say, whatever command they answer.
# A sender refusal can arrive in reply to RCPT TO (Postfix checks the sender
# login there), so the text decides, not the command.
MTA_REPLIES: tuple[tuple[str, str], ...] = (
    # Microsoft 365 to a client whose TLS is older than 1.2 (421 4.7.66).
    ("tls 1.0 and 1.1 are not supported", "tls.client_too_old"),
    # The name in EHLO/HELO refused: Postfix's reject_non_fqdn_helo_hostname and
    # reject_invalid_helo_hostname (504 5.5.2, often at RCPT), Exim's and others' wordings.
    ("need fully-qualified hostname", "smtp.ehlo_name_refused"),
    ("helo command rejected", "smtp.ehlo_name_refused"),
    ("invalid helo", "smtp.ehlo_name_refused"),
    ("bad helo", "smtp.ehlo_name_refused"),
    ("helo name", "smtp.ehlo_name_refused"),
    ("sender address rejected: not owned by user", "envelope.sender_not_login"),
    ("sender address rejected: not logged in", "envelope.auth_required"),
    ("sender verify failed", "envelope.sender_rejected"),
    ("sender address rejected", "envelope.sender_rejected"),
    ("relay access denied", "envelope.relay_denied"),
    ("relay not permitted", "envelope.relay_denied"),
    ("relaying denied", "envelope.relay_denied"),
    ("unable to relay", "envelope.relay_denied"),
    ("recipient address rejected", "envelope.recipient_rejected"),
    ("incorrect authentication data", "auth.bad_credentials"),
    ("authentication failed", "auth.bad_credentials"),
    # Postfix's message_size_limit and Exchange's NDR (552 5.3.4): what the text says, any server.
    ("message size exceeds", "message.too_big"),
    # The big receivers' sender-authentication refusals, by their own words (research/
    # clients-and-paths.md): Yahoo's and Gmail's "requires all senders to authenticate with
    # either SPF or DKIM", Gmail's "Unauthenticated email … DMARC policy".
    ("requires all senders to authenticate", "message.sender_unauthenticated"),
    ("sender is unauthenticated", "message.sender_unauthenticated"),
    ("this mail is unauthenticated", "message.sender_unauthenticated"),  # Gmail's 5.7.26 since 2025
    ("does not meet the required authentication level", "message.sender_unauthenticated"),  # 5.7.515
    ("unauthenticated email from", "message.sender_unauthenticated"),
    # Microsoft 365's NDR exceptions (554 5.2.0 …) and SES's throttle: a sending limit or an
    # account blocked for spam, not an authentication problem and not SendAs.
    ("submissionquotaexceededexception", "message.quota_exceeded"),
    ("outboundspamexception", "message.account_blocked_spam"),
    ("maximum sending rate exceeded", "message.rate_limited"),
    ("daily message quota exceeded", "message.rate_limited"),  # SES: 454 Throttling failure: …
    ("does not have permissions to send as this sender", "message.send_as_denied"),
    ("permission to send as", "message.send_as_denied"),  # Microsoft's NDR reference spells it so
    ("traffic not accepted from this ip", "message.ip_blocked"),
    # Microsoft's own NDR wording of 5.7.57, and 5.7.139's for a wrong password.
    ("not authenticated to send anonymous mail", "envelope.auth_required"),
    ("user credentials were incorrect", "auth.bad_credentials"),
    ("sender thread limit exceeded", "smtp.connection_limit"),
)


def classify_mta_reply(text: str) -> str | None:
    folded = text.casefold()
    return next((reason for needle, reason in MTA_REPLIES if needle in folded), None)


# RFC 6749 §5.2 error codes, and Microsoft's AADSTS codes that say more than the
# code does. Each maps to the reason whose fix applies.
TOKEN_ERRORS = {
    "invalid_grant": "oauth.invalid_grant",
    "invalid_client": "oauth.invalid_client",
    "unauthorized_client": "oauth.unauthorized_client",
    "invalid_scope": "oauth.missing_scope",
}
AADSTS_REASONS = {
    "AADSTS90002": "oauth.endpoint",  # tenant not found
    "AADSTS900023": "oauth.endpoint",  # the tenant is not a valid name or GUID
    "AADSTS700016": "oauth.invalid_client",  # no such application in the directory
    "AADSTS7000215": "oauth.invalid_client",  # wrong client secret
    "AADSTS700025": "oauth.invalid_client",  # a secret sent for a public client
    "AADSTS7000218": "oauth.invalid_client",  # no secret for a confidential client
    "AADSTS70000": "oauth.missing_scope",  # scope not granted
    "AADSTS65001": "oauth.invalid_grant",  # consent withdrawn or never given
}


# Texts users paste from their logs (Python smtplib and ssl, nodemailer,
# PHPMailer, aiosmtplib, OpenSSL), lower case with "_" read as a space, mapped
# to the reasons that explain them, the likeliest first.
CLIENT_TEXTS: tuple[tuple[str, str], ...] = (
    # OAuth2 token endpoints (RFC 6749 §5.2, with "_" read as a space) and Microsoft's codes.
    ("invalid grant", "oauth.invalid_grant"),
    ("invalid client", "oauth.invalid_client"),
    ("unauthorized client", "oauth.unauthorized_client"),
    ("invalid scope", "oauth.missing_scope"),
    *((code.casefold(), reason) for code, reason in AADSTS_REASONS.items()),
    ("wrong version number", "tls.wrong_mode"),
    ("record layer failure", "tls.wrong_mode"),
    ("unknown protocol", "tls.wrong_mode"),
    ("greeting never received", "tls.wrong_mode"),
    ("timed out waiting for server ready message", "tls.wrong_mode"),
    ("connection unexpectedly closed: timed out", "tls.wrong_mode"),
    ("greeting never received", "smtp.greeting_timeout"),
    ("connection timeout", "tcp.timeout"),
    ("connect etimedout", "tcp.timeout"),
    ("timed out connecting", "tcp.timeout"),
    ("connection timed out", "tcp.timeout"),
    ("socket.timeout", "tcp.timeout"),
    ("timeouterror", "tcp.timeout"),
    ("timed out", "tcp.timeout"),
    ("timed out", "tls.wrong_mode"),
    ("4.7.66", "tls.client_too_old"),
    ("tls 1.0 and 1.1 are not supported", "tls.client_too_old"),
    ("unsupported protocol", "tls.server_protocol_too_old"),
    ("tlsv1 alert protocol version", "tls.server_protocol_too_old"),
    ("no protocols available", "tls.server_protocol_too_old"),
    ("dh key too small", "tls.server_dh_too_small"),
    ("unsafe legacy renegotiation disabled", "tls.server_no_secure_renegotiation"),
    ("enetunreach", "tcp.unreachable"),
    ("network is unreachable", "tcp.unreachable"),
    ("errno 101", "tcp.unreachable"),
    ("ehostunreach", "tcp.unreachable"),
    ("no route to host", "tcp.unreachable"),
    ("errno 113", "tcp.unreachable"),
    ("eaddrnotavail", "tcp.unreachable"),
    ("cannot assign requested address", "tcp.unreachable"),
    ("errno 99", "tcp.unreachable"),
    ("econnrefused", "tcp.refused"),
    ("connection refused", "tcp.refused"),
    ("connectionrefusederror", "tcp.refused"),
    ("errno 111", "tcp.refused"),
    ("winerror 10061", "tcp.refused"),
    ("connect call failed", "tcp.refused"),
    ("could not connect to smtp host", "tcp.refused"),
    ("could not connect to smtp host", "tcp.timeout"),
    ("could not connect to smtp host", "tls.wrong_mode"),
    ("smtp connect() failed", "tcp.refused"),
    ("smtp connect() failed", "tcp.timeout"),
    ("enotfound", "dns.nxdomain"),
    ("name or service not known", "dns.nxdomain"),
    ("gaierror", "dns.nxdomain"),
    ("errno -2", "dns.nxdomain"),
    ("errno 11001", "dns.nxdomain"),
    ("getaddrinfo", "dns.nxdomain"),
    ("nodename nor servname", "dns.nxdomain"),
    ("self-signed certificate", "tls.cert_untrusted"),
    ("self signed certificate", "tls.cert_untrusted"),
    ("unable to get local issuer certificate", "tls.cert_untrusted"),
    ("certificate has expired", "tls.cert_expired"),
    ("hostname mismatch", "tls.cert_name_mismatch"),
    ("did not match expected cn", "tls.cert_name_mismatch"),
    ("altnames", "tls.cert_name_mismatch"),
    ("certificate verify failed", "tls.cert_untrusted"),
    ("starttls extension not supported", "tls.starttls_not_offered"),
    ("error upgrading connection with starttls", "tls.starttls_not_offered"),
    ("auth extension not supported", "auth.not_offered"),
    ("auth extension is not supported", "auth.not_offered"),
    ("must issue a starttls command first", "auth.tls_required"),
    ("missing credentials", "config.missing_password"),
    ("invalid login", "auth.bad_credentials"),
    ("smtpauthenticationerror", "auth.bad_credentials"),
    ("could not authenticate", "auth.bad_credentials"),
    ("no suitable authentication method", "auth.no_shared_mechanism"),
    ("connection closed unexpectedly", "smtp.disconnected"),
    ("connection unexpectedly closed", "smtp.disconnected"),
    ("smtpserverdisconnected", "smtp.disconnected"),
    ("mail command failed", "envelope.sender_rejected"),
    ("the following from address failed", "envelope.sender_rejected"),
    ("smtpsenderrefused", "envelope.sender_rejected"),
    ("all recipients were rejected", "envelope.recipient_rejected"),
    ("the following recipients failed", "envelope.recipient_rejected"),
    ("smtprecipientsrefused", "envelope.recipient_rejected"),
    ("message failed", "message.rejected"),
    ("data not accepted", "message.rejected"),
    ("smtpdataerror", "message.rejected"),
)
# Python's repr of a refusal: SMTPAuthenticationError(535, b'Error: \xc7\xeb…').
PYTHON_REPLY = re.compile(r"\(\s*(\d{3}),\s*(b?(['\"])(?:\\.|(?!\3).)*\3)")
REPLY_IN_TEXT = re.compile(r"(?<![\d.])([2-5]\d\d)(?:[ -]|$)")
NOT_FOUND_HOST = re.compile(r"enotfound\s+([a-z0-9.-]+)|getaddrinfo failed for ([a-z0-9.-]+)")
REPLY_CODES: dict[str, tuple[str, ...]] = {
    "421": ("smtp.greeting_rejected",),
    "451": ("message.rate_limited", "auth.temporary"),
    "454": ("auth.temporary",),
    "501": ("envelope.sender_not_login",),
    "530": ("auth.tls_required", "envelope.auth_required"),
    "534": ("auth.app_password_required",),
    "535": ("auth.bad_credentials", "auth.authorization_code_required"),
    # A bare 550 is a refused recipient; NetEase's "SMTP service disabled" comes only with its text.
    "550": ("envelope.recipient_rejected",),
    "553": ("envelope.sender_not_login",),
    "554": ("message.spam", "smtp.greeting_rejected", "message.rejected"),
}
ENHANCED_CODES: dict[str, tuple[tuple[str, str | None], ...]] = {
    "5.7.0": (("auth.tls_required", None),),
    "5.7.3": (("auth.microsoft_refused", "outlook"), ("auth.oauth2_rejected", None)),
    "5.7.8": (("auth.bad_credentials", "gmail"),),
    "5.7.9": (("auth.app_password_required", "gmail"),),
    "5.7.30": (("auth.basic_auth_disabled", "office365"),),
    "5.7.57": (("envelope.auth_required", "office365"),),
    # 5.7.139 alone: basic auth off (Outlook.com), SMTP AUTH off for the tenant, or the tenant's
    # sign-in policy (security defaults, MFA) refusing a password; its text tells which.
    "5.7.139": (("auth.basic_auth_disabled", "outlook"), ("auth.smtp_auth_disabled", "office365"),
                ("auth.sign_in_policy", "office365")),
    "5.2.0": (("message.send_as_denied", "office365"),),
    "5.7.26": (("message.sender_unauthenticated", "gmail"),),
    "5.7.515": (("message.sender_unauthenticated", "outlook"),),
    "5.7.60": (("message.send_as_denied", "office365"),),
    "5.7.708": (("message.ip_blocked", "office365"),),
    "4.3.2": (("smtp.connection_limit", "office365"),),
    "5.3.4": (("message.too_big", None),),
    "5.2.252": (("message.send_as_denied", "office365"),),
}


class Match(NamedTuple):
    reason: str
    provider: Provider | None = None
    params: Mapping[str, str] = MappingProxyType({})


def server_reply(text: str) -> tuple[int | None, str]:
    """The reply code and text inside a pasted error: Python's bytes repr
    decoded (UTF-8, else GB18030, as old QQ servers answer), or the first
    reply code in a library's message."""
    match = PYTHON_REPLY.search(text)
    if match:
        import ast

        try:
            literal = ast.literal_eval(match.group(2))
        except (ValueError, SyntaxError):
            literal = match.group(2)
        if isinstance(literal, bytes):
            literal = decode_reply(literal.decode("utf-8", "surrogateescape"))
        return int(match.group(1)), f"{match.group(1)} {literal}"
    found = REPLY_IN_TEXT.search(text)
    if found:
        return int(found.group(1)), text[found.start():]
    return None, text


def explain(query: str, table: ProviderTable) -> list[Match]:
    """Every reason ``query`` may mean, the most specific first, without repeats. A whole
    bounce (a DSN, an NDR, a multi-line reply) is read for the server replies in it, the
    diagnostic one first (bounce.py)."""
    from smtpdoctor.bounce import is_bounce, replies

    if is_bounce(query):
        found: list[Match] = []
        for reply in replies(query):
            for match in _explain_one(reply, table):  # a provider is no set member: a list
                if all((f.reason, f.provider) != (match.reason, match.provider) for f in found):
                    found.append(match)
        if found:
            return found
    return _explain_one(query, table)


def _explain_one(query: str, table: ProviderTable) -> list[Match]:
    code, text = server_reply(query.strip())
    folded = text.casefold()
    words = f"{query.casefold().replace('_', ' ')} {folded}"
    found: list[Match] = []

    def add(reason: str, provider: Provider | None = None,
            params: Mapping[str, str] | None = None) -> None:
        if reason in catalog() and all(
            (m.reason, m.provider) != (reason, provider) for m in found
        ):
            found.append(Match(reason, provider, params or {}))

    if folded in catalog():
        add(folded)
    if text.upper() in ErrorCode.__members__:
        for reason, entry in catalog().items():
            if entry["code"] == text.upper():
                add(reason)
    if len(folded) >= 3:
        for provider, rule in table.reply_rules(None, every=True):
            needle = rule.contains.casefold()
            if (rule.code in (None, code) and needle in folded) or (
                    len(folded) >= 5 and folded in needle):
                add(rule.reason, provider)
        mta = classify_mta_reply(text)
        if mta:
            add(mta)
        for needle, reason in CLIENT_TEXTS:
            if needle in words:
                add(reason, None, _hints(reason, words, table))
    # Reply texts before codes: a text names its meaning more exactly than its enhanced code does
    # (Yahoo's 5.7.9 is sender authentication, Gmail's is an app password; 5.7.139 is basic auth
    # off, or SMTP AUTH off for the tenant), and a bare code only speaks when nothing else did.
    by_text = bool(found)
    for enhanced, pairs in codes_in(text):
        for reason, provider_id in pairs:
            owned = provider_id if _owns(provider_id, enhanced, text) else None
            owner = table.get(owned) if owned else None
            if not by_text:
                add(reason, owner)
            elif owner is not None:
                # The text named the cause, the code whose reply it is (Gmail's 5.7.26).
                found[:] = [Match(m.reason, owner, m.params) if m.reason == reason and m.provider is None
                            else m for m in found]
    if code is not None and not found:
        for reason in REPLY_CODES.get(str(code), ()):
            add(reason)
    return found


def _hints(reason: str, words: str, table: ProviderTable) -> dict[str, str]:
    """What the pasted text itself says, for the remedy: the host a lookup missed."""
    if reason != "dns.nxdomain":
        return {}
    match = NOT_FOUND_HOST.search(words)
    host = (match.group(1) or match.group(2)).rstrip(".") if match else ""
    suggestion = table.nearest_host(host) if host else None
    return {"host": host, "suggestion": suggestion} if suggestion else ({"host": host} if host else {})


# --- server replies -------------------------------------------------------------------

ENHANCED_CODE = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")


def enhanced_code(text: str) -> str | None:
    match = ENHANCED_CODE.search(text)
    return match.group(1) if match else None


def classify_reply(
    code: int | None, text: str, table: ProviderTable, provider: Provider | None
) -> tuple[str, str] | None:
    """The reason a server reply means and the provider whose text it is, from
    the provider table's reply texts."""
    for owner, rule in table.reply_rules(provider):
        if rule.matches(code, text):
            return rule.reason, owner.id
    return None


def classify_refusal(code: int, text: str, table: ProviderTable, provider: Provider | None,
                     prefixes: tuple[str, ...], fallback: str) -> tuple[str, str | None]:
    """The reason for a refusal at one step (its reasons start with ``prefixes``), and the
    provider whose reply text matched when the settings named none; ``fallback`` when no
    known text matches."""
    if not 400 <= code <= 599:
        # A refusal must be a 4xx or 5xx; anything else (999, 2x0 parsed
        # as -1, a 250 to AUTH) is the server breaking the protocol.
        return "smtp.protocol_error", None
    match = classify_reply(code, text, table, provider)
    if match and match[0].startswith(prefixes):
        # A reply names its server; its provider's remedy applies only when the
        # settings named none (a custom-domain Exmail account, a bare IP…).
        return match[0], (match[1] if provider is None else None)
    generic = classify_mta_reply(text)
    if generic and generic.startswith(prefixes) and (not 400 <= code < 500 or generic in LASTING_4XX):
        return generic, code_owner(generic, text)
    return fallback, None


def code_owner(reason: str, text: str) -> str | None:
    """The provider whose enhanced code in ``text`` means ``reason`` (Gmail's 5.7.26): the
    receiver that refused, named even when another provider relayed the mail."""
    for enhanced, pairs in codes_in(text):
        for meant, provider_id in pairs:
            if meant == reason and provider_id and _owns(provider_id, enhanced, text):
                return provider_id
    return None


def codes_in(text: str) -> list[tuple[str, tuple[tuple[str, str | None], ...]]]:
    """The known enhanced codes ``text`` holds as codes (not inside an address or a longer
    code: "10.5.7.26" holds none), each with what it means, in the table's order."""
    return [(enhanced, pairs) for enhanced, pairs in ENHANCED_CODES.items()
            if re.search(rf"(?<![\d.]){re.escape(enhanced)}(?![\d.])", text)]


# Codes registered for every server (RFC 7372's X.7.26, "multiple authentication checks
# failed") are a provider's only when its reply says whose it is.
SHARED_CODES: dict[str, tuple[str, ...]] = {"5.7.26": ("gmail", "google", "gsmtp")}


def _owns(provider_id: str | None, enhanced: str, text: str) -> bool:
    words = SHARED_CODES.get(enhanced)
    return provider_id is not None and (words is None or any(w in text.casefold() for w in words))


# Texts of 4xx replies that no retry cures: Microsoft's 421 4.7.66 comes back until the
# client's TLS changes.
LASTING_4XX = frozenset({"tls.client_too_old"})


def auth_reason_by_code(code: int, text: str) -> str:
    if code == 530 and "tls" in text.lower():
        return "auth.tls_required"
    if 400 <= code < 500:
        return "auth.temporary"
    return "auth.bad_credentials"


def sender_reason_by_code(code: int, text: str) -> str:
    lowered = text.lower()
    if code == 530 or "authentication" in lowered or "not authenticated" in lowered:
        return "envelope.auth_required"
    return "envelope.sender_rejected"


# --- certificates, connections, time limits --------------------------------------------

# OpenSSL's verify codes (X509_V_ERR_*): what a refused certificate means.
VERIFY_REASONS = {
    9: "tls.cert_expired",   # not yet valid: usually this machine's clock
    10: "tls.cert_expired",
    62: "tls.cert_name_mismatch",
    64: "tls.cert_name_mismatch",
}


def certificate_reason(verify_code: int | None) -> str:
    return VERIFY_REASONS.get(verify_code or 0, "tls.cert_untrusted")


def connect_reason(exc: BaseException) -> str:
    """What a failed TCP connect means: no answer, refused (a reset counts), or no route."""
    import errno

    if isinstance(exc, TimeoutError):
        return "tcp.timeout"
    reset = isinstance(exc, OSError) and exc.errno == errno.ECONNRESET
    if isinstance(exc, ConnectionRefusedError) or reset:
        return "tcp.refused"
    return "tcp.unreachable"


# The reason of a step that ran out of time.
TIMEOUT_REASONS = {
    "dns": "dns.timeout", "proxy": "proxy.timeout", "tcp": "tcp.timeout", "tls": "tls.timeout",
    "smtp": "smtp.timeout",
    "oauth": "oauth.timeout", "auth": "auth.timeout", "envelope": "envelope.timeout",
    "send": "message.timeout", "delivery": "delivery.not_arrived",
}
