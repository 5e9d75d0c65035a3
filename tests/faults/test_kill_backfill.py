"""SIGKILL ``keepwarm poll`` at random moments of a backfill, restart it, and lose or double nothing."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from keepwarm.store import Store
from tests.faults.conftest import FilledMailbox, MailboxFactory, mailbox_settings
from tests.faults.support import (
    PROFILES,
    Tally,
    count,
    doubled_touch_keys,
    env_file,
    keepwarm_processes,
    kill_delay,
    kill_when_writing,
    rng_for,
    temp_file_of,
)
from tests.sync.support import StoreState, flag_snapshot, gained_flags, store_state
from tests.testbed.fixtures import Testbed

# Every WRITE_EVERY-th kill waits for a save in progress (its temp file) instead of a random moment,
# so that kills inside the write itself are certain, not a matter of luck.
WRITE_EVERY = 3
RUN_TIMEOUT = 120.0


def _check_after_kill(store: Store, reference: StoreState, progress: dict[str, int], kill: int) -> None:
    """What survives a kill is a prefix of the uninterrupted run: nothing doubled, nothing foreign,
    and no folder ever goes back."""
    assert not doubled_touch_keys(store), f"kill {kill}: doubled touches {doubled_touch_keys(store)}"
    committed = store_state(store)
    extra = Counter(committed.touches) - Counter(reference.touches)
    assert not extra, f"kill {kill}: touches the uninterrupted run does not have: {list(extra)[:3]}"
    assert committed.seen <= reference.seen
    for folder, (uidvalidity, last_uid) in committed.folders.items():
        assert uidvalidity == reference.folders[folder][0]
        assert last_uid >= progress.get(folder, 0), f"kill {kill}: {folder} went back"
        progress[folder] = last_uid


@pytest.mark.parametrize("long", PROFILES)
def test_sigkill_during_backfill_loses_and_doubles_nothing(
    testbed: Testbed, mailboxes: MailboxFactory, tmp_path: Path, long: bool
) -> None:
    kills_wanted = count("KILLS", 25, 200, slow=long)
    mailbox: FilledMailbox = mailboxes(count("MESSAGES", 2000, 4000, slow=long))
    reference, expected = mailbox.reference, mailbox.reference_seconds
    rng = rng_for("backfill")
    started = time.monotonic()
    kills = write_kills = mid_write = rounds = runs = 0
    final: StoreState | None = None
    with keepwarm_processes() as start:
        while kills < kills_wanted:
            rounds += 1
            state_dir = tmp_path / f"round-{rounds}" / "state"
            env = env_file(
                state_dir.parent / "keepwarm.env",
                mailbox_settings(testbed, mailbox.account, mailbox.box, state_dir),
            )
            progress: dict[str, int] = {}
            while True:
                runs += 1
                left = 1 - Store(state_dir).count("touches") / len(reference.touches)
                poll = start(env, ["poll", "--quiet"], tmp_path / "poll.log")
                if kills >= kills_wanted:
                    code = poll.wait(RUN_TIMEOUT)
                elif kills % WRITE_EVERY == WRITE_EVERY - 1:
                    code = None if kill_when_writing(poll, state_dir, RUN_TIMEOUT) else poll.wait(RUN_TIMEOUT)
                    write_kills += code is None
                else:
                    code = poll.wait(kill_delay(rng, expected, mailbox.idle_seconds, left))
                if code is not None:
                    assert code == 0, poll.log_text()[-3000:]
                    break
                poll.kill()
                kills += 1
                mid_write += temp_file_of(state_dir, poll.pid) is not None
                _check_after_kill(Store(state_dir), reference, progress, kills)  # it loads, every time
            final = store_state(Store(state_dir))
            assert final == reference, f"round {rounds} ended in a different state"
    took = time.monotonic() - started
    assert final is not None
    touches = len(final.touches)
    Tally(
        "SIGKILL during backfill",
        {
            "messages": mailbox.size,
            "kills": kills,
            "at a random moment": kills - write_kills,
            "aimed at a save": write_kills,
            "landed mid-write (temp file left)": mid_write,
            "rounds (full backfills)": rounds,
            "runs": runs,
            "final touches": touches,
            "uninterrupted poll s": round(expected, 2),
            "poll with nothing new s": round(mailbox.idle_seconds, 2),
            "test s": round(took, 1),
        },
    ).show()

    assert kills == kills_wanted
    assert touches == len(reference.touches) > 0
    # The uninterrupted run itself is right: exactly the touches a reader of the mailbox would count.
    assert Counter((t[1], t[2]) for t in reference.touches) == mailbox.box.counts()
    # Kills inside a save really happened, or this test would prove little about the atomic write.
    assert mid_write >= 1 or write_kills == 0
    assert gained_flags(mailbox.flags, flag_snapshot(testbed, mailbox.account)) == {}
