"""OAuth2 logins: the variables an app keeps them in and what a token says about itself
(the token request and the SASL strings are in ``wire.oauth``).

Every token, secret and SASL string is a :class:`Secret`; only the token
request and the auth step reveal them."""

from __future__ import annotations

import base64
import ipaddress
import json
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from smtpdoctor.config.reading import Add
from smtpdoctor.config.values import ClientChoice, OAuth2, RawValue
from smtpdoctor.model import Severity
from smtpdoctor.providers import Provider
from smtpdoctor.secret import Secret

if TYPE_CHECKING:
    pass

# The family's prefix first (nodemailer and Django apps say EMAIL_, Flask and
# Laravel MAIL_), then the others, as an app's own code might.
PREFIXES = ("SMTP_", "MAIL_", "EMAIL_")
FAMILY_PREFIX = {"smtp": "SMTP_", "url": "SMTP_", "flask-mail": "MAIL_", "laravel": "MAIL_",
                 "django": "EMAIL_", "nodemailer": "EMAIL_", "default-email": "EMAIL_"}
ROLES = ("ACCESS_TOKEN", "CLIENT_ID", "CLIENT_SECRET", "REFRESH_TOKEN", "TENANT", "TOKEN_URL")
SECRET_ROLES = ("ACCESS_TOKEN", "CLIENT_SECRET", "REFRESH_TOKEN")
# A token that ends within this long is worth a warning: a deploy takes minutes.
EXPIRING_SECONDS = 15 * 60
# The scope an SMTP login needs, by the token endpoint's host.
SMTP_SCOPE_WORDS = ("SMTP.Send", "https://mail.google.com/")


def read_oauth2(values: Mapping[str, str], family: str | None) -> OAuth2 | None:
    """The ``*_OAUTH2_*`` variables among ``values`` (name → value), or None."""
    first = FAMILY_PREFIX.get(family or "", "SMTP_")
    prefixes = (first, *(p for p in PREFIXES if p != first))
    found: dict[str, tuple[str, str]] = {}
    for role in ROLES:
        for prefix in prefixes:
            name = f"{prefix}OAUTH2_{role}"
            value = (values.get(name) or "").strip()
            if value:
                found[role] = (name, value)
                break
    if "ACCESS_TOKEN" not in found and "REFRESH_TOKEN" not in found:
        return None

    def text(role: str) -> str | None:
        return found[role][1] if role in found else None

    def secret(role: str) -> Secret | None:
        return Secret(found[role][1]) if role in found else None

    return OAuth2(
        access_token=secret("ACCESS_TOKEN"),
        client_id=text("CLIENT_ID"),
        client_secret=secret("CLIENT_SECRET"),
        refresh_token=secret("REFRESH_TOKEN"),
        tenant=text("TENANT"),
        token_url=text("TOKEN_URL"),
        variables={role: name for role, (name, _) in found.items()},
    )


def is_url(url: str) -> bool:
    """An http(s) URL with a host, as urllib can post to it ("http://[::1" is not)."""
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a bracket left open, a port that is not a number
        return False


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- what a token says about itself ------------------------------------------------------

def jwt_claims(token: str) -> dict[str, object] | None:
    """The claims of a JWT access token, decoded here and never sent anywhere; None for an
    opaque token (Google's ``ya29.…``, Outlook.com's ``EwB…``). The signature is not
    checked: only the server can, and smtpdoctor only reads the dates and scopes."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header = json.loads(_b64url(parts[0]))
        claims = json.loads(_b64url(parts[1]))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or "alg" not in header or not isinstance(claims, dict):
        return None
    return claims


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def token_scopes(claims: Mapping[str, object]) -> str:
    """Microsoft puts delegated scopes in ``scp``; others use ``scope``."""
    return str(claims.get("scp") or claims.get("scope") or "")


def seconds_left(claims: Mapping[str, object], now: float | None = None) -> int | None:
    exp = claims.get("exp")
    if not isinstance(exp, int | float):
        return None
    return int(exp - (time.time() if now is None else now))


def lacks_smtp_scope(scopes: str) -> bool:
    """True when a token lists scopes and none of them lets it send mail over SMTP."""
    return bool(scopes.strip()) and not any(word.lower() in scopes.lower() for word in SMTP_SCOPE_WORDS)


# Clients that can log in with an OAuth2 token: nodemailer (auth.type "OAuth2"), aiosmtplib
# (oauth_token_generator, 5.1+), Symfony Mailer's XOAuth2Authenticator (Laravel), and the
# generic reading. Flask-Mail, Django's SMTP backend and smtplib send a password only.
OAUTH2_CLIENTS = frozenset({"nodemailer", "aiosmtplib", "laravel", "generic"})


def oauth2_login(merged: Mapping[str, RawValue], family: str | None, client: ClientChoice,
                  provider: Provider | None, add: Add) -> OAuth2 | None:
    """The OAuth2 login the client will use, with what cannot work flagged first."""
    from smtpdoctor.config.oauth import (
        EXPIRING_SECONDS,
        is_loopback,
        is_url,
        jwt_claims,
        lacks_smtp_scope,
        seconds_left,
        token_scopes,
    )

    oauth2 = read_oauth2({name: raw.value for name, raw in merged.items()}, family)
    if oauth2 is None:
        return None
    first = next(iter(oauth2.variables.values()))
    if client.id not in OAUTH2_CLIENTS:
        add(Severity.WARNING, "config.oauth2_client_cannot", client=client.param, variable=first)
        return None
    endpoint = provider.oauth2 if provider else None
    if oauth2.refresh_flow:
        if not oauth2.client_id:
            add(Severity.ERROR, "config.oauth2_incomplete", variable=oauth2.variable("CLIENT_ID"),
                other=oauth2.variable("REFRESH_TOKEN"))
        if oauth2.token_url:
            if not is_url(oauth2.token_url):
                add(Severity.ERROR, "config.oauth2_bad_token_url", variable=oauth2.variable("TOKEN_URL"),
                    value=oauth2.token_url)
            elif urlsplit(oauth2.token_url).scheme != "https" and not is_loopback(oauth2.token_url):
                add(Severity.ERROR, "config.oauth2_insecure_token_url", variable=oauth2.variable("TOKEN_URL"),
                    value=oauth2.token_url)
        elif endpoint is None:
            add(Severity.ERROR, "config.oauth2_no_token_url", variable=oauth2.variable("TOKEN_URL"))
        if endpoint is not None:
            oauth2 = oauth2._replace(token_url=oauth2.token_url or endpoint.url(oauth2.tenant),
                             scope=endpoint.scope)
    elif oauth2.access_token is not None:
        # A JWT says when it ends and what it may do; decoded here, sent nowhere else.
        claims = jwt_claims(oauth2.access_token.reveal())
        left = seconds_left(claims) if claims else None
        variable = oauth2.variable("ACCESS_TOKEN")
        if left is not None and left <= 0:
            add(Severity.WARNING, "config.oauth2_token_expired", variable=variable, minutes=-left // 60)
        elif left is not None and left < EXPIRING_SECONDS:
            add(Severity.WARNING, "config.oauth2_token_expiring", variable=variable, minutes=left // 60)
        if claims and lacks_smtp_scope(token_scopes(claims)):
            add(Severity.WARNING, "config.oauth2_token_scope", variable=variable, scopes=token_scopes(claims))
    return oauth2
