"""A keepwarm store writer for the crash test: commits batches forever, acknowledging each one.

Run as ``python crash_writer.py STATE_DIR RUN``. After each committed transaction it prints
``ack RUN-N`` and flushes, so the test knows exactly which changes were acknowledged before it
killed the process.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from keepwarm.domain.model import Contact, Direction, Touch
from keepwarm.store import Store


def main() -> None:
    state_dir, run = Path(sys.argv[1]), sys.argv[2]
    store = Store(state_dir, lock_timeout=30)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    n = 0
    while True:
        n += 1
        tag = f"{run}-{n}"
        with store.transaction():
            store.add_contact(Contact(name=f"P {tag}", emails=(f"p{tag}@example.org",), added_at=start))
            store.add_touches(
                Touch(f"p{tag}@example.org", start + timedelta(minutes=i), Direction.OUT, subject=tag)
                for i in range(3)
            )
        print(f"ack {tag}", flush=True)


if __name__ == "__main__":
    main()
