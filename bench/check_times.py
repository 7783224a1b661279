"""Wall time of `smtpdoctor check` against loopback servers, as medians of N.

    python bench/check_times.py [N]

Shows the cost of a full passing check, of a failure whose fix is verified on
the wire and re-run, and how soon a silent server or a dropped port gets its
verdict with --timeout 2 (alternative ports included).
"""

from __future__ import annotations

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
from tests.oauth_servers import CLIENT_SECRET, REFRESH_TOKEN, OAuthRecorder, TokenEndpoint
from tests.servers import PASSWORD, USER, DroppingPort, SilentServer, SMTPServer

SCRIPT = Path(sys.executable).parent / "smtpdoctor"


def timed(args: list[str], runs: int) -> tuple[float, int]:
    times, code = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        code = subprocess.run([str(SCRIPT), *args], capture_output=True, check=False).returncode
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), code


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    with tempfile.TemporaryDirectory() as folder:
        ca_file = os.path.join(folder, "ca.pem")
        ca.cert_pem.write_to_path(ca_file)

        def env(port: int, extra: str = "") -> str:
            path = os.path.join(folder, f"{port}{len(extra)}.env")
            Path(path).write_text(f"SMTP_HOST=localhost\nSMTP_PORT={port}\nSMTP_USER={USER}\n"
                                  f"SMTP_PASSWORD={PASSWORD}\n{extra}")
            return path

        def oauth_env(port: int, url: str) -> str:
            endpoint_port = url.rsplit(":", 1)[1].split("/")[0]
            path = os.path.join(folder, f"oauth{port}-{endpoint_port}.env")
            Path(path).write_text(f"SMTP_HOST=localhost\nSMTP_PORT={port}\nSMTP_USER={USER}\n"
                                  f"SMTP_OAUTH2_CLIENT_ID=bench\nSMTP_OAUTH2_CLIENT_SECRET={CLIENT_SECRET}\n"
                                  f"SMTP_OAUTH2_REFRESH_TOKEN={REFRESH_TOKEN}\nSMTP_OAUTH2_TOKEN_URL={url}\n")
            return path

        with SMTPServer("starttls", context) as good, SilentServer() as silent, \
                DroppingPort() as dropped, DroppingPort() as alt1, DroppingPort() as alt2, \
                SMTPServer("starttls", context, handler=OAuthRecorder()) as oauth, \
                TokenEndpoint() as endpoint:
            cases = {
                "full check, STARTTLS, passes": ["check", "--env-file", env(good.port),
                                                 "--ca-file", ca_file, "--alt-ports", "none"],
                "wrong TLS mode: fix verified, checks re-run": [
                    "check", "--env-file", env(good.port, "SMTP_SECURE=true\n"), "--ca-file",
                    ca_file, "--alt-ports", "none"],
                "silent server, --timeout 2": ["check", "--env-file", env(silent.port),
                                               "--timeout", "2", "--alt-ports", "none"],
                "dropped port + 3 dropped alternatives, --timeout 2": [
                    "check", "--env-file", env(dropped.port), "--timeout", "2",
                    "--alt-ports", f"{alt1.port},{alt2.port},{good.port}"],
                "OAuth2 refresh flow + XOAUTH2, passes": [
                    "check", "--env-file", oauth_env(oauth.port, endpoint.url), "--ca-file", ca_file,
                    "--alt-ports", "none"],
                "OAuth2, silent token endpoint, --timeout 2": [
                    "check", "--env-file", oauth_env(oauth.port, f"http://127.0.0.1:{silent.port}/token"),
                    "--ca-file", ca_file, "--alt-ports", "none", "--timeout", "2"],
            }
            print(f"median of {runs} runs")
            for name, args in cases.items():
                ms, code = timed(args, runs)
                print(f"{name:52} {ms:7.0f} ms  exit {code}")


if __name__ == "__main__":
    main()
