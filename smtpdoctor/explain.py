"""``smtpdoctor explain CODE``: what an error text or code means and what to do."""

from __future__ import annotations

import re
from dataclasses import dataclass

from smtpdoctor.model import ErrorCode
from smtpdoctor.providers import Provider, ProviderTable
from smtpdoctor.remedies import catalog

# Texts users paste from other tools (nodemailer, smtplib, aiosmtplib, OpenSSL)
# and bare reply codes, mapped to the reason that explains them.
CLIENT_TEXTS: tuple[tuple[str, str], ...] = (
    ("wrong version number", "tls.wrong_mode"),
    ("record layer failure", "tls.wrong_mode"),
    ("unknown protocol", "tls.wrong_mode"),
    ("greeting never received", "tls.wrong_mode"),
    ("timed out waiting for server ready message", "tls.wrong_mode"),
    ("greeting never received", "smtp.greeting_timeout"),
    ("connection timeout", "tcp.timeout"),
    ("connect etimedout", "tcp.timeout"),
    ("timed out connecting", "tcp.timeout"),
    ("econnrefused", "tcp.refused"),
    ("connection refused", "tcp.refused"),
    ("connect call failed", "tcp.refused"),
    ("enotfound", "dns.nxdomain"),
    ("name or service not known", "dns.nxdomain"),
    ("getaddrinfo", "dns.nxdomain"),
    ("nodename nor servname", "dns.nxdomain"),
    ("self-signed certificate", "tls.cert_untrusted"),
    ("self signed certificate", "tls.cert_untrusted"),
    ("unable to get local issuer certificate", "tls.cert_untrusted"),
    ("certificate has expired", "tls.cert_expired"),
    ("hostname mismatch", "tls.cert_name_mismatch"),
    ("altnames", "tls.cert_name_mismatch"),
    ("certificate verify failed", "tls.cert_untrusted"),
    ("starttls extension not supported", "tls.starttls_not_offered"),
    ("error upgrading connection with starttls", "tls.starttls_not_offered"),
    ("auth extension not supported", "auth.not_offered"),
    ("must issue a starttls command first", "auth.tls_required"),
    ("invalid login", "auth.bad_credentials"),
    ("no suitable authentication method", "auth.no_shared_mechanism"),
    ("connection closed unexpectedly", "smtp.disconnected"),
    ("connection unexpectedly closed", "smtp.disconnected"),
    ("mail command failed", "envelope.sender_rejected"),
    ("all recipients were rejected", "envelope.recipient_rejected"),
    ("message failed", "message.rejected"),
)
REPLY_CODES: dict[str, tuple[str, ...]] = {
    "421": ("smtp.greeting_rejected",),
    "451": ("message.rate_limited", "auth.temporary"),
    "454": ("auth.temporary",),
    "501": ("envelope.sender_not_login",),
    "530": ("auth.tls_required", "envelope.auth_required"),
    "534": ("auth.app_password_required",),
    "535": ("auth.bad_credentials", "auth.authorization_code_required"),
    "550": ("envelope.recipient_rejected", "auth.smtp_service_disabled"),
    "553": ("envelope.sender_not_login",),
    "554": ("message.spam", "smtp.greeting_rejected", "message.rejected"),
}
ENHANCED_CODES: dict[str, tuple[tuple[str, str | None], ...]] = {
    "5.7.0": (("auth.tls_required", None),),
    "5.7.3": (("auth.basic_auth_disabled", "outlook"),),
    "5.7.8": (("auth.bad_credentials", "gmail"),),
    "5.7.9": (("auth.app_password_required", "gmail"),),
    "5.7.30": (("auth.basic_auth_disabled", "office365"),),
    "5.7.57": (("envelope.auth_required", "office365"),),
    "5.7.139": (("auth.basic_auth_disabled", "outlook"), ("auth.smtp_auth_disabled", "office365")),
    "5.2.0": (("message.send_as_denied", "office365"),),
    "5.2.252": (("message.send_as_denied", "office365"),),
}


@dataclass(frozen=True)
class Match:
    reason: str
    provider: Provider | None = None


def explain(query: str, table: ProviderTable) -> list[Match]:
    """Every reason ``query`` may mean, the most specific first, without repeats."""
    text = query.strip()
    folded = text.casefold()
    found: list[Match] = []

    def add(reason: str, provider: Provider | None = None) -> None:
        if reason in catalog() and all(
            (m.reason, m.provider) != (reason, provider) for m in found
        ):
            found.append(Match(reason, provider))

    if folded in catalog():
        add(folded)
    if text.upper() in ErrorCode.__members__:
        for reason, entry in catalog().items():
            if entry["code"] == text.upper():
                add(reason)
    for enhanced, pairs in ENHANCED_CODES.items():
        if re.search(rf"(?<![\d.]){re.escape(enhanced)}(?![\d.])", text):
            for reason, provider_id in pairs:
                add(reason, table.get(provider_id) if provider_id else None)
    if len(folded) >= 3:
        for provider, rule in table.reply_rules(None, every=True):
            needle = rule.contains.casefold()
            if needle in folded or (len(folded) >= 5 and folded in needle):
                add(rule.reason, provider)
        for needle, reason in CLIENT_TEXTS:
            if needle in folded:
                add(reason)
    leading = re.match(r"\s*(\d{3})\b", text)
    if leading:
        for reason in REPLY_CODES.get(leading.group(1), ()):
            add(reason)
    return found
