"""Django's SMTP EmailBackend (5.2) through ``send_mail``, as a Django app sends.

Settings: host, port, user, password, sender, recipient and the settings in Django's own
terms: ``EMAIL_USE_TLS``, ``EMAIL_USE_SSL`` (booleans); ``timeout`` becomes EMAIL_TIMEOUT
(None, Django's default, when absent); ``EMAIL_SSL_CERTFILE`` / ``EMAIL_SSL_KEYFILE``, a client
certificate. Django has no CA-file setting: its context is ``ssl.create_default_context()``, so
the CA comes from the trust store — SSL_CERT_FILE (``trust: "env"``) is how a test, or an
operator, adds one. With a client certificate set it builds ``SSLContext(PROTOCOL_TLS_CLIENT)``
instead, which loads no CA at all.
"""

from __future__ import annotations

import django
from _driver import Settings, main
from django.conf import settings as django_settings


def send(settings: Settings) -> None:
    port = {} if settings.get("port") is None else {"EMAIL_PORT": settings["port"]}
    django_settings.configure(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST=settings["host"],
        **port,  # absent: Django's default
        EMAIL_HOST_USER=settings.get("user") or "",
        EMAIL_HOST_PASSWORD=settings.get("password") or "",
        EMAIL_USE_TLS=bool(settings.get("EMAIL_USE_TLS", False)),
        EMAIL_USE_SSL=bool(settings.get("EMAIL_USE_SSL", False)),
        EMAIL_TIMEOUT=settings.get("timeout"),
        DEFAULT_FROM_EMAIL=settings["sender"],
        EMAIL_SSL_CERTFILE=settings.get("EMAIL_SSL_CERTFILE"),
        EMAIL_SSL_KEYFILE=settings.get("EMAIL_SSL_KEYFILE"),
    )
    django.setup()
    from django.core.mail import send_mail

    send_mail("注册验证码", "您的验证码是:123456", None, [settings["recipient"]],
              fail_silently=False)


if __name__ == "__main__":
    main(send)
