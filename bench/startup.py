"""Start-up time of the commands, against `python -c pass` and `import click`,
as medians of N runs.

    python bench/startup.py [N]

Run it on a quiet machine; it is a measurement, not a test.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = Path(sys.executable).parent / "smtpdoctor"
CASES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "python -c 'import click'": [sys.executable, "-c", "import click"],
    "smtpdoctor --help": [str(SCRIPT), "--help"],
    "smtpdoctor providers": [str(SCRIPT), "providers"],
    "smtpdoctor explain EAUTH": [str(SCRIPT), "explain", "EAUTH"],
    "smtpdoctor config": [str(SCRIPT), "config", "--env-file", "/dev/null"],
}


# As installed: bytecode cached (pip compiles it at install time); a first,
# unmeasured run writes it for an editable checkout.
ENVIRONMENT = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def median_ms(command: list[str], runs: int) -> float:
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                   env=ENVIRONMENT)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                       env=ENVIRONMENT)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    baseline = median_ms(CASES["python -c pass"], runs)
    click_ms = median_ms(CASES["python -c 'import click'"], runs)
    print(f"median of {runs} runs; goals: --help ≤ 1.5×, providers and explain ≤ 2.5× import click")
    for name, command in CASES.items():
        ms = median_ms(command, runs)
        print(f"{name:28} {ms:7.1f} ms  (+{ms - baseline:5.1f} ms over python -c pass, "
              f"{ms / click_ms:4.2f}× import click)")


if __name__ == "__main__":
    main()
