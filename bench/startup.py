"""Start-up time of the commands, against `python -c pass`, as medians of N runs.

    python bench/startup.py [N]

Run it on a quiet machine; it is a measurement, not a test.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = Path(sys.executable).parent / "smtpdoctor"
CASES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "smtpdoctor --help": [str(SCRIPT), "--help"],
    "smtpdoctor providers": [str(SCRIPT), "providers"],
    "smtpdoctor explain EAUTH": [str(SCRIPT), "explain", "EAUTH"],
    "smtpdoctor config": [str(SCRIPT), "config", "--env-file", "/dev/null"],
}


def median_ms(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    baseline = median_ms(CASES["python -c pass"], runs)
    print(f"median of {runs} runs")
    for name, command in CASES.items():
        ms = median_ms(command, runs)
        print(f"{name:28} {ms:7.1f} ms  (+{ms - baseline:5.1f} ms over python -c pass)")


if __name__ == "__main__":
    main()
