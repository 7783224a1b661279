"""What every Python driver shares: read the settings, arm the watchdog, print one line.

Settings every driver reads: ``host``, ``port`` (null: the driver leaves it out, so the
library's default applies), ``user`` and ``password`` (null: not set), ``sender``,
``recipient``, ``timeout`` (the library's own timeout in seconds where the app would pass one;
null: the app passes none), ``ca_file`` with ``trust`` (see tests/conformance/harness.py), and
``hard_timeout``; the rest are the library's own flags, named in each driver.

A driver is run as ``python DRIVER.py '<json settings>'`` (or the JSON on stdin). It always
prints exactly one JSON line and exits 0, whatever the library does:

- ``{"delivered": true, "error": ""}`` when the library's send returned without raising;
- ``{"delivered": false, "error": "<ExceptionClass>: <message>"}`` when it raised;
- ``{"delivered": false, "error": "Hung: ...", "hung": true}`` when it had not finished after
  ``hard_timeout`` seconds (the watchdog starts after the imports, so a loaded machine does
  not turn a slow start into a hang).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

Settings = dict[str, Any]


def emit(result: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def describe(exc: BaseException) -> str:
    """The exception's class and message, as an app's log line shows them."""
    return f"{type(exc).__name__}: {exc}"


def read_settings() -> Settings:
    text = sys.argv[1] if len(sys.argv) > 1 else sys.stdin.read()
    settings: Settings = json.loads(text)
    return settings


def main(send: Callable[[Settings], None]) -> None:
    settings = read_settings()
    hard = float(settings.get("hard_timeout") or 20)

    def give_up() -> None:
        library = settings.get("timeout")
        given = "none given by the app" if library is None else f"{library:g} s"
        emit({"delivered": False, "hung": True,
              "error": f"Hung: no result after {hard:g} s (library timeout: {given})"})
        os._exit(0)

    watchdog = threading.Timer(hard, give_up)
    watchdog.daemon = True
    watchdog.start()
    try:
        send(settings)
    except BaseException as exc:  # the library's own failure is the result we report
        result = {"delivered": False, "error": describe(exc)}
    else:
        result = {"delivered": True, "error": ""}
    watchdog.cancel()
    emit(result)
    # Leave at once: a library thread still blocked (a resolver, an executor) must not hold
    # the process open after the result is out.
    os._exit(0)
