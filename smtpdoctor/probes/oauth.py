"""oauth: the refresh token becomes an access token, as the app's client does
before each login. Runs before auth, and only when a refresh flow is configured."""

from __future__ import annotations

import urllib.error
from urllib.parse import urlsplit

from smtpdoctor.model import ErrorCode, ProbeResult, seconds_text
from smtpdoctor.probes.session import Said, Session, failed, passed, say
from smtpdoctor.wire.net import in_daemon_thread
from smtpdoctor.wire.oauth import TokenAnswer, classify_token_answer, request_token

MAX_DETAIL = 300


async def probe_oauth(session: Session) -> list[ProbeResult]:
    oauth = session.settings.oauth2
    assert oauth is not None and oauth.refresh_flow and oauth.token_url
    url, scope = oauth.token_url, oauth.scope or ""
    names: dict[str, object] = {
        "refresh_var": oauth.variable("REFRESH_TOKEN"), "client_id_var": oauth.variable("CLIENT_ID"),
        "secret_var": oauth.variable("CLIENT_SECRET"), "tenant_var": oauth.variable("TENANT"),
        "url_var": oauth.variable("TOKEN_URL"), "url": url, "scope": scope or "https://outlook.office.com/SMTP.Send",
    }
    session.current = "token request"
    # A fix trial re-runs the pipeline: one token request per run is enough.
    key = (url, oauth.client_id, oauth.refresh_token.reveal() if oauth.refresh_token else "")
    answer = session.tokens.get(key)
    if answer is None:
        context = session.context if urlsplit(url).scheme == "https" else None
        limit = session.remaining()
        try:
            answer = await in_daemon_thread(lambda: request_token(url, oauth, scope, limit, context))
        except (OSError, ValueError) as exc:
            return [_unreachable(session, exc, names)]
        session.tokens[key] = answer
    reason = classify_token_answer(answer)
    if reason is not None:
        said = answer.error or f"HTTP {answer.status}"
        detail = session.redactor.clean(answer.description)[:MAX_DETAIL]
        return [failed("oauth", reason, say("oauth.refused", url=url, error=said),
                       params={**names, "detail": detail, "status": answer.status, "error": said})]
    assert answer.access_token is not None
    session.access_token = answer.access_token
    session.redactor.add(answer.access_token.reveal())
    return [passed("oauth", _got(answer, url))]


def _got(answer: TokenAnswer, url: str) -> Said:
    host = urlsplit(url).hostname or url
    if answer.expires_in:
        return say("oauth.passed_expires", host=host, minutes=answer.expires_in // 60)
    return say("oauth.passed", host=host)


def _unreachable(session: Session, exc: BaseException, names: dict[str, object]) -> ProbeResult:
    cause = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(cause, TimeoutError):
        timeout = seconds_text(session.timeout)
        return failed("oauth", "oauth.timeout", say("oauth.timeout", url=names["url"], timeout=timeout),
                      code=ErrorCode.ETIMEDOUT, params={**names, "timeout": timeout})
    detail = session.redactor.clean(getattr(cause, "strerror", None) or str(cause) or type(cause).__name__)
    return failed("oauth", "oauth.network", say("oauth.unreachable", url=names["url"], detail=detail),
                  code=ErrorCode.ECONNECTION, params={**names, "detail": detail})
