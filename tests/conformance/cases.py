"""The ground-truth matrix: which real client, with which settings, against which server,
and what really happens (delivered, the exception the app sees, or a hang).

Each ``Case`` names a server kind from ``SERVER_KINDS``, a client variant from ``VARIANTS``
(a driver plus the fixed options that make it the pattern an app uses), the variant's flags
in the library's own terms, the credentials, and the observed result, a regular expression
on ``Outcome.text`` ("delivered", "Hung: …" or "<ExceptionClass>: <message>"). ``claim``
quotes what /work/shared/research/clients-and-paths.md says where the case checks it;
``differs`` says how the real library differs from that claim.

The table is importable, so smtpdoctor's own tests can run ``check`` on the same settings
and servers and be paired with ``expect`` (see ground_truth.md for the table as text)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tests.conformance.servers import Auth
from tests.servers import PASSWORD, USER

Creds = Literal["good", "wrong", "none", "user-only"]

DELIVERED = "delivered"
HUNG = r"Hung: "
HARD_TIMEOUT = 20.0  # a case that should finish: its watchdog, seconds after the imports
HANG_TIMEOUT = 3.0  # a case expected to hang (a silent peer, no library timeout)
LIBRARY_TIMEOUT = 1.5  # the library's own timeout where a case gives one


@dataclass(frozen=True)
class ServerKind:
    """``mode`` as tests.servers.SMTPServer takes it; ``cert``: the conftest context
    fixture's name (``good_tls`` …); ``auth``: see ConformanceServer. ``closed`` and
    ``silent`` are no SMTP server: nothing listening, and tests.servers.SilentServer."""

    mode: str
    cert: str | None = None
    auth: Auth = "required"
    auth_before_tls: bool = False
    port: int | None = None
    about: str = ""


SERVER_KINDS: dict[str, ServerKind] = {
    "ssl": ServerKind("ssl", "good_tls", about="implicit TLS, trusted CA, AUTH required"),
    "ssl/untrusted": ServerKind("ssl", "untrusted_tls", about="implicit TLS, certificate from an untrusted CA"),
    "ssl/wrong-name": ServerKind("ssl", "wrong_name_tls", about="implicit TLS, certificate for mail.elsewhere.test"),
    "ssl/expired": ServerKind("ssl", "expired_tls", about="implicit TLS, expired certificate"),
    "starttls": ServerKind("starttls", "good_tls", about="STARTTLS, AUTH offered and required only after TLS"),
    "starttls/untrusted": ServerKind("starttls", "untrusted_tls", about="STARTTLS, certificate from an untrusted CA"),
    "starttls/wrong-name": ServerKind("starttls", "wrong_name_tls", about="STARTTLS, certificate for mail.elsewhere.test"),
    "starttls/expired": ServerKind("starttls", "expired_tls", about="STARTTLS, expired certificate"),
    "starttls+auth-before-tls": ServerKind("starttls", "good_tls", auth_before_tls=True,
                                           about="STARTTLS offered, AUTH offered (and required) before TLS too"),
    "plain+auth": ServerKind("plain", about="no TLS, AUTH offered in the clear and required"),
    "plain-no-auth": ServerKind("plain", auth="none", about="no TLS, AUTH not offered, anyone may send (an internal relay)"),
    "closed": ServerKind("closed", about="nothing listening: connection refused"),
    "silent": ServerKind("silent", about="accepts the connection, never greets"),
    "ssl@465": ServerKind("ssl", "good_tls", port=465, about="implicit TLS on port 465 itself"),
    "starttls@587": ServerKind("starttls", "good_tls", port=587, about="STARTTLS on port 587 itself"),
    "starttls@25": ServerKind("starttls", "good_tls", port=25, about="STARTTLS on port 25 itself"),
}


@dataclass(frozen=True)
class Variant:
    """A client as an app uses it: the harness driver and the options that fix the pattern."""

    driver: str
    fixed: dict[str, Any] = field(default_factory=dict)
    about: str = ""


VARIANTS: dict[str, Variant] = {
    "smtplib seed003": Variant("smtplib", {"pattern": "seed003"},
                               "seed 003's FAuth._send_email: SMTP(host, port); starttls() if MAIL_USE_TLS; login(); send_message()"),
    "smtplib SMTP_SSL": Variant("smtplib", {"pattern": "ssl"}, "SMTP_SSL(host, port), no context"),
    "smtplib SMTP_SSL+context": Variant("smtplib", {"pattern": "ssl", "verify": True},
                                        "SMTP_SSL(host, port, context=ssl.create_default_context())"),
    "smtplib starttls()": Variant("smtplib", {"pattern": "starttls"}, "SMTP(host, port); starttls(), no context"),
    "smtplib starttls(context)": Variant("smtplib", {"pattern": "starttls", "verify": True},
                                         "SMTP(host, port); starttls(context=ssl.create_default_context())"),
    "smtplib plain": Variant("smtplib", {"pattern": "plain"}, "SMTP(host, port); login() if a user is set"),
    "flask-mail": Variant("flask-mail", {}, "Flask-Mail 0.10 Mail(app).send(Message(...))"),
    "django": Variant("django", {}, "django.core.mail.send_mail with the SMTP EmailBackend"),
    "aiosmtplib seed004": Variant("aiosmtplib", {"api": "seed004"},
                                  "seed 004: SMTP(hostname, port, use_tls=security_protocol == 'TLS'); connect(); login(); send_message()"),
    "aiosmtplib send": Variant("aiosmtplib", {"api": "send"}, "aiosmtplib.send(message, hostname=..., port=..., ...)"),
    "nodemailer": Variant("nodemailer", {}, "nodemailer.createTransport({host, port, secure, requireTLS, ignoreTLS, auth, tls}).sendMail()"),
}


@dataclass(frozen=True)
class Case:
    variant: str
    server: str
    flags: dict[str, Any]
    expect: str
    creds: Creds = "good"
    timeout: float | None = None  # the library's own timeout; None: the app passes none
    trust: str = "env"  # see harness: env (CA in the trust store), arg, system
    default_port: bool = False  # the app gives no port: the library's default (server on 25/465/587)
    claim: str = ""
    differs: str = ""

    @property
    def hangs(self) -> bool:
        return self.expect == HUNG

    @property
    def id(self) -> str:
        flags = ",".join(k if v is True else f"{k}={v}" for k, v in self.flags.items()) or "-"
        parts = [self.variant.replace(" ", "_"), self.server, flags, f"creds={self.creds}"]
        if self.timeout is not None:
            parts.append(f"timeout={self.timeout:g}")
        if self.trust != "env":
            parts.append(f"trust={self.trust}")
        if self.default_port:
            parts.append("port=default")
        return "|".join(parts)

    def settings(self, port: int, ca_file: str, recipient: str) -> dict[str, Any]:
        """The driver's JSON for this case against a server on ``port``."""
        variant = VARIANTS[self.variant]
        user, password = {"good": (USER, PASSWORD), "wrong": (USER, "not-the-password"),
                          "none": (None, None), "user-only": (USER, None)}[self.creds]
        settings: dict[str, Any] = {
            "host": "localhost", "port": None if self.default_port else port, "user": user, "password": password,
            "sender": USER, "recipient": recipient, "timeout": self.timeout,
            "ca_file": ca_file, "trust": self.trust,
            "hard_timeout": HANG_TIMEOUT if self.hangs else HARD_TIMEOUT,
        }
        if variant.driver == "nodemailer":
            # nodemailer resolves host names with its own DNS queries: connect to the address,
            # and verify the certificate for the name the app would have used.
            settings.update(host="127.0.0.1", servername="localhost")
        settings.update(variant.fixed)
        settings.update({key: client_pem(ca_file) if value == CLIENT_PEM else value
                         for key, value in self.flags.items()})
        return settings


CLIENT_PEM = "<client.pem>"  # a flag value: the path of a client certificate and key, see client_pem


def client_pem(ca_file: str) -> str:
    """Where the test writes a client certificate (with its key), beside the CA file."""
    return str(Path(ca_file).with_name("client.pem"))


NOT_VERIFIED = "certificates not verified (ssl._create_stdlib_context)"
AUTH_MISSING = r"SMTPNotSupportedError: SMTP AUTH extension not supported by server\."
STARTTLS_MISSING = r"SMTPNotSupportedError: STARTTLS extension not supported by server\."
AUTH_REQUIRED_PY = r"SMTPSenderRefused: \(530, b'5\.7\.0 Authentication required'"
BAD_LOGIN_PY = r"SMTPAuthenticationError: \(535, b'5\.7\.8 Authentication credentials invalid'\)"
REFUSED_PY = r"ConnectionRefusedError: \[Errno 111\] Connection refused"
WRONG_VERSION_PY = r"SSLError: \[SSL: WRONG_VERSION_NUMBER\] wrong version number"
UNTRUSTED_PY = r"SSLCertVerificationError: .*certificate verify failed: (unable to get local issuer certificate|self.signed certificate in certificate chain)"
WRONG_NAME_PY = r"SSLCertVerificationError: .*certificate verify failed: Hostname mismatch, certificate is not valid for 'localhost'"
EXPIRED_PY = r"SSLCertVerificationError: .*certificate verify failed: certificate has expired"
HANDSHAKE_TIMEOUT_PY = r"TimeoutError: .*The handshake operation timed out"
NO_GREETING_PY = r"SMTPServerDisconnected: Connection unexpectedly closed: timed out"

CERTS = ("untrusted", "wrong-name", "expired")
VERIFY_FAILS_PY = dict(zip(CERTS, (UNTRUSTED_PY, WRONG_NAME_PY, EXPIRED_PY), strict=True))


def _cert_cases(variant: str, mode: str, flags: dict[str, Any], fails: dict[str, str] | None,
                claim: str = "", differs: str = "") -> list[Case]:
    """The good certificate delivers; the three bad ones deliver too (``fails`` None: no
    verification) or fail with ``fails[cert]``."""
    cases = [Case(variant, mode, flags, DELIVERED)]
    for cert in CERTS:
        expect = DELIVERED if fails is None else fails[cert]
        cases.append(Case(variant, f"{mode}/{cert}", flags, expect, claim=claim, differs=differs))
    return cases


def smtplib_cases() -> list[Case]:
    v = "smtplib seed003"
    tls, no_tls = {"use_tls": True}, {"use_tls": False}
    cases = _cert_cases(v, "starttls", tls, None, claim=f"starttls() without a context: {NOT_VERIFIED}")
    cases += [
        Case(v, "starttls", no_tls, AUTH_MISSING,
             claim="no AUTH offered: login() raises SMTPNotSupportedError"),
        Case(v, "starttls+auth-before-tls", no_tls, DELIVERED),
        Case(v, "starttls", tls, BAD_LOGIN_PY, creds="wrong"),
        Case(v, "plain+auth", no_tls, DELIVERED),
        Case(v, "plain+auth", tls, STARTTLS_MISSING),
        Case(v, "plain-no-auth", no_tls, AUTH_MISSING,
             claim="no AUTH offered: login() raises SMTPNotSupportedError"),
        Case(v, "ssl", tls, HUNG, claim="SMTP never does implicit TLS; no timeout unless the app passes one"),
        Case(v, "ssl", no_tls, HUNG),
        Case(v, "closed", tls, REFUSED_PY),
        Case(v, "silent", tls, HUNG, claim="smtplib: no timeout unless the app passes one"),
    ]
    v = "smtplib SMTP_SSL"
    cases += _cert_cases(v, "ssl", {}, None, claim=f"SMTP_SSL() without a context: {NOT_VERIFIED}")
    cases += [
        Case(v, "ssl", {}, AUTH_REQUIRED_PY, creds="none"),
        Case(v, "ssl", {}, BAD_LOGIN_PY, creds="wrong"),
        Case(v, "starttls", {}, WRONG_VERSION_PY),
        Case(v, "plain+auth", {}, WRONG_VERSION_PY),
        Case(v, "silent", {}, HUNG),
        Case(v, "silent", {}, HANDSHAKE_TIMEOUT_PY, timeout=LIBRARY_TIMEOUT),
    ]
    v = "smtplib SMTP_SSL+context"
    cases += _cert_cases(v, "ssl", {}, VERIFY_FAILS_PY)
    cases += [
        Case(v, "ssl", {}, UNTRUSTED_PY, trust="system"),
        Case(v, "ssl", {}, DELIVERED, trust="arg"),
    ]
    v = "smtplib starttls()"
    cases += _cert_cases(v, "starttls", {}, None, claim=f"starttls() without a context: {NOT_VERIFIED}")
    cases += [
        Case(v, "plain+auth", {}, STARTTLS_MISSING),
        Case(v, "ssl", {}, NO_GREETING_PY, timeout=LIBRARY_TIMEOUT),
        Case(v, "closed", {}, REFUSED_PY, timeout=LIBRARY_TIMEOUT),
    ]
    cases += [
        Case("smtplib SMTP_SSL", "ssl@465", {}, DELIVERED, default_port=True, claim="SMTP_SSL 465"),
        Case(v, "starttls@25", {}, DELIVERED, default_port=True, claim="SMTP 25"),
    ]
    v = "smtplib starttls(context)"
    cases += _cert_cases(v, "starttls", {}, VERIFY_FAILS_PY)
    v = "smtplib plain"
    cases += [
        Case(v, "plain-no-auth", {}, DELIVERED, creds="none"),
        Case(v, "plain-no-auth", {}, AUTH_MISSING, claim="no AUTH offered: login() raises SMTPNotSupportedError"),
        Case(v, "starttls", {}, AUTH_MISSING),
        Case(v, "starttls", {}, AUTH_REQUIRED_PY, creds="none"),
    ]
    return cases


def flask_mail_cases() -> list[Case]:
    v = "flask-mail"
    tls, ssl_, none = {"MAIL_USE_TLS": True}, {"MAIL_USE_SSL": True}, {}
    claim = "not verified (inherits smtplib)"
    cases = _cert_cases(v, "starttls", tls, None, claim=claim)
    cases += _cert_cases(v, "ssl", ssl_, None, claim=claim)
    cases += [
        Case(v, "ssl", {"MAIL_USE_TLS": True, "MAIL_USE_SSL": True}, STARTTLS_MISSING),
        Case(v, "starttls", none, AUTH_MISSING),
        Case(v, "starttls", none, AUTH_REQUIRED_PY, creds="none"),
        Case(v, "starttls", tls, AUTH_REQUIRED_PY, creds="user-only",
             claim="login only if a username is set",
             differs="logs in only if MAIL_USERNAME and MAIL_PASSWORD are both set: a username alone sends without login"),
        Case(v, "starttls", tls, BAD_LOGIN_PY, creds="wrong"),
        Case(v, "starttls", ssl_, WRONG_VERSION_PY),
        Case(v, "ssl", tls, HUNG, claim="no timeout"),
        Case(v, "plain+auth", none, DELIVERED),
        Case(v, "plain+auth", tls, STARTTLS_MISSING),
        Case(v, "plain-no-auth", none, AUTH_MISSING),
        Case(v, "plain-no-auth", none, DELIVERED, creds="none"),
        Case(v, "plain-no-auth", none, DELIVERED, creds="user-only",
             claim="login only if a username is set",
             differs="logs in only if MAIL_USERNAME and MAIL_PASSWORD are both set: a username alone sends without login"),
        Case(v, "closed", tls, REFUSED_PY),
        Case(v, "silent", tls, HUNG, claim="no timeout"),
        Case(v, "starttls@25", tls, DELIVERED, default_port=True, claim="default port 25"),
        Case(v, "starttls@25", ssl_, WRONG_VERSION_PY, default_port=True,
             claim="default port 25 (MAIL_USE_SSL does not change it)"),
    ]
    return cases


def django_cases() -> list[Case]:
    v = "django"
    tls, ssl_, none = {"EMAIL_USE_TLS": True}, {"EMAIL_USE_SSL": True}, {}
    claim = "verified (ssl.create_default_context())"
    cases = _cert_cases(v, "starttls", tls, VERIFY_FAILS_PY, claim=claim)
    cases += _cert_cases(v, "ssl", ssl_, VERIFY_FAILS_PY, claim=claim)
    cases += [
        Case(v, "starttls", tls, UNTRUSTED_PY, trust="system",
             claim="the CA comes from the trust store (SSL_CERT_FILE), Django has no CA setting"),
        Case(v, "ssl", {"EMAIL_USE_TLS": True, "EMAIL_USE_SSL": True},
             r"ValueError: EMAIL_USE_TLS/EMAIL_USE_SSL are mutually exclusive",
             claim="EMAIL_USE_SSL and EMAIL_USE_TLS both → ValueError"),
        Case(v, "starttls", none, AUTH_MISSING),
        Case(v, "starttls", tls, BAD_LOGIN_PY, creds="wrong"),
        Case(v, "starttls", tls, AUTH_REQUIRED_PY, creds="user-only",
             claim="logs in only if user and password are set"),
        Case(v, "starttls", ssl_, WRONG_VERSION_PY),
        Case(v, "ssl", tls, HUNG, claim="EMAIL_TIMEOUT default None"),
        Case(v, "ssl", tls, NO_GREETING_PY, timeout=LIBRARY_TIMEOUT),
        Case(v, "plain+auth", none, DELIVERED),
        Case(v, "plain+auth", tls, STARTTLS_MISSING),
        Case(v, "plain-no-auth", none, AUTH_MISSING),
        Case(v, "plain-no-auth", none, DELIVERED, creds="user-only",
             claim="logs in only if user and password are set"),
        Case(v, "plain-no-auth", none, DELIVERED, creds="none"),
        Case(v, "closed", tls, REFUSED_PY),
        Case(v, "silent", tls, HUNG, claim="EMAIL_TIMEOUT default None"),
        Case(v, "silent", tls, NO_GREETING_PY, timeout=LIBRARY_TIMEOUT),
        Case(v, "starttls@25", tls, DELIVERED, default_port=True, claim="default port 25"),
        Case(v, "starttls@25", ssl_, WRONG_VERSION_PY, default_port=True,
             claim="default port 25 (EMAIL_USE_SSL does not change it)"),
        Case(v, "starttls", {**tls, "EMAIL_SSL_CERTFILE": CLIENT_PEM, "EMAIL_SSL_KEYFILE": CLIENT_PEM},
             UNTRUSTED_PY, claim="verified (ssl.create_default_context())",
             differs="only without EMAIL_SSL_CERTFILE/KEYFILE: with a client certificate Django builds "
                     "SSLContext(PROTOCOL_TLS_CLIENT), which trusts no CA, so every server certificate fails"),
    ]
    return cases


AIO_VERIFY_FAILS = {
    "untrusted": r"SMTPConnectError: Error connecting to localhost on port \d+: \[SSL: CERTIFICATE_VERIFY_FAILED\] certificate verify failed: (unable to get local issuer certificate|self.signed certificate in certificate chain)",
    "wrong-name": r"SMTPConnectError: Error connecting to localhost on port \d+: \[SSL: CERTIFICATE_VERIFY_FAILED\] certificate verify failed: Hostname mismatch",
    "expired": r"SMTPConnectError: Error connecting to localhost on port \d+: \[SSL: CERTIFICATE_VERIFY_FAILED\] certificate verify failed: certificate has expired",
}
# A STARTTLS upgrade's verification failure is not wrapped in SMTPConnectError as implicit TLS's is.
AIO_STARTTLS_FAILS = VERIFY_FAILS_PY
AIO_AUTH_MISSING = (r"SMTPException: The SMTP AUTH extension is not supported by this server\. "
                    r"Try connecting via TLS \(or STARTTLS\)\.")


def aiosmtplib_cases() -> list[Case]:
    v = "aiosmtplib seed004"
    tls, starttls, none = ({"security_protocol": "TLS"}, {"security_protocol": "STARTTLS"},
                           {"security_protocol": "NONE"})
    cases = _cert_cases(v, "ssl", tls, AIO_VERIFY_FAILS, claim="verified")
    cases += _cert_cases(v, "starttls", starttls, AIO_STARTTLS_FAILS,
                         claim="STARTTLS when offered unless start_tls=False; verified")
    cases += [
        Case(v, "starttls", tls, r"SMTPConnectError: Error connecting to localhost on port \d+: \[SSL: WRONG_VERSION_NUMBER\]",
             claim="security_protocol == 'TLS' → use_tls=True: the seed's own Gmail/Outlook examples (587, 'TLS') make implicit TLS on a STARTTLS port"),
        Case(v, "ssl", {"security_protocol": "tls"}, HUNG,
             claim="security_protocol == 'TLS' is case-sensitive; default timeout 60 s"),
        Case(v, "ssl", {"security_protocol": "SSL"}, HUNG),
        Case(v, "plain+auth", none, DELIVERED),
        Case(v, "plain-no-auth", none, AIO_AUTH_MISSING, claim="no AUTH offered: login() raises"),
        Case(v, "plain-no-auth", none, DELIVERED, creds="none"),
        Case(v, "starttls", starttls, r"SMTPAuthenticationError: \(535, '5\.7\.8 Authentication credentials invalid'\)",
             creds="wrong"),
        Case(v, "starttls", starttls, r"SMTPSenderRefused: \(530, '5\.7\.0 Authentication required'", creds="none"),
        Case(v, "ssl", tls, DELIVERED, trust="arg"),
        Case(v, "ssl@465", tls, DELIVERED, default_port=True, claim="465 with use_tls"),
        Case(v, "starttls", starttls, AIO_STARTTLS_FAILS["untrusted"], trust="system"),
        Case(v, "closed", starttls, r"SMTPConnectError: Error connecting to localhost on port \d+: \[Errno 111\]"),
        Case(v, "silent", starttls, HUNG, claim="timeouts 60 s"),
    ]
    v = "aiosmtplib send"
    cases += [
        Case(v, "starttls", {"use_tls": False}, DELIVERED,
             claim="use_tls=False, start_tls default: upgrades when STARTTLS is offered"),
        Case(v, "starttls", {"start_tls": False}, AIO_AUTH_MISSING,
             claim="start_tls=False: no upgrade"),
        Case(v, "plain+auth", {"start_tls": True}, r"SMTPException: SMTP STARTTLS extension not supported by server\."),
        Case(v, "plain+auth", {}, DELIVERED),
        Case(v, "starttls", {"use_tls": True}, r"SMTPConnectError: .*WRONG_VERSION_NUMBER"),
        Case(v, "ssl/untrusted", {"use_tls": True, "validate_certs": False}, DELIVERED),
        Case(v, "ssl", {"use_tls": True, "start_tls": True}, r"ValueError: The start_tls and use_tls options are not compatible\."),
        Case(v, "silent", {}, r"SMTPConnectTimeoutError: Timed out waiting for server ready message", timeout=LIBRARY_TIMEOUT),
        Case(v, "ssl", {}, r"SMTPConnectTimeoutError: Timed out waiting for server ready message", timeout=LIBRARY_TIMEOUT),
        Case(v, "ssl@465", {"use_tls": True}, DELIVERED, default_port=True, claim="465 with use_tls"),
        Case(v, "starttls@587", {"start_tls": True}, DELIVERED, default_port=True, claim="else 587 with start_tls"),
        Case(v, "starttls@25", {}, DELIVERED, default_port=True,
             claim="else 25 (start_tls unset: upgrades when offered)"),
    ]
    return cases


NODE_VERIFY_FAILS = {
    "untrusted": r"Error \[(ESOCKET|ETLS)\]: (unable to get local issuer certificate|self.signed certificate in certificate chain|unable to verify the first certificate)",
    "wrong-name": r"Error \[(ESOCKET|ETLS)\]: Hostname/IP does not match certificate's altnames",
    "expired": r"Error \[(ESOCKET|ETLS)\]: certificate has expired",
}
NODE_GREETING = r"Error \[ETIMEDOUT\]: Greeting never received"
NODE_AUTH_REQUIRED = r"Error \[EENVELOPE\]: .*530 5\.7\.0 Authentication required"


def nodemailer_cases() -> list[Case]:
    v = "nodemailer"
    secure = {"secure": True}
    cases = _cert_cases(v, "ssl", secure, NODE_VERIFY_FAILS, claim="verified (Node defaults)")
    cases += _cert_cases(v, "starttls", {}, NODE_VERIFY_FAILS, claim="STARTTLS opportunistic; verified")
    cases += [
        Case(v, "ssl", {}, HUNG, claim="secure unset and port ≠ 465: plaintext; greeting timeout 30 s"),
        Case(v, "ssl", {"secure": False}, NODE_GREETING, timeout=LIBRARY_TIMEOUT,
             claim="secure:false on an implicit-TLS port fails"),
        Case(v, "ssl@465", {}, DELIVERED, claim="with secure unset, port 465 means implicit TLS"),
        Case(v, "starttls", {"requireTLS": True}, DELIVERED),
        Case(v, "plain+auth", {"requireTLS": True}, r"Error \[ETLS\]: Error upgrading connection with STARTTLS: 454 TLS not available"),
        Case(v, "starttls", {"ignoreTLS": True}, NODE_AUTH_REQUIRED,
             claim="no AUTH offered (before TLS): skips login and sends"),
        Case(v, "starttls", secure, r"Error \[ESOCKET\]: .*wrong version number"),
        Case(v, "plain+auth", {}, DELIVERED),
        Case(v, "plain-no-auth", {}, DELIVERED, claim="no AUTH offered: skips login and sends"),
        Case(v, "plain-no-auth", {}, DELIVERED, creds="none"),
        Case(v, "starttls", {}, NODE_AUTH_REQUIRED, creds="none"),
        Case(v, "starttls", {}, r"Error \[EAUTH\]: Invalid login: 535 5\.7\.8 Authentication credentials invalid",
             creds="wrong"),
        Case(v, "starttls", {}, DELIVERED, trust="arg"),
        Case(v, "starttls", {}, NODE_VERIFY_FAILS["untrusted"], trust="system"),
        Case(v, "closed", {}, r"Error \[ESOCKET\]: connect ECONNREFUSED 127\.0\.0\.1:\d+"),
        Case(v, "silent", {}, HUNG, claim="connection 2 min, greeting 30 s"),
        Case(v, "silent", {}, NODE_GREETING, timeout=LIBRARY_TIMEOUT),
        Case(v, "ssl@465", secure, DELIVERED, default_port=True, claim="465 if secure"),
        Case(v, "starttls@587", {}, DELIVERED, default_port=True, claim="else 587"),
    ]
    return cases


CASES: list[Case] = [*smtplib_cases(), *flask_mail_cases(), *django_cases(), *aiosmtplib_cases(),
                     *nodemailer_cases()]
