"""``keepwarm demo`` runs the whole loop on its embedded servers, quickly, as a real process."""

from __future__ import annotations

import subprocess
import sys
import time


def test_demo_shows_the_whole_loop() -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "keepwarm", "demo"], capture_output=True, text=True, timeout=120, check=False
    )
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for expected in (
        "First poll (backfill)",
        "skipped as mailing-list",
        "skipped as auto-generated",
        "skipped as no-reply-sender",
        "not tracked yet (keepwarm suggest)",
        "Subject: Check in with",
        "Hi Alice,",
        "'snooze 2w'",
        "The next poll applied it and answered in the same thread:",
        "snoozed Alice Martin until",
    ):
        assert expected in out, f"missing {expected!r} in:\n{out}"
    assert "Traceback" not in done.stderr
    assert "{'" not in out, "a Python repr reached the person reading"
    assert took < 60
