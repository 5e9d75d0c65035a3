"""SIGKILL ``keepwarm remind --now`` at random moments as it queues and sends: none lost, none doubled.

A kill between the server's acceptance and the store's record leaves a row "attempted" whose
message is already in the owner's INBOX; the next run finds it there by its Message-ID and records
it as sent instead of sending it again."""

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


def _caught_in_flight(store: Store, copies: Counter[str]) -> int:
    """After a kill: no message has two copies; returns how many still-pending rows the server
    had already accepted (the kills that caught a message in flight)."""
    caught = 0
    for item in store.outbox.items():
        assert copies[item.subject] <= 1, f"{item.subject}: {copies[item.subject]} copies"
        if item.state == "pending" and copies[item.subject] == 1:
            caught += 1
        elif item.state == "sent":
            assert copies[item.subject] == 1, item.subject
    return caught


@pytest.mark.parametrize("long", PROFILES)
def test_sigkill_during_reminder_sending_loses_none_and_duplicates_none(
    testbed: Testbed, account: Account, tmp_path: Path, long: bool
) -> None:
    kills_wanted = count("KILLS", 20, 200, slow=long)
    contacts = count("DUE_CONTACTS", 40, 40, slow=long)
    rng = rng_for("reminders")
    inbox = Inbox(testbed, account)
    warm_up()
    in_flight = 0  # kills that caught a message accepted but not yet recorded
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
                    in_flight += _caught_in_flight(Store(state_dir), inbox.refresh())
                if rounds == 1:  # and a run with nothing left to do
                    idle = start(env, ["remind", "--now"], tmp_path / "remind.log")
                    assert idle.wait(RUN_TIMEOUT) == 0
                    idle_seconds = time.monotonic() - idle.started
                store = Store(state_dir)
                items = store.outbox.items()
                assert [i.state for i in items] == ["sent"] * contacts
                assert _caught_in_flight(store, inbox.refresh()) == 0
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
            "kills that caught a message in flight": in_flight,
            "most copies of one reminder": most,
            "uninterrupted run s": round(whole_seconds, 2),
            "run with nothing to do s": round(idle_seconds, 2),
            "test s": round(took, 1),
        },
    ).show()

    assert kills >= kills_wanted
    assert set(copies) == expected_subjects  # nothing else reached the owner
    # Every due contact got exactly one reminder, whatever the kills interrupted.
    assert duplicates == 0 and most == 1
    assert all(copies[s] == 1 for s in expected_subjects)
