"""``python -m benchmarks``: measure, print each figure with its baseline and ratio, and compare
ratios with benchmarks/baseline.json (``--check``: exit 1 on a ratio more than 20% worse).

The full run (20,000 messages, 200,000 touches) is held to the targets; ``--short`` (CI) uses
smaller sizes, where fixed costs weigh more, and is held to its own saved ratios."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

from benchmarks import backfill, latency, scenarios
from tests.testbed.fixtures import Testbed

BASELINE = Path(__file__).with_name("baseline.json")
SIZES = {
    "full": {
        "messages": 20_000,
        "contacts": 5_000,
        "touches": 200_000,
        "due": 100,
        "replies": 20,
        "idle": 900,
    },
    "short": {"messages": 2_000, "contacts": 1_000, "touches": 20_000, "due": 20, "replies": 5, "idle": 30},
}
TOLERANCE = 1.20


def machine() -> str:
    """Where the figures came from."""
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def measure(n: dict[str, int]) -> list[scenarios.Result]:
    """Every scenario once, on a fresh test bed."""
    # Before the test bed starts: its Dovecot and SMTP threads settling in took the CPU from the
    # --help start-up measured right after them (0.35 s there, 0.22 s on a quiet machine).
    results: list[scenarios.Result] = scenarios.startup()
    bed = Testbed.start()
    try:
        with tempfile.TemporaryDirectory(prefix="keepwarm-bench-") as tmp:
            work = Path(tmp)
            results += backfill.backfill(bed, n["messages"], work)
            results += scenarios.store_scale(bed, n["contacts"], n["touches"], work)
            results += scenarios.reminder_run(bed, n["contacts"], n["due"], work)
            results += latency.reply_latency(bed, n["replies"], n["idle"], work)
    finally:
        bed.stop()
    return results


def _absolute(name: str) -> bool:
    """Figures held to their absolute targets in every run: keepwarm --help and the reply times,
    whose baselines (an empty interpreter start, one SMTP-to-INBOX hop of a few milliseconds) are
    too small to divide by, and the idle logins, a count."""
    return name == "keepwarm --help" or name.startswith(("reply to confirmation", "IMAP logins"))


def _regressions(results: list[scenarios.Result], baseline: dict[str, float]) -> list[str]:
    """Figures whose ratio is more than 20% above the saved one (except the absolute ones)."""
    found = []
    for r in results:
        before = baseline.get(r.name)
        if not _absolute(r.name) and before is not None and r.ratio > before * TOLERANCE:
            found.append(f"{r.name}: ratio {r.ratio:.2f} is more than 20% above the baseline {before}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--short", action="store_true", help="small sizes (CI)")
    parser.add_argument("--check", action="store_true", help="fail on a ratio >20%% worse than the baseline")
    parser.add_argument("--save", action="store_true", help="write these ratios as the new baseline")
    args = parser.parse_args()
    size = "short" if args.short else "full"
    results = measure(SIZES[size])
    saved = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    if args.check and _regressions(results, saved.get(size, {})):
        # A loaded machine can slow one figure by chance: measure again and keep each figure's
        # better run. A real regression shows in both runs and still fails.
        again = {r.name: r for r in measure(SIZES[size])}
        results = [min(r, again.get(r.name, r), key=lambda x: x.ratio) for r in results]
    print(f"keepwarm benchmarks ({size}) on {machine()}")
    print(f"{'figure':<52} {'value':>10} {'baseline':>10} {'ratio':>7}  target      baseline is")
    for r in results:
        value = f"{r.value:>8.3f}{r.unit:>2}"
        base = f"{r.baseline:>8.3f}{r.unit:>2}"
        # The targets are for the full sizes: a short run shows them for reference only.
        missed = "" if r.ok or size == "short" else "   MISSED"
        print(f"{r.name:<52} {value} {base} {r.ratio:>7.2f}  {r.target:<10}  {r.baseline_name}{missed}")
    ratios = {r.name: round(r.ratio, 3) for r in results}
    # The targets are set for the full sizes; the short run (CI) is held to its saved ratios.
    failed = [r.name for r in results if not r.ok and (size == "full" or _absolute(r.name))]
    if args.check:
        failed += _regressions(results, saved.get(size, {}))
    if args.save:
        saved[size] = ratios
        saved[f"{size}_machine"] = machine()
        BASELINE.write_text(json.dumps(saved, indent=1, sort_keys=True) + "\n")
    for name in failed:
        print(f"FAILED: {name}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
