"""Run a Python app folder's own mail code once, as the app would: ``run_python.py FOLDER
KIND RECIPIENT``. The environment holds the app's .env (the harness loads it, as
python-dotenv's load_dotenv() does in the app). KIND: ``module:function`` to call
(``mailer:send``), or ``django`` for a settings module and django.core.mail.send_mail.
Prints one JSON line: {"delivered": bool, "error": "<Class>: <message>"}."""

from __future__ import annotations

import importlib
import json
import os
import sys


def main() -> None:
    folder, kind, recipient = sys.argv[1:4]
    os.chdir(folder)
    sys.path.insert(0, folder)
    try:
        if kind == "django":
            os.environ["DJANGO_SETTINGS_MODULE"] = "settings"
            import django
            from django.core.mail import send_mail

            django.setup()
            send_mail("Code", "123456", None, [recipient])
        else:
            module, function = kind.split(":")
            getattr(importlib.import_module(module), function)(recipient)
    except BaseException as exc:  # what the app would have seen
        print(json.dumps({"delivered": False, "error": f"{type(exc).__name__}: {exc}"}))
        return
    print(json.dumps({"delivered": True}))


if __name__ == "__main__":
    main()
