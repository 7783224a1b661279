"""A real PostgreSQL server for the tests, started and stopped by them: the system's
initdb/pg_ctl (Debian's postgresql package), run as the postgres user when the tests
run as root, since PostgreSQL refuses to run as root."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.servers import free_port

PG_PASSWORD = "pg-Secret-9xQ"


def pg_bin() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if versions:
        return Path(versions[-1]).parent
    raise RuntimeError("PostgreSQL server binaries not found: install Debian's postgresql package "
                       "(.ci/run does when it can)")


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a throwaway cluster on 127.0.0.1 with password (SCRAM) login; yield its URL."""
    binaries = pg_bin()
    folder = Path(tempfile.mkdtemp(prefix="smtpdoctor-pg-"))
    data, sockets = folder / "data", folder / "sockets"
    sockets.mkdir()
    (folder / "pw").write_text(PG_PASSWORD)
    run_as: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        for path in (folder, sockets, folder / "pw"):
            os.chown(path, user.pw_uid, user.pw_gid)
        run_as = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]
    port = free_port()
    subprocess.run([*run_as, str(binaries / "initdb"), "-D", str(data), "-U", "tenants", "-A", "scram-sha-256",
                    f"--pwfile={folder / 'pw'}", "--no-sync"], check=True, capture_output=True, timeout=120)
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run([*run_as, str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                    str(folder / "log"), "-w", "-t", "60", "start"], check=True, capture_output=True, timeout=120)
    try:
        yield f"postgresql://tenants:{PG_PASSWORD}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*run_as, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)
