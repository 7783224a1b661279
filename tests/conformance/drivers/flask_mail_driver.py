"""Flask-Mail (0.10) inside a Flask app, the way seed 003's kind of app configures it.

Settings: host, port, user, password, sender, recipient and the app's config values already
as Python values (reading environment strings is the app's job): ``MAIL_USE_TLS``,
``MAIL_USE_SSL`` (booleans, default False like Flask-Mail). Flask-Mail has no timeout
setting, so ``timeout`` is ignored. The CA can only come from the machine's trust store
(``trust: "env"`` → SSL_CERT_FILE), and Flask-Mail does not verify certificates anyway.
"""

from __future__ import annotations

from _driver import Settings, main
from flask import Flask
from flask_mail import Mail, Message


def send(settings: Settings) -> None:
    app = Flask("conformance")
    config = {
        "MAIL_SERVER": settings["host"],
        "MAIL_USE_TLS": bool(settings.get("MAIL_USE_TLS", False)),
        "MAIL_USE_SSL": bool(settings.get("MAIL_USE_SSL", False)),
        "MAIL_DEFAULT_SENDER": settings["sender"],
    }
    if settings.get("port") is not None:  # absent: Flask-Mail's default
        config["MAIL_PORT"] = settings["port"]
    if settings.get("user") is not None:
        config["MAIL_USERNAME"] = settings["user"]
    if settings.get("password") is not None:
        config["MAIL_PASSWORD"] = settings["password"]
    app.config.update(config)
    mail = Mail(app)
    with app.app_context():
        mail.send(Message("注册验证码", recipients=[settings["recipient"]],
                          body="您的验证码是:123456", html="<p>您的验证码是:<b>123456</b></p>"))


if __name__ == "__main__":
    main(send)
