"""The servers the ground truth runs against: tests.servers' aiosmtpd SMTPServer, made to
behave like a real submission port where AUTH is offered (MAIL before a login is refused
``530 5.7.0 Authentication required``), and an internal relay that offers no AUTH at all.

aiosmtpd advertises ``AUTH`` whenever it has mechanisms and either TLS is up or AUTH is not
restricted to TLS; excluding every mechanism still prints an empty ``250-AUTH`` line. A server
that never offers AUTH is therefore a plain one with ``auth_require_tls=True``: it has no
TLS, so AUTH is never advertised (and the command answers 538)."""

from __future__ import annotations

import ssl
from typing import Any, Literal

from aiosmtpd.controller import Controller

from tests.servers import SMTPServer

Auth = Literal["required", "optional", "none"]


class ConformanceServer(SMTPServer):
    """``mode`` as in SMTPServer (``ssl``, ``starttls``, ``plain``). ``auth``: ``required``
    (offered, and MAIL needs a login first), ``optional`` (offered, not needed) or ``none``
    (never offered; plain mode only; anyone may send)."""

    def __init__(self, mode: str, context: ssl.SSLContext | None = None, *, auth: Auth = "required",
                 auth_before_tls: bool = False, port: int | None = None) -> None:
        super().__init__(mode, context, auth_before_tls=auth_before_tls, port=port)
        kwargs: dict[str, Any] = {"authenticator": self._authenticate, "enable_SMTPUTF8": False,
                                  "auth_required": auth == "required"}
        if mode == "ssl":
            kwargs.update(ssl_context=context, auth_require_tls=False)
        elif mode == "starttls":
            kwargs.update(tls_context=context, auth_require_tls=not auth_before_tls)
        elif auth == "none":
            kwargs["auth_require_tls"] = True  # no TLS here, so AUTH is never advertised
        else:
            kwargs["auth_require_tls"] = False
        if auth == "none" and mode != "plain":
            raise ValueError("a server without AUTH is a plain one")
        self.auth = auth
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     server_hostname="smtp.test", **kwargs)

    def delivered_to(self, recipient: str) -> int:
        """How many messages for ``recipient`` reached DATA's 250."""
        return sum(recipient in envelope.rcpt_tos for envelope in self.handler.received)
