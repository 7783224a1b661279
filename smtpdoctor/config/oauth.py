"""OAuth2 logins: the variables an app keeps them in, the token request, what a
token says about itself, and the SASL strings XOAUTH2 and OAUTHBEARER send.

Every token, secret and SASL string is a :class:`Secret`; only the token
request and the auth step reveal them."""

from __future__ import annotations

import base64
import ipaddress
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from smtpdoctor.oauth_errors import AADSTS_REASONS, TOKEN_ERRORS
from smtpdoctor.secret import Secret

if TYPE_CHECKING:
    import ssl

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
MAX_TOKEN_ANSWER = 64 * 1024


@dataclass(frozen=True)
class OAuth2:
    """An OAuth2 login as the app configures it. ``variables`` maps each role
    (``REFRESH_TOKEN``…) to the variable it was read from."""

    access_token: Secret | None = None
    client_id: str | None = None
    client_secret: Secret | None = None
    refresh_token: Secret | None = None
    tenant: str | None = None
    token_url: str | None = None
    scope: str | None = None
    variables: Mapping[str, str] = field(default_factory=dict)

    @property
    def refresh_flow(self) -> bool:
        return self.refresh_token is not None

    def variable(self, role: str) -> str:
        """The variable to name in a fix, given or not: ``MAIL_OAUTH2_CLIENT_ID``."""
        if role in self.variables:
            return self.variables[role]
        prefix = next(iter(self.variables.values()), "SMTP_OAUTH2_X").split("OAUTH2_")[0]
        return f"{prefix}OAUTH2_{role}"

    def secrets(self) -> list[str]:
        return [s.reveal() for s in (self.access_token, self.client_secret, self.refresh_token) if s]


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


# --- SASL ------------------------------------------------------------------------------

def xoauth2(username: str, token: str) -> str:
    """Google's and Microsoft's XOAUTH2 initial response, base64."""
    return _b64(f"user={username}\x01auth=Bearer {token}\x01\x01")


def oauthbearer(username: str, host: str, port: int, token: str) -> str:
    """RFC 7628 OAUTHBEARER initial response, base64."""
    return _b64(f"n,a={username},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01")


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def challenge_json(text: str) -> dict[str, object]:
    """The JSON error a server sends as a 334 challenge after a refused token
    (Google: ``{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}``)."""
    try:
        decoded = json.loads(base64.b64decode(text.strip().split()[-1], validate=True))
    except (ValueError, IndexError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


# --- the token request -----------------------------------------------------------------

@dataclass(frozen=True)
class TokenAnswer:
    """What the token endpoint said: a token, or an RFC 6749 §5.2 error."""

    status: int
    access_token: Secret | None = None
    expires_in: int | None = None
    scope: str = ""
    error: str = ""
    description: str = ""


def request_token(url: str, oauth: OAuth2, scope: str, timeout: float,
                  context: ssl.SSLContext | None = None) -> TokenAnswer:
    """POST a refresh-token grant to ``url`` (blocking; run it in a thread).
    Raises OSError (urllib's URLError included) when no HTTP answer came."""
    import urllib.error
    import urllib.parse
    import urllib.request

    form = {"grant_type": "refresh_token", "client_id": oauth.client_id or "",
            "refresh_token": oauth.refresh_token.reveal() if oauth.refresh_token else ""}
    if scope:
        form["scope"] = scope
    if oauth.client_secret:
        form["client_secret"] = oauth.client_secret.reveal()
    request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode("ascii"), method="POST",
                                     headers={"Accept": "application/json",
                                              "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            status, body = response.status, response.read(MAX_TOKEN_ANSWER)
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read(MAX_TOKEN_ANSWER)
    try:
        data = json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    token = data.get("access_token")
    expires = data.get("expires_in")
    return TokenAnswer(
        status=status,
        access_token=Secret(token) if isinstance(token, str) and token else None,
        expires_in=int(str(expires)) if str(expires).isdigit() else None,
        scope=str(data.get("scope") or ""),
        error=str(data.get("error") or ""),
        description=str(data.get("error_description") or ""),
    )


def classify_token_answer(answer: TokenAnswer) -> str | None:
    """The reason a token answer fails for, or None when it holds a usable token."""
    for code, reason in AADSTS_REASONS.items():
        if answer.description.startswith(code + ":") or f" {code}:" in answer.description:
            return reason
    if answer.error:
        return TOKEN_ERRORS.get(answer.error, "oauth.rejected")
    if answer.status in (404, 405) or answer.access_token is None:
        return "oauth.endpoint"
    if lacks_smtp_scope(answer.scope):
        return "oauth.missing_scope"
    claims = jwt_claims(answer.access_token.reveal())
    if claims is not None and lacks_smtp_scope(token_scopes(claims)):
        return "oauth.missing_scope"
    return None
