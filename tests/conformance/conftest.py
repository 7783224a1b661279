"""The conformance suite's own summary: how many pairs ran, how many agreed, and every pair
that did not, printed at the end of the run (also under -q and in CI logs)."""

from __future__ import annotations

from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from tests.conformance.test_pairs import RESULTS

    if not RESULTS:
        return
    strict = [p for p in RESULTS if p.strict_on_purpose]
    agree = [p for p in RESULTS if p.agrees]
    false_green = [p for p in RESULTS if p.exit_code == 0 and not p.delivered]
    false_red = [p for p in RESULTS if p.exit_code != 0 and p.delivered and not p.strict_on_purpose]
    certificates = [p for p in RESULTS if "/" in p.kind]
    fixed = [p for p in RESULTS if p.fixes and p.creds == "good"]
    write = terminalreporter.write_line
    terminalreporter.section("smtpdoctor vs the real clients")
    write(f"pairs: {len(RESULTS)}; agree: {len(agree)}; false green: {len(false_green)}; "
          f"false red: {len(false_red)}; strict on purpose (the app sends, insecurely): {len(strict)}")
    write(f"certificate cases: {len(certificates)} ({sum(p.agrees for p in certificates)} agree, "
          f"{sum(p.strict_on_purpose for p in certificates)} tls.cert_unchecked)")
    write(f"fixes offered (right credentials): {len(fixed)}; the real client delivers after them: "
          f"{sum(bool(p.after_fix) for p in fixed)}")
    for p in (*false_green, *false_red):
        write(f"  disagrees: {p.id}: delivered={p.delivered} exit={p.exit_code} {p.reason}")
    for p in strict:
        write(f"  strict: {p.id}: {p.reason}")
