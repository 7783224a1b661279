"""auth: the server accepts the credentials, with the best mechanism both
sides support. The password goes on the wire here and nowhere else."""

from __future__ import annotations

from smtpdoctor.classify import auth_reason_by_code
from smtpdoctor.model import ProbeResult
from smtpdoctor.probes.session import Session, failed, passed, say, skipped
from smtpdoctor.providers import Provider

# PLAIN and LOGIN are what mail libraries use over TLS; without TLS CRAM-MD5
# at least keeps the password itself off the wire.
PREFERENCE_TLS = ("plain", "login", "cram-md5")
PREFERENCE_CLEAR = ("cram-md5", "plain", "login")


def choose_mechanism(offered: list[str], tls: bool) -> str | None:
    return next((m for m in (PREFERENCE_TLS if tls else PREFERENCE_CLEAR) if m in offered), None)


async def probe_auth(session: Session) -> list[ProbeResult]:
    from aiosmtplib import SMTPResponseException

    s = session.settings
    client = session.client
    tls = session.tls_active()
    if not s.logs_in:
        # No credentials: the app sends without AUTH, as to a relay; the envelope step says
        # whether this server lets it.
        return [skipped("auth", say("skip.no_login"))]
    if not client or not client.supports_extension("auth"):
        return [_not_offered(session, tls)]
    if s.login == "oauth2":
        return [await _oauth2(session)]
    assert s.username is not None and s.password is not None
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
        by_mx = await _login_domain_provider(session)
        reason, provider = session.classify(exc.code, text, ("auth.",),
                                            auth_reason_by_code(exc.code, text))
        if by_mx is not None:
            session.provider = None  # the settings named no provider; the MX did
            provider = provider or by_mx.id
        params: dict[str, object] = {}
        return [failed("auth", reason, say("auth.refused", mechanism=mechanism.upper(), reply=text[:80]),
                       reply=text, reply_code=exc.code, params=params, provider=provider)]
    session.record_reply(reply.code, reply.message)
    return [passed("auth", say("auth.passed", mechanism=mechanism.upper(), username=s.username))]


async def _login_domain_provider(session: Session) -> Provider | None:
    """A login on a custom domain (ops@acme-corp.cn) names its provider by the domain's MX,
    so that provider's reply texts and remedies apply (Exmail's 客户端专用密码)."""
    s = session.settings
    if session.provider is not None or not s.username or "@" not in s.username:
        return None
    from smtpdoctor.probes.records import mail_domain_provider

    found = await mail_domain_provider(session, s.username.rpartition("@")[2].lower())
    session.provider = found  # for the reply rules of classify()
    return found


# XOAUTH2 first where both are offered: it is what Google, Microsoft and the mail
# libraries speak; OAUTHBEARER (RFC 7628) is the standard form of the same thing.
OAUTH2_MECHANISMS = ("xoauth2", "oauthbearer")
# What a refused token is called, whatever a password refusal with the same text would mean.
KEPT_FOR_TOKENS = frozenset({"auth.smtp_auth_disabled", "auth.temporary", "auth.too_many_failures",
                             "auth.tls_required", "auth.oauth2_rejected"})


async def _oauth2(session: Session) -> ProbeResult:
    """AUTH XOAUTH2 / OAUTHBEARER with the initial response; a refused token gets a
    334 JSON challenge (Google, RFC 7628), answered with an empty line (XOAUTH2) or
    ^A (OAUTHBEARER) to get the final reply."""
    from smtpdoctor.wire.oauth import challenge_json, oauthbearer, xoauth2

    s = session.settings
    client = session.client
    oauth = s.oauth2
    assert client is not None and oauth is not None and s.username is not None
    token = session.access_token or oauth.access_token
    assert token is not None
    offered = client.server_auth_methods
    mechanism = next((m for m in OAUTH2_MECHANISMS if m in offered), None)
    if mechanism is None:
        listed = " ".join(m.upper() for m in offered)
        return failed("auth", "auth.oauth2_not_offered", say("auth.oauth2_not_offered", mechanisms=listed),
                      params={"mechanisms": listed})
    name = mechanism.upper()
    initial = (xoauth2(s.username, token.reveal()) if mechanism == "xoauth2"
               else oauthbearer(s.username, s.host or "", s.port or 0, token.reveal()))
    session.redactor.add(initial)
    session.current = f"AUTH {name}"
    session.record("C", f"AUTH {name} <credentials redacted>")
    limit = session.remaining()
    reply = await client.execute_command(b"AUTH", name.encode(), initial.encode(), timeout=limit)
    challenge: dict[str, object] = {}
    if reply.code == 334:
        session.record_reply(reply.code, reply.message)
        challenge = challenge_json(reply.message)
        answer = b"" if mechanism == "xoauth2" else b"AQ=="  # base64 of ^A
        session.record("C", answer.decode() or "<empty line>")
        reply = await client.execute_command(answer, timeout=session.remaining())
    text = session.record_reply(reply.code, reply.message)
    if reply.code == 235:
        return passed("auth", say("auth.passed_oauth2", mechanism=name, username=s.username))
    reason, provider = session.classify(reply.code, text, ("auth.",), auth_reason_by_code(reply.code, text))
    if reason not in KEPT_FOR_TOKENS:
        # "535 5.7.3 Authentication unsuccessful" or "5.7.8 Username and Password not accepted"
        # after a token says the token was refused, not that passwords are off.
        reason = "auth.oauth2_rejected" if reply.code >= 500 else "auth.temporary"
    params: dict[str, object] = {"scope": oauth.scope or "https://outlook.office.com/SMTP.Send or https://mail.google.com/"}
    if challenge:
        params |= {"challenge": "§auth.challenge", "status": challenge.get("status", "?"),
                   "challenge_scope": challenge.get("scope", "?")}
    return failed("auth", reason, say("auth.refused", mechanism=name, reply=text[:80]), reply=text,
                  reply_code=reply.code, params=params, provider=provider)


# Clients that skip the login when the server offers no AUTH and send without it (nodemailer's
# SMTPConnection, Symfony's EsmtpTransport); the others raise (tests/conformance runs each).
SKIP_LOGIN_WITHOUT_AUTH = frozenset({"nodemailer", "laravel"})


def _not_offered(session: Session, tls: bool) -> ProbeResult:
    client = session.client
    assert client is not None
    chosen = session.settings.client
    if chosen is not None and chosen.id in SKIP_LOGIN_WITHOUT_AUTH:
        # The app sends without logging in: the envelope says whether this server lets it.
        return passed("auth", say("auth.skipped_not_offered", client=chosen.param),
                      warning="auth.credentials_unused", params={"client": chosen.param})
    # Before TLS, a server that offers STARTTLS usually lists AUTH only after it.
    hidden = not tls and client.supports_extension("starttls")
    return failed("auth", "auth.not_offered", say("auth.not_offered"),
                  params={"before_tls": "§auth.before_tls" if hidden else ""})
