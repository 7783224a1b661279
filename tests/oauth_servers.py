"""OAuth2 on loopback: an aiosmtpd handler with real XOAUTH2 and OAUTHBEARER
mechanisms (Google's 334 JSON challenge included), and an HTTP token endpoint
that answers a refresh-token grant with RFC 6749 §5.2 bodies."""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs

from aiosmtpd.smtp import MISSING, AuthResult

from tests.servers import Recorder

ACCESS_TOKEN = "ya29.a0-access-token-Zx81Qk"
REFRESH_TOKEN = "1//0g-refresh-token-Jk92L"
CLIENT_SECRET = "GOCSPX-client-secret-77Hq"
GOOGLE_CHALLENGE = {"status": "400", "schemes": "Bearer", "scope": "https://mail.google.com/"}


def jwt(**claims: object) -> str:
    """An unsigned JWT with these claims: what smtpdoctor reads locally."""
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(dict(claims))}.c2lnbmF0dXJl"


@dataclass
class OAuthRecorder(Recorder):
    """Accepts ``token`` for ``user``. A refused token is answered the way
    ``style`` says: ``google`` (334 JSON challenge, then 535-5.7.8), or a reply
    text sent at once (Microsoft's)."""

    user: str = "dev@example.com"
    token: str = ACCESS_TOKEN
    style: str = "google"
    refusal: str = "535 5.7.3 Authentication unsuccessful [SN4PR0201CA0065.namprd02.prod.outlook.com]"
    seen: list[tuple[str, str]] = field(default_factory=list)  # (mechanism, decoded initial response)
    answers_to_challenge: list[bytes] = field(default_factory=list)

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> AuthResult:
        text = base64.b64decode(args[1]).decode()
        self.seen.append(("XOAUTH2", text))
        fields = dict(p.split("=", 1) for p in text.split("\x01") if "=" in p)
        return await self._judge(server, fields.get("user"), fields.get("auth", ""))

    async def auth_OAUTHBEARER(self, server: Any, args: list[str]) -> AuthResult:
        text = base64.b64decode(args[1]).decode()
        self.seen.append(("OAUTHBEARER", text))
        gs2, _, rest = text.partition("\x01")
        user = gs2.split("a=", 1)[1].rstrip(",") if "a=" in gs2 else None
        fields = dict(p.split("=", 1) for p in rest.split("\x01") if "=" in p)
        return await self._judge(server, user, fields.get("auth", ""))

    async def _judge(self, server: Any, user: str | None, auth: str) -> AuthResult:
        if user == self.user and auth == f"Bearer {self.token}":
            return AuthResult(success=True)
        if self.style == "google":
            answer = await server.challenge_auth(json.dumps(GOOGLE_CHALLENGE))
            self.answers_to_challenge.append(b"" if answer is MISSING else answer)
            return AuthResult(success=False, handled=False,
                              message="535-5.7.8 Username and Password not accepted. For more information, go to\r\n"
                                      "535 5.7.8  https://support.google.com/mail/?p=BadCredentials")
        return AuthResult(success=False, handled=False, message=self.refusal)


class TokenEndpoint:
    """``POST /token`` on 127.0.0.1. ``answer`` is (HTTP status, JSON body); a
    ``delay`` holds the answer back (a silent endpoint)."""

    def __init__(self, status: int = 200, body: dict[str, object] | None = None, delay: float = 0) -> None:
        self.status = status
        self.body = body if body is not None else {
            "token_type": "Bearer", "access_token": ACCESS_TOKEN, "expires_in": 3599,
            "scope": "https://outlook.office.com/SMTP.Send offline_access"}
        self.delay = delay
        self.requests: list[dict[str, str]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = parse_qs(self.rfile.read(length).decode())
                endpoint.requests.append({k: v[0] for k, v in form.items()})
                time.sleep(endpoint.delay)
                payload = json.dumps(endpoint.body).encode()
                try:
                    self.send_response(endpoint.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/token"

    def __enter__(self) -> Self:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
