"""auth: the server accepts the credentials, with the best mechanism both
sides support. The password goes on the wire here and nowhere else."""

from __future__ import annotations

from smtpdoctor.model import ProbeResult
from smtpdoctor.session import Session, failed, passed, say

# PLAIN and LOGIN are what mail libraries use over TLS; without TLS CRAM-MD5
# at least keeps the password itself off the wire.
PREFERENCE_TLS = ("plain", "login", "cram-md5")
PREFERENCE_CLEAR = ("cram-md5", "plain", "login")


def choose_mechanism(offered: list[str], tls: bool) -> str | None:
    return next((m for m in (PREFERENCE_TLS if tls else PREFERENCE_CLEAR) if m in offered), None)


def auth_reason_by_code(code: int, text: str) -> str:
    if code == 530 and "tls" in text.lower():
        return "auth.tls_required"
    if 400 <= code < 500:
        return "auth.temporary"
    return "auth.bad_credentials"


async def probe_auth(session: Session) -> list[ProbeResult]:
    from aiosmtplib import SMTPResponseException

    s = session.settings
    client = session.client
    assert client is not None and s.username is not None and s.password is not None
    tls = session.tls_active()
    if not client.supports_extension("auth"):
        return [_not_offered(session, tls)]
    offered = client.server_auth_methods
    mechanism = choose_mechanism(offered, tls)
    if mechanism is None:
        listed = " ".join(m.upper() for m in offered)
        return [failed("auth", "auth.no_shared_mechanism", say("auth.no_shared_mechanism", mechanisms=listed),
                       params={"mechanisms": listed})]
    session.current = f"AUTH {mechanism.upper()}"
    session.record("C", f"AUTH {mechanism.upper()} <credentials redacted>")
    login = getattr(client, f"auth_{mechanism.replace('-', '')}")
    try:
        reply = await login(s.username, s.password.reveal(), timeout=session.remaining())
    except SMTPResponseException as exc:
        text = session.record_reply(exc.code, exc.message)
        reason, provider = session.classify(exc.code, text, ("auth.",),
                                            auth_reason_by_code(exc.code, text))
        params: dict[str, object] = {}
        return [failed("auth", reason, say("auth.refused", mechanism=mechanism.upper(), reply=text[:80]),
                       reply=text, reply_code=exc.code, params=params, provider=provider)]
    session.record_reply(reply.code, reply.message)
    return [passed("auth", say("auth.passed", mechanism=mechanism.upper(), username=s.username))]


def _not_offered(session: Session, tls: bool) -> ProbeResult:
    client = session.client
    assert client is not None
    # Before TLS, a server that offers STARTTLS usually lists AUTH only after it.
    hidden = not tls and client.supports_extension("starttls")
    return failed("auth", "auth.not_offered", say("auth.not_offered"),
                  params={"before_tls": "§auth.before_tls" if hidden else ""})
