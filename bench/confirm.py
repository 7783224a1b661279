"""What `send-test --confirm` adds to a send, on loopback: the installed console script as a
process, a real IMAP server (pymap) that the loopback SMTP server files each message into at
once, with and without --confirm, the two taking turns.

    python bench/confirm.py [RUNS]

Prints the median wall time of each and the difference (IMAP connect, STARTTLS, login, LIST,
the searches until the message is there, fetch, delete, logout).
"""

from __future__ import annotations

import logging
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trustme

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.startup import ENVIRONMENT
from tests.imap_server import Delivering, IMAPServer
from tests.servers import PASSWORD, USER, SMTPServer

SCRIPT = Path(sys.executable).parent / "smtpdoctor"


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    with tempfile.TemporaryDirectory() as folder:
        ca_file, cert_file, env = (os.path.join(folder, name) for name in ("ca.pem", "cert.pem", ".env"))
        ca.cert_pem.write_to_path(ca_file)
        ca.issue_cert("localhost", "127.0.0.1").private_key_and_cert_chain_pem.write_to_path(cert_file)
        with IMAPServer(USER, "imap-Secret-42", cert_file, ca_file) as imap, \
                SMTPServer("starttls", context, handler=Delivering(imap=imap)) as smtp:
            Path(env).write_text(f"SMTP_HOST=localhost\nSMTP_PORT={smtp.port}\nSMTP_USER={USER}\n"
                                 f"SMTP_PASSWORD={PASSWORD}\nIMAP_HOST=localhost\nIMAP_PORT={imap.port}\n"
                                 f"IMAP_USER={USER}\nIMAP_PASSWORD=imap-Secret-42\n")
            os.chmod(env, 0o600)
            argv = [str(SCRIPT), "send-test", USER, "--env-file", env, "--ca-file", ca_file,
                    "--alt-ports", "none"]
            plain: list[float] = []
            confirmed: list[float] = []
            for turn in range(runs + 1):  # the first, unmeasured, writes the bytecode of a checkout
                for times, extra in ((plain, []), (confirmed, ["--confirm"])):
                    started = time.perf_counter()
                    done = subprocess.run([*argv, *extra], capture_output=True, env=ENVIRONMENT, check=False)
                    took = time.perf_counter() - started
                    if done.returncode != 0:
                        sys.exit(f"send-test {extra}: exit {done.returncode}\n{done.stdout.decode()}")
                    if turn:
                        times.append(took)
    without, with_confirm = statistics.median(plain), statistics.median(confirmed)
    print(f"send-test on loopback, median of {runs}")
    print(f"without --confirm   {without * 1000:6.0f} ms")
    print(f"with --confirm      {with_confirm * 1000:6.0f} ms  (+{(with_confirm - without) * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
