"""What OAuth2 token endpoints answer, and the reason each answer means. Kept apart
from oauth.py so `explain` can read pasted errors without loading the token machinery."""

from __future__ import annotations

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
