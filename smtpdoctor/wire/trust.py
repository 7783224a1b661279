"""The TLS context every checked handshake uses: the system's trust store plus ``--ca-file``.

Reading the system store is OpenSSL parsing ~150 certificates (tens of ms, the largest single
cost of a passing check after the imports), and it needs nothing but the file names. So a
thread reads it, without the GIL, while the command goes on (reading the settings, the
imports, DNS, TCP, EHLO); the context waits for it before its first handshake. This module
imports only what that needs, so the thread starts before asyncio is even imported."""

from __future__ import annotations

import os
import ssl
import sys
import threading
from typing import Any


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """Verification always on: the system store (which honours SSL_CERT_FILE and
    SSL_CERT_DIR), plus ``--ca-file`` — what ``ssl.create_default_context()`` followed by
    ``load_verify_locations(cafile=ca_file)`` makes, in that order, read by a thread.

    A ``--ca-file`` that cannot be used raises here, at once (config.bad_ca_file)."""
    if ca_file:  # read once now for its error; the thread loads it again after the store
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=ca_file)
    context = StoreLoading(ssl.PROTOCOL_TLS_CLIENT)
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = True
    _keylog(context)
    context.start_loading(ca_file)
    return context


def unverified_context() -> ssl.SSLContext:
    """``create_default_context()`` with the checks off, as a failed handshake's second look at
    the certificate uses it: without the system store, which nothing unverified reads."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    _keylog(context)
    return context


def _keylog(context: ssl.SSLContext) -> None:
    keylog = os.environ.get("SSLKEYLOGFILE")  # as create_default_context() honours it
    if keylog and not sys.flags.ignore_environment:
        context.keylog_filename = keylog


class StoreLoading(ssl.SSLContext):
    """A client context whose trust store a thread is still reading. Every handshake waits for
    it: asyncio (aiosmtplib, the sniff) through ``wrap_bio``, urllib and imapclient through
    ``wrap_socket``. Not a daemon thread: the interpreter never exits under OpenSSL's feet."""

    _loader: threading.Thread | None = None
    _error: BaseException | None = None

    def start_loading(self, ca_file: str | None) -> None:
        def load() -> None:
            try:
                self.load_default_certs(ssl.Purpose.SERVER_AUTH)
                if ca_file:
                    self.load_verify_locations(cafile=ca_file)
            except BaseException as exc:  # raised by the first handshake
                self._error = exc

        self._loader = threading.Thread(target=load, name="smtpdoctor-trust-store")
        self._loader.start()

    def loaded(self) -> None:
        """Wait until the store is read (at once after the first time)."""
        if self._loader is not None:
            self._loader.join()
        if self._error is not None:
            raise self._error

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        self.loaded()
        return super().wrap_socket(*args, **kwargs)

    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        self.loaded()
        return super().wrap_bio(*args, **kwargs)

    def get_ca_certs(self, binary_form: bool = False) -> Any:
        self.loaded()
        return super().get_ca_certs(binary_form)

    def cert_store_stats(self) -> dict[str, int]:
        self.loaded()
        return super().cert_store_stats()
