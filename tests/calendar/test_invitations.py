"""Meeting invitations in the mailbox, on the test bed: a meeting touch at the meeting's time for
the people in it, not an email touch at the time it was sent; a meeting to come holds the
reminder, and a cancellation or the owner's own "decline" takes the meeting away. Read with
BODYSTRUCTURE and the calendar part alone, the mail never marked read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from keepwarm.store import Store
from tests.clitools import Runner, ok
from tests.sync.support import flag_snapshot
from tests.testbed.config import settings_for
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.invites import google, ics, outlook

ALICE = "alice@example.org"
BEN = "ben@example.org"


def _at(days: float) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)


@pytest.fixture
def owner(
    testbed: Testbed, account: Account, state: Path, monkeypatch: pytest.MonkeyPatch, run: Runner
) -> Account:
    """keepwarm on the test bed's mailbox, with Alice and Ben tracked."""
    for key, value in settings_for(testbed, account, state, timezone="UTC").items():
        monkeypatch.setenv(key, value)
    ok(run("contacts", "add", f"Alice Example <{ALICE}>", "--every", "3w"))
    ok(run("contacts", "add", f"Ben Example <{BEN}>", "--every", "2w"))
    return account


def _history(run: Runner, who: str) -> list[dict[str, str]]:
    return [t for t in ok(run("history", who, "--json")).json() if isinstance(t, dict)]


def test_an_invitation_in_inbox_is_a_meeting_touch_at_the_meetings_time(
    testbed: Testbed, owner: Account, run: Runner, state: Path
) -> None:
    sent, meeting = _at(-20), _at(-10)
    event = ics("coffee-1@google.com", meeting, ALICE, [(owner.address, "ACCEPTED"), (ALICE, "ACCEPTED")])
    testbed.append(
        owner, "INBOX", google(f"Alice <{ALICE}>", owner.address, sent, event, "inv-1@x", "Coffee")
    )
    plain = ics("tea-1@o", meeting, BEN, [(owner.address, "ACCEPTED"), (BEN, "ACCEPTED")], summary="Tea")
    testbed.append(owner, "INBOX", outlook(f"Ben <{BEN}>", owner.address, sent, plain, "inv-2@x", "Tea"))
    before = flag_snapshot(testbed, owner)

    ok(run("poll"))

    [alice] = _history(run, "alice")
    assert (alice["at"], alice["channel"], alice["direction"]) == (meeting.isoformat(), "meeting", "manual")
    assert "Coffee" in ok(run("history", "alice")).out
    [ben] = _history(run, "ben")
    assert (ben["at"], ben["channel"]) == (meeting.isoformat(), "meeting")
    [listed] = [c for c in ok(run("contacts", "list", "--json")).json() if c["name"] == "Alice Example"]
    assert listed["next_due"] == (meeting + timedelta(days=21)).isoformat()
    assert flag_snapshot(testbed, owner) == before  # nothing marked read

    ok(run("poll"))  # read again: still one touch each
    assert len(_history(run, "alice")) == 1


def test_a_meeting_to_come_holds_her_reminder_and_a_cancellation_takes_it_away(
    testbed: Testbed, owner: Account, run: Runner, state: Path
) -> None:
    store = Store(state)
    ahead = _at(3)
    link = "https://meet.google.com/abc-defg-hij"
    event = ics(
        "walk-1@google.com", ahead, ALICE, [(owner.address, "ACCEPTED"), (ALICE, "ACCEPTED")], link=link
    )
    testbed.append(
        owner, "INBOX", google(f"Alice <{ALICE}>", owner.address, _at(-1), event, "inv-3@x", "Walk")
    )

    ok(run("poll"))

    assert _history(run, "alice") == []  # not yet: it has not happened, and the invitation is no email touch
    [meeting] = store.calendars.upcoming()
    assert (meeting.address, meeting.start, meeting.channel.value) == (ALICE, ahead, "video")
    assert "you're seeing Alice" in ok(run("due")).out

    cancelled = event.replace("STATUS:CONFIRMED", "STATUS:CANCELLED").replace("SEQUENCE:0", "SEQUENCE:1")
    testbed.append(
        owner, "INBOX", google(f"Alice <{ALICE}>", owner.address, _at(0), cancelled, "inv-4@x", "Walk")
    )
    ok(run("poll"))

    assert Store(state).calendars.upcoming() == []
    assert "you're seeing Alice" not in ok(run("due")).out


def test_the_owners_own_decline_in_sent_takes_the_meeting_away_whatever_the_folder_order(
    testbed: Testbed, owner: Account, run: Runner, state: Path
) -> None:
    meeting = _at(-5)
    request = ics(
        "lunch-1@google.com", meeting, ALICE, [(owner.address, "NEEDS-ACTION"), (ALICE, "ACCEPTED")]
    )
    # Her answer, as a calendar client sends it from the owner's account: METHOD:REPLY, later DTSTAMP.
    declined = ics(
        "lunch-1@google.com", meeting, ALICE, [(owner.address, "DECLINED")], method="REPLY"
    ).replace(f"DTSTAMP:{meeting:%Y%m%dT%H%M%SZ}", f"DTSTAMP:{_at(-4):%Y%m%dT%H%M%SZ}")
    testbed.append(
        owner, "Sent", google(owner.address, ALICE, _at(-4), declined, "inv-6@x", "Declined: Lunch")
    )
    testbed.append(
        owner, "Archive", google(f"Alice <{ALICE}>", owner.address, _at(-9), request, "inv-5@x", "Lunch")
    )

    ok(run("poll"))

    assert _history(run, "alice") == []  # no meeting, and neither message an email touch
