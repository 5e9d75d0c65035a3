"""Dovecot stopped mid-backfill and started again: the store ends exactly as an uninterrupted run's."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from keepwarm.app import poll
from keepwarm.errors import TransientError
from keepwarm.store import Store
from tests.sync.mailgen import DEFAULT_BACKFILL
from tests.sync.support import Realistic, flag_snapshot, gained_flags, identity, open_mailbox, store_state
from tests.testbed.fixtures import Testbed

BATCH = 100
STOP_AFTER = 4


def _full_poll(testbed: Testbed, realistic: Realistic, store: Store, batch_size: int) -> poll.PollReport:
    box = realistic.box
    mailbox = open_mailbox(testbed, realistic.account)
    try:
        who = identity(realistic.account, box.alias, daemon=box.daemon)
        return poll.poll(
            mailbox, store, who, ["INBOX", "Sent"], box.now, backfill=DEFAULT_BACKFILL, batch_size=batch_size
        )
    finally:
        mailbox.close()


def test_a_server_restart_mid_backfill_ends_in_the_same_state(
    testbed: Testbed, realistic: Realistic, tmp_path: Path
) -> None:
    box = realistic.box
    reference = Store(tmp_path / "reference")
    _full_poll(testbed, realistic, reference, poll.BATCH_SIZE)

    store = Store(tmp_path / "interrupted")
    progress: list[tuple[str, int, int]] = []

    def stop_dovecot_after_some_batches(folder: str, done: int, total: int) -> None:
        progress.append((folder, done, total))
        if len(progress) == STOP_AFTER:
            testbed.dovecot.stop()

    mailbox = open_mailbox(testbed, realistic.account)
    try:
        with pytest.raises(TransientError):
            poll.poll(
                mailbox,
                store,
                identity(realistic.account, box.alias, daemon=box.daemon),
                ["INBOX", "Sent"],
                box.now,
                backfill=DEFAULT_BACKFILL,
                progress=stop_dovecot_after_some_batches,
                batch_size=BATCH,
                commit_every=BATCH,  # a save per batch, so the state at the outage is known exactly
            )
        mailbox.close()  # on a dead connection: must not raise either
    finally:
        started = time.monotonic()
        testbed.dovecot.resume()  # same ports: the rest of the session keeps working
        restart_seconds = time.monotonic() - started

    committed = store_state(store)
    rest = _full_poll(testbed, realistic, store, BATCH)
    final, expected = store_state(store), store_state(reference)
    with testbed.imap_client(realistic.account) as client:
        client.select_folder("INBOX", readonly=True)
        inbox_uids = sorted(client.search(["SINCE", (box.now - DEFAULT_BACKFILL).date()]))

    assert testbed.dovecot.running and restart_seconds < 5
    # The poll stopped at the first batch the dead server could not serve ...
    assert [(f, done) for f, done, _ in progress] == [("INBOX", BATCH * (n + 1)) for n in range(STOP_AFTER)]
    # ... having committed exactly the batches it read, so the next poll resumes right after them.
    assert committed.folders == {"INBOX": (expected.folders["INBOX"][0], inbox_uids[STOP_AFTER * BATCH - 1])}
    assert len(committed.seen) <= STOP_AFTER * BATCH
    assert rest.folders["INBOX"] == len(inbox_uids) - STOP_AFTER * BATCH
    assert (len(final.touches), len(final.seen)) == (len(expected.touches), len(expected.seen))
    assert final.folders == expected.folders
    assert final.seen == expected.seen
    assert final.contacts == expected.contacts
    assert final.skipped == expected.skipped
    assert final.touches == expected.touches
    # The reference itself is right: exactly the touches a reader of the mailbox would count.
    assert Counter((t.address, t.direction.value) for t in reference.touches()) == box.counts()
    assert gained_flags(realistic.flags, flag_snapshot(testbed, realistic.account)) == {}
