"""SIGKILL ``keepwarm remind --now`` at random moments as it queues and sends: none lost, few doubled."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import default
from pathlib import Path

import pytest
from imapclient import IMAPClient

from keepwarm.store import Store
from tests.faults.support import (
    PROFILES,
    Tally,
    count,
    env_file,
    keepwarm_processes,
    kill_delay,
    rng_for,
    warm_up,
)
from tests.reminders.support import LISBON, add_contact, env_settings
from tests.testbed.fixtures import Account, Testbed

RUN_TIMEOUT = 120.0
# After a kill, the message the server was handing to Dovecot at that instant lands within milliseconds.
SETTLE = 0.1


class Inbox:
    """The owner's INBOX, read incrementally over one IMAP connection: copies per Subject."""

    def __init__(self, testbed: Testbed, account: Account) -> None:
        self._client: IMAPClient = testbed.imap_client(account)
        self._last_uid = 0
        self.copies: Counter[str] = Counter()

    def refresh(self) -> Counter[str]:
        self._client.select_folder("INBOX", readonly=True)
        uids = [int(u) for u in self._client.search(["UID", f"{self._last_uid + 1}:*"])]
        uids = [u for u in uids if u > self._last_uid]
        if uids:
            fetched = self._client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])
            for item in fetched.values():
                raw = next(v for k, v in item.items() if k.startswith(b"BODY[HEADER"))
                self.copies[str(BytesHeaderParser(policy=default).parsebytes(raw)["Subject"])] += 1
            self._last_uid = max(uids)
        return self.copies

    def close(self) -> None:
        self._client.logout()


def _seed(state_dir: Path, round_no: int, contacts: int) -> list[str]:
    """``contacts`` people, all overdue; returns their names."""
    now = datetime.now(LISBON)
    store = Store(state_dir)
    names = [f"R{round_no:03d} Person {i:02d}" for i in range(contacts)]
    with store.transaction():
        for i, name in enumerate(names):
            add_contact(store, name, f"r{round_no}.p{i}@example.org", days_since=60 + i, now=now)
    return names


def _left(state_dir: Path, contacts: int) -> float:
    """The share of a whole run's work still to do: all of it until queued, then what is unsent."""
    items = Store(state_dir).outbox.items()
    return 1.0 if not items else sum(i.state == "pending" for i in items) / contacts


def _account_for_kill(store: Store, copies: Counter[str], crash_copies: Counter[str]) -> int:
    """Attribute the copies of still-pending messages to this kill; returns how many it caused.

    A row still pending whose message is in the INBOX was accepted by the server in the instant
    before the kill, and will be sent again: that is the one duplicate a crash may cause.
    """
    caused = 0
    for item in store.outbox.items():
        if item.state == "pending":
            extra = copies[item.subject] - crash_copies[item.subject]
            if extra > 0:
                crash_copies[item.subject] += extra
                caused += extra
        else:
            assert item.state == "sent", item
            assert copies[item.subject] == crash_copies[item.subject] + 1, item.subject
    return caused


@pytest.mark.parametrize("long", PROFILES)
def test_sigkill_during_reminder_sending_loses_none_and_duplicates_at_most_one_per_kill(
    testbed: Testbed, account: Account, tmp_path: Path, long: bool
) -> None:
    kills_wanted = count("KILLS", 20, 200, slow=long)
    contacts = count("DUE_CONTACTS", 40, 40, slow=long)
    rng = rng_for("reminders")
    inbox = Inbox(testbed, account)
    warm_up()
    crash_copies: Counter[str] = Counter()  # copies of a message caused by kills
    expected_subjects: set[str] = set()
    kills = rounds = runs = 0
    whole_seconds = idle_seconds = 0.0
    started = time.monotonic()
    try:
        with keepwarm_processes() as start:
            while rounds == 0 or kills < kills_wanted:
                rounds += 1
                state_dir = tmp_path / f"round-{rounds}" / "state"
                settings = env_settings(testbed, account, state_dir, max_reminders_per_day=str(contacts))
                env = env_file(state_dir.parent / "keepwarm.env", settings)
                names = _seed(state_dir, rounds, contacts)
                while True:
                    runs += 1
                    left = _left(state_dir, contacts)
                    remind = start(env, ["remind", "--now"], tmp_path / "remind.log")
                    if rounds == 1 or kills >= kills_wanted:
                        # The first round runs undisturbed: it says how long a whole run takes.
                        code = remind.wait(RUN_TIMEOUT)
                        if rounds == 1:
                            whole_seconds = time.monotonic() - remind.started
                    else:
                        code = remind.wait(kill_delay(rng, whole_seconds, idle_seconds, left))
                    if code is not None:
                        assert code == 0, remind.log_text()[-3000:]
                        break
                    remind.kill()
                    kills += 1
                    time.sleep(SETTLE)
                    caused = _account_for_kill(Store(state_dir), inbox.refresh(), crash_copies)
                    assert caused <= 1, f"kill {kills} caused {caused} duplicates"
                if rounds == 1:  # and a run with nothing left to do
                    idle = start(env, ["remind", "--now"], tmp_path / "remind.log")
                    assert idle.wait(RUN_TIMEOUT) == 0
                    idle_seconds = time.monotonic() - idle.started
                store = Store(state_dir)
                items = store.outbox.items()
                assert [i.state for i in items] == ["sent"] * contacts
                assert _account_for_kill(store, inbox.refresh(), crash_copies) == 0
                subjects = {i.subject for i in items}
                assert {s.split(" — ")[0].removeprefix("Check in with ") for s in subjects} == set(names)
                expected_subjects |= subjects
    finally:
        inbox.close()
    took = time.monotonic() - started
    copies = inbox.copies
    delivered = sum(copies[s] for s in expected_subjects)
    duplicates = delivered - len(expected_subjects)
    most = max(copies[s] for s in expected_subjects)
    Tally(
        "SIGKILL during reminders",
        {
            "kills": kills,
            "rounds": rounds,
            "runs": runs,
            "due contacts": len(expected_subjects),
            "reminders delivered": delivered,
            "duplicates": duplicates,
            "kills that caught a message in flight": sum(crash_copies.values()),
            "most copies of one reminder": most,
            "uninterrupted run s": round(whole_seconds, 2),
            "run with nothing to do s": round(idle_seconds, 2),
            "test s": round(took, 1),
        },
    ).show()

    assert kills >= kills_wanted
    assert set(copies) == expected_subjects  # nothing else reached the owner
    # Every due contact got a reminder; each copy beyond the first was caused by one kill.
    assert all(copies[s] == 1 + crash_copies[s] for s in expected_subjects)
    assert duplicates == sum(crash_copies.values()) <= kills
    # None more than two, unless successive kills each caught that very message in flight.
    assert all(copies[s] <= 2 or crash_copies[s] >= 2 for s in expected_subjects)
