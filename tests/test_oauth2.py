"""OAuth2 logins against real parts: an aiosmtpd server with XOAUTH2 and OAUTHBEARER,
and a loopback token endpoint with RFC 6749 error bodies. Nothing reaches Google or
Microsoft."""

from __future__ import annotations

import base64
import json
import time
import xml.etree.ElementTree as ET

import pytest

from tests.conftest import failure
from tests.console import run
from tests.oauth_servers import (
    ACCESS_TOKEN,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    OAuthRecorder,
    TokenEndpoint,
    jwt,
)
from tests.servers import USER, SilentServer, SMTPServer, closed_port

CLIENT_ID = "0f3a9c1e-app-client-id"


@pytest.fixture
def refresh_env(env_file):
    def write(port: int, url: str, **extra: object) -> str:
        values: dict[str, object] = {
            "SMTP_HOST": "localhost", "SMTP_PORT": port, "SMTP_USER": USER,
            "SMTP_OAUTH2_CLIENT_ID": CLIENT_ID, "SMTP_OAUTH2_CLIENT_SECRET": CLIENT_SECRET,
            "SMTP_OAUTH2_REFRESH_TOKEN": REFRESH_TOKEN, "SMTP_OAUTH2_TOKEN_URL": url}
        values.update(extra)
        return env_file(**{k: v for k, v in values.items() if v is not None})
    return write


@pytest.fixture
def token_env(env_file):
    def write(port: int, token: str = ACCESS_TOKEN, **extra: object) -> str:
        return env_file(SMTP_HOST="localhost", SMTP_PORT=port, SMTP_USER=USER, SMTP_OAUTH2_ACCESS_TOKEN=token,
                        **extra)
    return write


# --- the refresh flow ----------------------------------------------------------------------

def test_a_refresh_token_is_exchanged_and_the_token_logs_in_with_xoauth2(good_tls, check, refresh_env):
    handler = OAuthRecorder()
    with TokenEndpoint() as endpoint, SMTPServer("starttls", good_tls, handler=handler) as server:
        out = check(refresh_env(server.port, endpoint.url))
    assert out.exit_code == 0, out.doc
    assert [p["name"] for p in out.doc["probes"]] == ["dns", "tcp", "tls", "smtp", "oauth", "auth", "envelope"]
    assert out.probe("oauth")["summary"] == "127.0.0.1 gave an access token, valid for 59 minutes"
    assert out.probe("auth")["summary"] == f"AUTH XOAUTH2 accepted the OAuth2 token for {USER}"
    [request] = endpoint.requests
    assert request == {"grant_type": "refresh_token", "client_id": CLIENT_ID, "refresh_token": REFRESH_TOKEN,
                       "client_secret": CLIENT_SECRET}
    assert handler.seen == [("XOAUTH2", f"user={USER}\x01auth=Bearer {ACCESS_TOKEN}\x01\x01")]
    assert out.doc["settings"]["login"] == "oauth2"
    assert out.doc["settings"]["oauth2"]["flow"] == "refresh_token"
    assert out.doc["settings"]["password"] == {"set": False, "length": 0}


@pytest.mark.parametrize(("status", "body", "reason", "names"), [
    (400, {"error": "invalid_grant", "error_description": "AADSTS70008: The provided authorization code or refresh "
           "token has expired due to inactivity."}, "oauth.invalid_grant", "SMTP_OAUTH2_REFRESH_TOKEN"),
    (400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
     "oauth.invalid_grant", "SMTP_OAUTH2_REFRESH_TOKEN"),
    (401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."},
     "oauth.invalid_client", "SMTP_OAUTH2_CLIENT_SECRET"),
    (400, {"error": "invalid_request", "error_description": "AADSTS700025: Client is public so neither "
           "'client_assertion' nor 'client_secret' should be presented."}, "oauth.invalid_client",
     "remove SMTP_OAUTH2_CLIENT_SECRET"),
    (400, {"error": "unauthorized_client", "error_description": "The client is not authorized to use this grant."},
     "oauth.unauthorized_client", "Allow public client flows"),
    (400, {"error": "invalid_scope", "error_description": "AADSTS70000: The requested scope is not granted."},
     "oauth.missing_scope", "SMTP_OAUTH2_REFRESH_TOKEN"),
    (200, {"access_token": ACCESS_TOKEN, "expires_in": 3599, "scope": "openid User.Read offline_access"},
     "oauth.missing_scope", "SMTP.Send"),
    (400, {"error": "invalid_request", "error_description": "AADSTS90002: Tenant 'contoso.onmicrosft.com' not "
           "found."}, "oauth.endpoint", "SMTP_OAUTH2_TENANT"),
    (404, {}, "oauth.endpoint", "SMTP_OAUTH2_TOKEN_URL"),
])
def test_each_token_endpoint_refusal_gets_its_own_fix(good_tls, check, refresh_env, status, body, reason, names):
    handler = OAuthRecorder()
    with TokenEndpoint(status, body) as endpoint, SMTPServer("starttls", good_tls, handler=handler) as server:
        out = check(refresh_env(server.port, endpoint.url))
    assert out.exit_code == 1
    probe = failure(out)
    assert (probe["name"], probe["error"]["code"], probe["error"]["reason"]) == ("oauth", "EAUTH", reason)
    assert names in probe["remedy"]
    assert out.probe("auth")["summary"] == "skipped: oauth failed"
    assert handler.seen == []  # no login with a token that never came


def test_a_token_endpoint_that_cannot_be_reached(good_tls, check, refresh_env, smtp_server):
    server = smtp_server("starttls", good_tls, handler=OAuthRecorder())
    out = check(refresh_env(server.port, f"http://127.0.0.1:{closed_port()}/token"))
    probe = failure(out)
    assert (probe["name"], probe["error"]["code"], probe["error"]["reason"]) == ("oauth", "ECONNECTION", "oauth.network")
    assert "Allow outbound HTTPS" in probe["remedy"]


def test_a_silent_token_endpoint_is_bounded_by_the_timeout(good_tls, check, refresh_env):
    with SilentServer() as silent, SMTPServer("starttls", good_tls, handler=OAuthRecorder()) as server:
        started = time.monotonic()
        out = check(refresh_env(server.port, f"http://127.0.0.1:{silent.port}/token"), timeout="1")
        took = time.monotonic() - started
    probe = failure(out)
    assert (probe["name"], probe["error"]["code"]) == ("oauth", "ETIMEDOUT")
    assert took < 3


# --- an access token given directly ------------------------------------------------------

def test_an_access_token_alone_logs_in_without_a_token_request(good_tls, check, token_env, smtp_server):
    handler = OAuthRecorder()
    server = smtp_server("starttls", good_tls, handler=handler)
    out = check(token_env(server.port))
    assert out.exit_code == 0
    assert "oauth" not in out.statuses()
    assert out.doc["settings"]["oauth2"]["flow"] == "access_token"


# Offsets from the moment the test runs (not from collection: the suite takes minutes).
@pytest.mark.parametrize(("expires_in", "scopes", "reason", "words"), [
    (-600, "SMTP.Send", "config.oauth2_token_expired", "expired 10 minutes ago"),
    (180, "SMTP.Send", "config.oauth2_token_expiring", "expires in 2 minutes"),
    (3600, "User.Read Mail.Read", "config.oauth2_token_scope", "\"User.Read Mail.Read\""),
])
def test_a_jwt_is_read_locally_for_its_expiry_and_scopes(good_tls, check, token_env, expires_in, scopes, reason,
                                                         words, smtp_server):
    claims = {"exp": int(time.time()) + expires_in, "scp": scopes}
    token = jwt(aud="https://outlook.office.com", **claims)
    handler = OAuthRecorder(style="microsoft")  # accepts only ACCESS_TOKEN: this one is refused
    server = smtp_server("starttls", good_tls, handler=handler)
    out = check(token_env(server.port, token))
    finding = next(f for f in out.doc["findings"] if f["reason"] == reason)
    assert finding["severity"] == "warning" and words in finding["message"]
    probe = failure(out)
    assert probe["error"]["reason"] == "auth.oauth2_rejected"
    assert probe["remedy"].startswith(finding["message"])  # what the token said leads the fix


# --- what the SMTP server says ---------------------------------------------------------------

def test_googles_challenge_is_answered_with_an_empty_line_and_read(good_tls, check, token_env, smtp_server):
    handler = OAuthRecorder(style="google", token="another-token")
    server = smtp_server("starttls", good_tls, handler=handler)
    out = check(token_env(server.port))
    assert handler.answers_to_challenge == [b""]
    probe = failure(out)
    assert probe["error"]["reason"] == "auth.oauth2_rejected"
    assert "status 400, scope https://mail.google.com/" in probe["error"]["message"]
    assert probe["error"]["reply"].startswith("535")


def test_oauthbearer_when_it_is_the_only_mechanism(good_tls, check, token_env, smtp_server):
    handler = OAuthRecorder()
    server = smtp_server("starttls", good_tls, handler=handler, auth_exclude=("XOAUTH2",))
    out = check(token_env(server.port))
    assert out.exit_code == 0, out.doc
    [(mechanism, initial)] = handler.seen
    assert mechanism == "OAUTHBEARER"
    assert initial == f"n,a={USER},\x01host=localhost\x01port={server.port}\x01auth=Bearer {ACCESS_TOKEN}\x01\x01"


def test_oauthbearer_refusal_is_answered_with_ctrl_a(good_tls, check, token_env, smtp_server):
    handler = OAuthRecorder(style="google", token="another-token")
    server = smtp_server("starttls", good_tls, handler=handler, auth_exclude=("XOAUTH2",))
    out = check(token_env(server.port))
    assert handler.answers_to_challenge == [b"\x01"]
    assert failure(out)["error"]["reason"] == "auth.oauth2_rejected"


def test_a_server_without_oauth2_mechanisms(good_tls, check, token_env, smtp_server):
    server = smtp_server("starttls", good_tls, handler=OAuthRecorder(), auth_exclude=("XOAUTH2", "OAUTHBEARER"))
    out = check(token_env(server.port))
    probe = failure(out)
    assert probe["error"]["reason"] == "auth.oauth2_not_offered"
    assert "AUTH LOGIN PLAIN" in probe["error"]["message"]


def test_microsoft_5_7_3_after_a_token_is_a_refused_token_not_basic_auth(good_tls, check, token_env, smtp_server):
    handler = OAuthRecorder(style="microsoft", token="another-token")
    server = smtp_server("starttls", good_tls, handler=handler)
    out = check(token_env(server.port), "--provider", "outlook")
    probe = failure(out)
    assert probe["error"]["reason"] == "auth.oauth2_rejected"
    assert "https://outlook.office.com/SMTP.Send" in probe["remedy"]


def test_smtp_auth_disabled_for_the_tenant_keeps_its_fix_under_oauth2(good_tls, check, token_env, smtp_server):
    handler = OAuthRecorder(style="microsoft", token="another-token", refusal=(
        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. "
        "Visit https://aka.ms/smtp_auth_disabled for more information."))
    server = smtp_server("starttls", good_tls, handler=handler)
    out = check(token_env(server.port), "--provider", "office365")
    probe = failure(out)
    assert probe["error"]["reason"] == "auth.smtp_auth_disabled"
    assert f"Set-CASMailbox -Identity {USER} -SmtpClientAuthenticationDisabled $false" in probe["remedy"]


# --- basic auth refused by policy --------------------------------------------------------------

BASIC_OFF = "535 5.7.139 Authentication unsuccessful, basic authentication is disabled. [PH7P220CA0132.NAMP220.PROD.OUTLOOK.COM]"


def test_basic_auth_refused_points_to_the_oauth2_variables(good_tls, check, account, smtp_server):
    server = smtp_server("starttls", good_tls, auth_reply=BASIC_OFF, password="basic auth is off")
    out = check(account(server.port), "--provider", "outlook")
    probe = failure(out)
    assert probe["error"]["reason"] == "auth.basic_auth_disabled"
    assert "set SMTP_OAUTH2_CLIENT_ID and SMTP_OAUTH2_REFRESH_TOKEN" in probe["remedy"]


def test_basic_auth_refused_with_oauth2_set_for_a_client_that_cannot_use_it(good_tls, check, env_file, smtp_server):
    server = smtp_server("starttls", good_tls, auth_reply=BASIC_OFF)
    env = env_file(MAIL_SERVER="localhost", MAIL_PORT=server.port, MAIL_USE_TLS="true", MAIL_USERNAME=USER,
                   MAIL_PASSWORD="an-old-password", MAIL_OAUTH2_ACCESS_TOKEN=ACCESS_TOKEN)
    out = check(env, "--provider", "outlook", "--client", "flask-mail")
    assert out.doc["settings"]["login"] == "password"
    finding = next(f for f in out.doc["findings"] if f["reason"] == "config.oauth2_client_cannot")
    assert "Flask-Mail logs in with a password only" in finding["message"]
    probe = failure(out)
    assert probe["error"]["reason"] == "auth.basic_auth_disabled"
    assert probe["remedy"].startswith(finding["message"])


# --- settings that cannot work ------------------------------------------------------------------

@pytest.mark.parametrize(("extra", "reason", "words"), [
    ({"SMTP_OAUTH2_CLIENT_ID": None}, "config.oauth2_incomplete", "Set SMTP_OAUTH2_CLIENT_ID"),
    ({"SMTP_OAUTH2_TOKEN_URL": "http://login.example.com/token"}, "config.oauth2_insecure_token_url", "not HTTPS"),
    # Found by a malformed-settings sweep: this one used to be an internal error (exit 3).
    ({"SMTP_OAUTH2_TOKEN_URL": "http://[::1/token"}, "config.oauth2_bad_token_url", "not a URL"),
    ({"SMTP_OAUTH2_TOKEN_URL": "login.example.com/token"}, "config.oauth2_bad_token_url", "full https:// URL"),
    ({"SMTP_OAUTH2_TOKEN_URL": None}, "config.oauth2_no_token_url", "Set SMTP_OAUTH2_TOKEN_URL"),
])
def test_oauth2_settings_that_cannot_work_are_exit_2(smtpdoctor, refresh_env, extra, reason, words):
    out = smtpdoctor("check", "--env-file", refresh_env(2525, "https://unused.example/token", **extra), "--json")
    assert out.exit_code == 2
    finding = next(f for f in out.doc["findings"] if f["reason"] == reason)
    assert finding["severity"] == "error" and words in finding["message"] + finding["remedy"]


def test_the_providers_token_endpoint_and_tenant(smtpdoctor, env_file):
    env = env_file(SMTP_HOST="smtp.office365.com", SMTP_USER="ops@contoso.com", SMTP_OAUTH2_CLIENT_ID=CLIENT_ID,
                   SMTP_OAUTH2_REFRESH_TOKEN=REFRESH_TOKEN, SMTP_OAUTH2_TENANT="contoso.com")
    out = smtpdoctor("config", "--env-file", env, "--json")
    assert out.exit_code == 0, out.doc
    assert out.doc["settings"]["oauth2"]["token_url"] == "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token"
    text = " ".join(smtpdoctor("config", "--env-file", env).stdout.split())
    assert (f"login OAuth2: a refresh token of client {CLIENT_ID}, exchanged at "
            "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token ← SMTP_OAUTH2_REFRESH_TOKEN") in text
    assert REFRESH_TOKEN not in text and CLIENT_ID in text


# --- no token form in any output ---------------------------------------------------------------

def test_no_token_form_appears_in_any_output(good_tls, ca_file, refresh_env, tmp_path):
    handler = OAuthRecorder(style="google")  # the fetched token is refused after a challenge
    junit = tmp_path / "report.xml"
    with TokenEndpoint(body={"access_token": jwt(scp="SMTP.Send", exp=int(time.time()) + 3600),
                             "expires_in": 3599}) as endpoint, \
            SMTPServer("starttls", good_tls, handler=handler) as server:
        env = refresh_env(server.port, endpoint.url)
        runs = [run("check", "--env-file", env, "--ca-file", ca_file, "--alt-ports", "none", *extra,
                    env={"GITHUB_ACTIONS": "true"})
                for extra in (["-v"], ["-v", "--json"], ["--junit-xml", str(junit)], ["-v", "--lang", "zh"])]
    token = endpoint.body["access_token"]
    assert isinstance(token, str)
    forms = [token, REFRESH_TOKEN, CLIENT_SECRET, *token.split(".")[:2],
             base64.b64encode(f"user={USER}\x01auth=Bearer {token}\x01\x01".encode()).decode(),
             base64.b64encode(token.encode()).decode()]
    outputs = [r.stdout + r.stderr for r in runs] + [junit.read_text()]
    assert all(r.code == 1 for r in runs)
    assert "auth.oauth2_rejected" in outputs[1]
    for output in outputs:
        for form in forms:
            assert form not in output
    transcript = json.loads(runs[1].stdout)["transcript"]
    assert any("AUTH XOAUTH2 <credentials redacted>" in line for line in transcript)
    ET.fromstring(outputs[-1])  # and the report still parses


def test_check_fix_writes_the_verified_tls_change_and_never_a_token(good_tls, smtpdoctor, ca_file, tmp_path):
    """A STARTTLS port configured as implicit TLS, with an OAuth2 login: the fix is verified with the
    token (the fetched one logs in), written, and no token form reaches the file's diff or the output."""
    handler = OAuthRecorder()
    with TokenEndpoint() as endpoint, SMTPServer("starttls", good_tls, handler=handler) as server:
        env = tmp_path / ".env"
        original = (f"SMTP_HOST=localhost\nSMTP_PORT={server.port}\nSMTP_SECURE=true\nSMTP_USER={USER}\n"
                    f"SMTP_OAUTH2_CLIENT_ID={CLIENT_ID}\nSMTP_OAUTH2_REFRESH_TOKEN={REFRESH_TOKEN}\n"
                    f"SMTP_OAUTH2_TOKEN_URL={endpoint.url}\n")
        env.write_text(original)
        env.chmod(0o600)
        out = smtpdoctor("check", "--fix", "--env-file", str(env), "--ca-file", ca_file, "--alt-ports", "none", "-v")
    assert out.exit_code == 0, out.stdout
    assert env.read_text() == original.replace("SMTP_SECURE=true", "SMTP_SECURE=false")
    # One token per run: the check, then the check again on the written file. The fix trial in
    # between reused the first run's token.
    assert len(endpoint.requests) == 2
    for form in (REFRESH_TOKEN, ACCESS_TOKEN, CLIENT_SECRET):
        assert form not in out.stdout + out.stderr


@pytest.mark.parametrize(("pasted", "reason"), [
    ("invalid_grant", "oauth.invalid_grant"),
    ('{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}',
     "oauth.invalid_client"),
    ("AADSTS90002: Tenant 'contoso.onmicrosft.com' not found.", "oauth.endpoint"),
    ("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.",
     "auth.smtp_auth_disabled"),
])
def test_explain_knows_the_token_flow_errors(smtpdoctor, pasted, reason):
    out = smtpdoctor("explain", pasted)
    assert out.exit_code == 0
    assert out.stdout.splitlines()[0].split()[1] == reason


def test_basic_auth_refused_for_a_tenant_row_names_no_environment_variable(good_tls, smtpdoctor, smtp_server,
                                                                          ca_file, tmp_path):
    import json

    server = smtp_server("starttls", good_tls, auth_reply=BASIC_OFF, password="basic auth is off")
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"tenant_id": "t1", "smtp_host": "localhost", "smtp_port": server.port,
                                "smtp_username": USER, "smtp_password": "x", "security_protocol": "STARTTLS",
                                "from_email": USER}) + "\n")
    out = smtpdoctor("check", "--accounts", str(rows), "--provider", "outlook", "--ca-file", ca_file,
                     "--alt-ports", "none", "--timeout", "2", "--json")
    [account] = out.doc["accounts"]
    probe = next(p for p in account["probes"] if p["status"] == "fail")
    assert probe["error"]["reason"] == "auth.basic_auth_disabled"
    assert "OAUTH2_CLIENT_ID" not in probe["remedy"]
    assert "a row of the tenant table has no field for an OAuth2 token" in probe["remedy"]
