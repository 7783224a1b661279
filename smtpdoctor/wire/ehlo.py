"""The EHLO name the app's client sends from this machine, so that a server which judges
the name (Google's relay, Postfix's reject_non_fqdn_helo_hostname) judges smtpdoctor's the same.

Each rule is the library's own code, and tests/conformance/test_ehlo.py records what each
real client sends to a loopback server:
- smtplib (and Flask-Mail, which calls it without local_hostname): socket.getfqdn(), or a
  domain literal [address of gethostname()] when that has no dot (smtplib.SMTP.__init__);
- Django: socket.getfqdn() as it is (EmailBackend passes DNS_NAME.get_fqdn());
- aiosmtplib: socket.getfqdn() as it is;
- nodemailer: os.hostname(), or [127.0.0.1] when that has no dot (SMTPConnection._getHostname).
Symfony Mailer (Laravel) and unknown code are not modelled: smtpdoctor sends its own name.
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Callable

from smtpdoctor.wire.net import in_daemon_thread, local_hostname

FQDN_CLIENTS = frozenset({"django", "aiosmtplib"})
LITERAL_FALLBACK_CLIENTS = frozenset({"smtplib", "smtplib-ssl", "flask-mail"})
_IPV4 = re.compile(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$")
# One answer per process: a fleet's thousand checks share this machine's name.
_known: dict[str, str] = {}


async def ehlo_name(client: str, limit: float) -> tuple[str, bool]:
    """The name ``client`` sends, and whether it is the client's (False: smtpdoctor's own,
    for a client not modelled or a name lookup that did not finish within ``limit``)."""
    if client in _known:
        return _known[client], True
    if client == "nodemailer":
        name = socket.gethostname()
        name = "[127.0.0.1]" if "." not in name else f"[{name}]" if _IPV4.match(name) else name
    elif client in FQDN_CLIENTS | LITERAL_FALLBACK_CLIENTS:
        try:
            name = await _with_limit(lambda: _python_name(client), limit)
        except (TimeoutError, OSError):
            return local_hostname(), False
    else:
        return local_hostname(), False
    _known[client] = name
    return name, True


def _python_name(client: str) -> str:
    fqdn = socket.getfqdn()  # a lookup: run in a daemon thread, under the run's limit
    if "." in fqdn or client in FQDN_CLIENTS:
        return fqdn
    try:
        return f"[{socket.gethostbyname(socket.gethostname())}]"
    except OSError:
        return "[127.0.0.1]"


async def _with_limit(func: Callable[[], str], limit: float) -> str:
    async with asyncio.timeout(limit):
        return await in_daemon_thread(func)
