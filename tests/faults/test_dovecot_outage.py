"""Dovecot stopped at random moments of the real daemon's polls: it reconnects by itself and ends right."""

from __future__ import annotations

import contextlib
import functools
import signal
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from keepwarm.store import Store
from tests.faults.conftest import MailboxFactory, fill, mailbox_settings
from tests.faults.support import (
    PROFILES,
    SEED,
    Tally,
    count,
    env_file,
    keepwarm_processes,
    rng_for,
    wait_for,
)
from tests.reminders.support import LISBON
from tests.sync import mailgen
from tests.sync.support import FlagMap, flag_snapshot, gained_flags, store_state
from tests.testbed.fixtures import Account, AccountFactory, Testbed

POLL_INTERVAL = "1s"
# A failed poll waits 15 to 30 s (runtime.backoff: 30 s, shortened at random by up to half).
CATCH_UP = 90.0
FAILED = "poll failed:"
ESTABLISHED = "01"  # TCP state in /proc/net/tcp
NOT_CONNECTED = "cannot connect"  # the poll found the server down; any other failure broke a session


def _high_uids(testbed: Testbed, account: Account) -> dict[str, int]:
    """The highest UID in each watched folder, as the server has it now."""
    with testbed.imap_client(account) as client:
        high = {}
        for folder in ("INBOX", "Sent"):
            client.select_folder(folder, readonly=True)
            high[folder] = max(client.search("ALL"))
    return high


def _caught_up(state_dir: Path, high: dict[str, int]) -> bool:
    folders = Store(state_dir).folder_states()
    return all(folders.get(f, (0, 0))[1] == uid for f, uid in high.items())


def _connected(pid: int, port: int) -> bool:
    """Does process ``pid`` hold an established TCP connection to 127.0.0.1:``port`` (a poll in progress)?"""
    sockets = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = str(fd.readlink())
            if target.startswith("socket:["):
                sockets.add(target[len("socket:[") : -1])
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote, state, inode = fields[2], fields[3], fields[9]
        if int(remote.split(":")[1], 16) == port and state == ESTABLISHED and inode in sockets:
            return True
    return False


def _reconnected(state_dir: Path, high: dict[str, int], since: datetime) -> bool:
    """A poll succeeded after ``since`` (the daemon is back, its backoff reset) and all mail is read."""
    store = Store(state_dir)
    last = store.runs.get().get("last_poll")
    return last is not None and datetime.fromisoformat(str(last)) > since and _caught_up(state_dir, high)


def _remember_flags(before: FlagMap, now: FlagMap) -> None:
    """Add the flags of messages not seen before (taken while nothing else touches them)."""
    for folder, messages in now.items():
        for uid, flags in messages.items():
            before.setdefault(folder, {}).setdefault(uid, flags)


def _reference(testbed: Testbed, account: Account, box: mailgen.GeneratedMailbox, where: Path) -> Store:
    """An uninterrupted ``keepwarm poll`` of the whole mailbox, into its own state directory."""
    env = env_file(where / "keepwarm.env", mailbox_settings(testbed, account, box, where / "state"))
    with keepwarm_processes() as start:
        poll = start(env, ["poll", "--quiet"], where / "poll.log")
        assert poll.wait(300) == 0, poll.log_text()
    return Store(where / "state")


@pytest.mark.parametrize("long", PROFILES)
def test_dovecot_stopped_at_random_moments_of_polls_the_daemon_reconnects_and_ends_right(
    testbed: Testbed,
    account_factory: AccountFactory,
    mailboxes: MailboxFactory,
    tmp_path: Path,
    long: bool,
) -> None:
    stops = count("DOVECOT_STOPS", 1, 8, slow=long)
    rng = rng_for("dovecot")
    # One stop: the daemon only reads, so it shares the SIGKILL test's mailbox and reference. More
    # stops: a fresh mailbox, and a new burst of mail before each stop.
    shared = mailboxes(count("MESSAGES", 2000, 4000, slow=long)) if stops == 1 else None
    if shared is not None:
        account, boxes, flags = shared.account, [shared.box], dict(shared.flags)
    else:
        account, flags = account_factory("naomi"), {}
        size = count("DOVECOT_MESSAGES", 1500, 1500, slow=long)
        boxes = [
            mailgen.generate(
                account.address, account.plus("keepwarm"), datetime.now(UTC), size=size, seed=SEED + n
            )
            for n in range(stops)
        ]
    state_dir = tmp_path / "state"
    # No reminder run during the test (the last one was just now, the next is 12 hours away): the
    # daemon only reads, so its store can be compared with a plain poll's.
    now = datetime.now(LISBON)
    Store(state_dir).runs.note("last_reminder_run", now)
    settings = mailbox_settings(
        testbed,
        account,
        boxes[0],
        state_dir,
        poll_interval=POLL_INTERVAL,
        reminder_time=f"{(now + timedelta(hours=12)):%H:%M}",
    )
    env = env_file(tmp_path / "keepwarm.env", settings)
    mid_work = in_session = broke = 0
    downtimes: list[float] = []
    catch_ups: list[float] = []
    started = time.monotonic()
    with keepwarm_processes() as start:
        daemon = None
        try:
            for n, box in enumerate(boxes):
                if daemon is not None:
                    daemon.signal(signal.SIGSTOP)  # a burst of new mail, all there at the next poll
                if shared is None:
                    fill(testbed, account, box)
                    _remember_flags(flags, flag_snapshot(testbed, account))
                high = _high_uids(testbed, account)
                if daemon is None:
                    daemon = start(env, ["run"], tmp_path / "daemon.log")
                else:
                    daemon.signal(signal.SIGCONT)
                if n % 2 == 0:
                    # A random moment of a poll: soon after it has logged in.
                    wait_for(
                        functools.partial(_connected, daemon.pid, testbed.imaps_port), "a poll", 60, daemon
                    )
                    time.sleep(rng.uniform(0, 0.1))
                else:
                    time.sleep(rng.uniform(0, 2.0))  # any moment: before, during or after the next poll
                # Dovecot takes about a second to go down, during which it still serves a connected
                # client: freeze the daemon at the chosen moment so the outage hits it right there.
                daemon.signal(signal.SIGSTOP)
                failed_before = daemon.log_text().count(FAILED)
                mid_work += not _caught_up(state_dir, high)
                in_session += _connected(daemon.pid, testbed.imaps_port)
                stopper = threading.Thread(target=testbed.dovecot.stop)
                stopper.start()
                stopper.join()
                daemon.signal(signal.SIGCONT)
                downtimes.append(rng.uniform(0.2, 2.0))
                time.sleep(downtimes[-1])
                testbed.dovecot.resume()
                resumed = datetime.now(LISBON)
                catch_ups.append(
                    wait_for(
                        functools.partial(_reconnected, state_dir, high, resumed),
                        "the catch-up",
                        CATCH_UP,
                        daemon,
                    )
                )
                broke += daemon.log_text().count(FAILED) > failed_before
        finally:
            testbed.dovecot.resume()  # the rest of the session needs it
        assert daemon is not None
        daemon.signal(signal.SIGTERM)
        code = daemon.wait(20)
        log = daemon.log_text()
    final = store_state(Store(state_dir))
    if shared is not None:
        expected = shared.reference
    else:
        expected = store_state(_reference(testbed, account, boxes[0], tmp_path / "reference"))
    failures = [line.split(FAILED, 1)[1].strip() for line in log.splitlines() if FAILED in line]
    session_breaks = [f for f in failures if NOT_CONNECTED not in f]
    Tally(
        "Dovecot stopped",
        {
            "messages": sum(len(b.placements) for b in boxes),
            "stops": stops,
            "with mail still unread": mid_work,
            "with the daemon logged in": in_session,
            "that failed a poll": broke,
            "polls broken mid-session": len(session_breaks),
            "polls that found it down": len(failures) - len(session_breaks),
            "downtime s": [round(d, 1) for d in downtimes],
            "reconnected and caught up after s": [round(c, 1) for c in catch_ups],
            "final touches": len(final.touches),
            "test s": round(time.monotonic() - started, 1),
        },
    ).show()
    for failure in failures:
        print(f"  poll failed: {failure[:160]}")

    assert code == 0, log[-3000:]
    assert "Traceback" not in log and "internal error" not in log
    assert log.rstrip().endswith("keepwarm.loop: stopped")
    # The first stop, at least, came while the daemon was reading its backfill, and broke that poll.
    assert mid_work >= 1 and in_session >= 1 and len(session_breaks) >= 1
    assert all("IMAP" in f for f in failures), failures
    assert final == expected
    truth = sum((b.counts() for b in boxes), Counter[tuple[str, str]]())
    assert Counter((t[1], t[2]) for t in expected.touches) == truth
    assert gained_flags(flags, flag_snapshot(testbed, account)) == {}
