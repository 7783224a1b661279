"""`check --accounts` on many accounts against loopback servers, side by side with a bare
aiosmtplib script doing the same steps (connect, STARTTLS, EHLO, AUTH, MAIL/RCPT/RSET)
with the same concurrency. Both run as processes, start-up included.

    python bench/fleet.py [ROWS] [CONCURRENCY] [RUNS] [--against DIR]

Prints checks per second, the ratio to the bare script, and peak RSS (medians of RUNS, 3 by
default, the programs taking turns after one unmeasured turn; with ``--against DIR`` that
checkout's smtpdoctor takes its turn too). Bytecode is cached as after a pip install, even
where PYTHONDONTWRITEBYTECODE is set.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import trustme

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.startup import ENVIRONMENT, OURS, options
from tests.console import measured_cpu
from tests.servers import PASSWORD, USER, SMTPServer

SCRIPT = Path(sys.executable).parent / "smtpdoctor"
BARE = """
import asyncio, json, ssl, sys
import aiosmtplib

rows = [json.loads(line) for line in open(sys.argv[1])]
context = ssl.create_default_context(cafile=sys.argv[2])
limit = asyncio.Semaphore(int(sys.argv[3]))

async def one(row):
    async with limit:
        client = aiosmtplib.SMTP(hostname=row["smtp_host"], port=row["smtp_port"], start_tls=True,
                                 tls_context=context, timeout=10)
        await client.connect()
        await client.login(row["smtp_username"], row["smtp_password"])
        await client.mail(row["from_email"])
        await client.rcpt(row["from_email"])
        await client.rset()
        await client.quit()

async def main():
    await asyncio.gather(*(one(r) for r in rows))

asyncio.run(main())
"""


@contextlib.contextmanager
def starttls_server(folder: str) -> Iterator[tuple[SMTPServer, str]]:
    """A loopback STARTTLS server with a certificate from a fresh test CA, and that CA's file."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    ca_file = os.path.join(folder, "ca.pem")
    ca.cert_pem.write_to_path(ca_file)
    with SMTPServer("starttls", context) as server:
        yield server, ca_file


def timed(argv: list[str], env: dict[str, str] = ENVIRONMENT) -> tuple[float, float, int, float]:
    """Wall seconds, peak RSS (MiB) of the process, exit code, CPU seconds (user + system)."""
    proc, took, peak, cpu = measured_cpu(argv, stdout=subprocess.DEVNULL, env=env)
    return took, peak, proc.returncode, cpu


def main() -> None:
    args, against = options(sys.argv[1:])
    rows = int(args[0]) if args else 200
    concurrency = int(args[1]) if len(args) > 1 else 20
    runs = int(args[2]) if len(args) > 2 else 3
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as folder, starttls_server(folder) as (server, ca_file):
        source = os.path.join(folder, "accounts.jsonl")
        with open(source, "w") as out:
            for i in range(rows):
                account = {"tenant_id": f"t{i}", "setting_name": "main", "smtp_host": "localhost",
                           "smtp_port": server.port, "smtp_username": USER, "smtp_password": PASSWORD,
                           "security_protocol": "STARTTLS", "from_email": USER}
                out.write(json.dumps(account) + "\n")
        bare_file = os.path.join(folder, "bare.py")
        Path(bare_file).write_text(BARE)
        ours_argv = [str(SCRIPT), "check", "--accounts", source, "--ca-file", ca_file, "--alt-ports", "none",
                     "--concurrency", str(concurrency), "--per-host", str(concurrency), "--json"]
        bare, ours, before = [], [], []
        for turn in range(runs + 1):  # the first, unmeasured, writes the bytecode of a checkout
            bare_run = timed([sys.executable, bare_file, source, ca_file, str(concurrency)])
            ours_run = timed(ours_argv, OURS)
            before_run = timed(ours_argv, {**ENVIRONMENT, "PYTHONPATH": against}) if against else None
            if turn:
                bare.append(bare_run)
                ours.append(ours_run)
                if before_run:
                    before.append(before_run)
        bare_s, bare_mb, bare_code, bare_cpu = (statistics.median(x[i] for x in bare) for i in range(4))
        ours_s, ours_mb, ours_code, ours_cpu = (statistics.median(x[i] for x in ours) for i in range(4))
    print(f"{rows} accounts, concurrency {concurrency}, one loopback STARTTLS server (aiosmtpd), "
          f"median of {runs}")
    print(f"bare aiosmtplib script   {bare_s:6.2f} s  {rows / bare_s:6.1f} checks/s  peak {bare_mb:5.1f} MiB"
          f"  CPU {bare_cpu:5.2f} s  exit {bare_code}")
    print(f"smtpdoctor --accounts    {ours_s:6.2f} s  {rows / ours_s:6.1f} checks/s  peak {ours_mb:5.1f} MiB"
          f"  CPU {ours_cpu:5.2f} s  exit {ours_code}")
    print(f"ratio                    {ours_s / bare_s:6.2f}× the bare script's time, "
          f"{ours_cpu / bare_cpu:4.2f}× its CPU (goal ≤ 1.25×, peak RSS ≤ 64 MiB)")
    if before:
        before_s, before_mb, _, before_cpu = (statistics.median(x[i] for x in before) for i in range(4))
        print(f"smtpdoctor [before]      {before_s:6.2f} s  {rows / before_s:6.1f} checks/s  peak "
              f"{before_mb:5.1f} MiB  CPU {before_cpu:5.2f} s  ({before_s / bare_s:4.2f}× the bare script's "
              f"time, {before_cpu / bare_cpu:4.2f}× its CPU)")


if __name__ == "__main__":
    main()
