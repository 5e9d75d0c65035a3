"""SIGKILL a real store-writing process at random moments, hundreds of times.

After every kill the store must load, and every change the process acknowledged (printed after
its transaction returned) must be there. TinyDB's stock storage fails this; ours must not.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from keepwarm.domain.model import Direction, Touch
from keepwarm.store import Store

WRITER = Path(__file__).with_name("crash_writer.py")
KILLS = int(os.environ.get("KEEPWARM_CRASH_KILLS", "200"))


def _prefill(state_dir: Path) -> None:
    """Make the file big enough (about 1 MB) that a kill often lands inside a write."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    Store(state_dir).add_touches(
        Touch(f"old{i % 300}@example.org", start + timedelta(hours=i), Direction.IN, subject=f"old {i}")
        for i in range(5000)
    )


def test_store_survives_sigkill_at_random_moments(tmp_path: Path) -> None:
    rng = random.Random(20261126)
    _prefill(tmp_path)
    acknowledged: set[str] = set()
    kills_during_writes = 0
    for run in range(KILLS):
        proc = subprocess.Popen(
            [sys.executable, str(WRITER), str(tmp_path), str(run)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        first = proc.stdout.readline()  # the writer is now committing in a loop
        assert first.startswith("ack "), f"writer failed to start: {first!r}"
        time.sleep(rng.uniform(0, 0.06))
        proc.send_signal(signal.SIGKILL)
        rest = proc.stdout.read()
        proc.wait()
        acknowledged.update(line.split()[1] for line in [first, *rest.splitlines()] if line)
        if any(p.name.startswith(".tmp-") for p in tmp_path.iterdir()):
            kills_during_writes += 1

        store = Store(tmp_path)  # must load: never torn, never empty
        subjects = {t.subject for t in store.touches_for(c.primary_email for c in store.contacts())}
        missing = acknowledged - subjects
        assert not missing, f"after kill {run}: acknowledged changes lost: {sorted(missing)[:5]}"
    # The kills must really have hit writes in progress, or this test proves nothing.
    assert kills_during_writes >= KILLS // 40, kills_during_writes
    print(f"{KILLS} kills, {kills_during_writes} mid-write, {len(acknowledged)} acknowledged batches kept")
