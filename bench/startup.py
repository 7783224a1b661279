"""Start-up time of the commands, against `python -c pass` and `import click`,
as medians of N runs.

    python bench/startup.py [N] [--against DIR]

With ``--against DIR`` (a checkout of another commit, e.g. ``git worktree add /tmp/before
HEAD~3``) every command also runs with that tree's package first on the path, in the same
round-robin, and the table gains its ratios: a paired before/after comparison.
Run it on a quiet machine; it is a measurement, not a test.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
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
    # Seed 003's app folder: its config.py is read (issue 18) where the older tree reads none.
    "smtpdoctor config (an app folder)": [str(SCRIPT), "config", "--env-file", "{app}/.env"],
}


# As installed: bytecode cached (pip compiles it at install time); a first,
# unmeasured run writes it for an editable checkout.
ENVIRONMENT = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
# smtpdoctor as this tree has it, whatever an editable install of another checkout points to;
# the bare programs run without PYTHONPATH.
OURS = {**ENVIRONMENT, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}


def once_ms(command: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                   env=env or ENVIRONMENT)
    return (time.perf_counter() - started) * 1000


def options(args: list[str]) -> tuple[list[str], str | None]:
    """The arguments without ``--against DIR``, and that DIR (another checkout) if given."""
    args = list(args)
    against = None
    if "--against" in args:
        at = args.index("--against")
        against = args[at + 1]
        del args[at:at + 2]
    return args, against


def arguments(runs: int) -> tuple[int, str | None]:
    """``[N] [--against DIR]`` from the command line: the runs, and the other tree if any."""
    args, against = options(sys.argv[1:])
    return (int(args[0]) if args else runs), against


def main() -> None:
    runs, against = arguments(15)
    app = Path(tempfile.mkdtemp()) / "seed003"
    shutil.copytree(Path(__file__).resolve().parent.parent / "tests" / "apps" / "seed003", app)
    (app / ".env").write_text("MAIL_USERNAME=1650349938@qq.com\nMAIL_PASSWORD=abcdefghijklmnop\n"
                              "MAIL_DEFAULT_SENDER=1650349938@qq.com\n", encoding="utf-8")
    commands = {n: [part.replace("{app}", str(app)) for part in c] for n, c in CASES.items()}
    cases: dict[str, tuple[list[str], dict[str, str] | None]] = {
        n: (c, OURS if n.startswith("smtpdoctor") else None) for n, c in commands.items()}
    if against:
        other = {**ENVIRONMENT, "PYTHONPATH": against}
        cases |= {f"{n} [before]": (c, other) for n, c in commands.items() if n.startswith("smtpdoctor")}
    for command, env in cases.values():
        once_ms(command, env)  # writes bytecode, warms the file cache
    # Round-robin, so a busy moment of the machine costs every case alike; every ratio is
    # taken against the import-click median of the same runs.
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, (command, env) in cases.items():
            times[name].append(once_ms(command, env))
    medians = {name: statistics.median(ms) for name, ms in times.items()}
    baseline, click_ms = medians["python -c pass"], medians["python -c 'import click'"]
    print(f"median of {runs} runs; goals: --help ≤ 1.3×, providers and explain ≤ 2.0×, "
          "config ≤ 2.5× import click")
    for name, ms in medians.items():
        line = (f"{name:37} {ms:7.1f} ms  (+{ms - baseline:5.1f} ms over python -c pass, "
                f"{ms / click_ms:4.2f}× import click)")
        if f"{name} [before]" in medians:
            line += f"  {ms / medians[name + ' [before]']:4.2f}× before"
        print(line)


if __name__ == "__main__":
    main()
