"""What an OAuth2 login puts on the wire: the refresh-token grant to the token endpoint
(urllib, blocking: run it in a thread) and the SASL strings XOAUTH2 and OAUTHBEARER send."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smtpdoctor.classify import AADSTS_REASONS, TOKEN_ERRORS
from smtpdoctor.config.oauth import jwt_claims, lacks_smtp_scope, token_scopes
from smtpdoctor.config.values import OAuth2
from smtpdoctor.secret import Secret

if TYPE_CHECKING:
    import ssl

MAX_TOKEN_ANSWER = 64 * 1024


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
