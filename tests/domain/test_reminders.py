"""Who gets a reminder: ranking by urgency, the daily cap, growing repeat pauses, and settling."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from keepwarm.domain.due import CadenceSource, DueStatus, Standing, standing
from keepwarm.domain.model import Contact, Direction, Touch
from keepwarm.domain.reminders import Entry, EntryState, Pick, pick, repeat_after, settle, urgency

LISBON = ZoneInfo("Europe/Lisbon")
NOW = datetime(2026, 11, 20, 8, 30, tzinfo=LISBON)


def contact(contact_id: int, *, paused: bool = False, snoozed_until: datetime | None = None) -> Contact:
    return Contact(
        f"Person {contact_id}",
        (f"p{contact_id}@example.org",),
        NOW - timedelta(days=500),
        id=contact_id,
        paused=paused,
        snoozed_until=snoozed_until,
    )


def stand(
    contact_id: int,
    days_since: float,
    cadence: int = 30,
    now: datetime = NOW,
    *,
    paused: bool = False,
    snoozed_until: datetime | None = None,
) -> Standing:
    """The standing at ``now`` of a contact last touched ``days_since`` days before NOW."""
    person = contact(contact_id, paused=paused, snoozed_until=snoozed_until)
    touch = Touch(person.primary_email, NOW - timedelta(days=days_since), Direction.OUT)
    return standing(person, touch, (cadence, CadenceSource.CONTACT), now)


def open_entry(entry_id: int, contact_id: int, created_at: datetime, nth: int = 1) -> Entry:
    return Entry(entry_id, contact_id, created_at, nth, EntryState.OPEN)


def ids(picks: list[Pick]) -> list[int]:
    return [p.standing.contact.id for p in picks]


# -- ranking and the cap --------------------------------------------------------------------------

RANKED = [
    # id, days since last touch, cadence: urgency = days / cadence
    (1, 40, 30),  # 1.33
    (2, 100, 60),  # 1.67: more days than 3, yet less urgent
    (3, 20, 10),  # 2.0
    (4, 35, 30),  # 1.17
]


def test_pick_ranks_by_days_since_last_touch_over_cadence() -> None:
    standings = [stand(i, days, cadence) for i, days, cadence in RANKED]
    assert all(s.status is DueStatus.OVERDUE for s in standings)

    picks = pick(standings, {}, sent_today=0, cap=10, now=NOW)

    assert ids(picks) == [3, 2, 1, 4]
    assert [p.nth for p in picks] == [1, 1, 1, 1]
    assert all(p.supersedes is None for p in picks)
    assert urgency(standings[2], NOW) == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("cap", "sent_today", "expected"),
    [(3, 0, [3, 2, 1]), (3, 2, [3]), (3, 3, []), (3, 5, []), (1, 0, [3]), (10, 7, [3, 2, 1])],
)
def test_pick_caps_at_cap_minus_sent_today(cap: int, sent_today: int, expected: list[int]) -> None:
    standings = [stand(i, days, cadence) for i, days, cadence in RANKED]

    assert ids(pick(standings, {}, sent_today=sent_today, cap=cap, now=NOW)) == expected


def test_equal_urgency_is_ranked_by_contact_id() -> None:
    standings = [stand(9, 45), stand(4, 45), stand(7, 45)]

    assert ids(pick(standings, {}, 0, 10, NOW)) == [4, 7, 9]


def test_only_due_and_overdue_contacts_are_picked() -> None:
    overdue = stand(1, 40)
    due_today = stand(2, 30)
    upcoming = stand(3, 20)
    paused = stand(4, 90, paused=True)
    snoozed = stand(5, 90, snoozed_until=NOW + timedelta(days=5))
    statuses = [s.status for s in (overdue, due_today, upcoming, paused, snoozed)]
    assert statuses == [
        DueStatus.OVERDUE,
        DueStatus.DUE,
        DueStatus.UPCOMING,
        DueStatus.PAUSED,
        DueStatus.UPCOMING,
    ]

    picks = pick([overdue, due_today, upcoming, paused, snoozed], {}, 0, 10, NOW)

    assert ids(picks) == [1, 2]


# -- repeats --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nth", "days"), [(1, 3), (2, 6), (3, 12), (4, 24), (5, 30), (6, 30), (12, 30), (100, 30)]
)
def test_repeat_after_doubles_then_caps_at_30_days(nth: int, days: int) -> None:
    assert repeat_after(nth) == timedelta(days=days)


@pytest.mark.parametrize(("nth", "days"), [(1, 3), (2, 6), (3, 12), (4, 24), (5, 30), (8, 30)])
def test_open_entry_blocks_until_repeat_after_then_is_superseded(nth: int, days: int) -> None:
    created = NOW - timedelta(days=60)
    entry = open_entry(77, 1, created, nth)

    def picked_at(now: datetime) -> list[Pick]:
        return pick([stand(1, 90, now=now)], {1: entry}, 0, 3, now)

    assert picked_at(created + timedelta(days=days) - timedelta(minutes=1)) == []
    [repeat] = picked_at(created + timedelta(days=days))
    assert (repeat.standing.contact.id, repeat.nth, repeat.supersedes) == (1, nth + 1, 77)


def test_an_open_entry_blocks_only_its_own_contact() -> None:
    entries = {1: open_entry(5, 1, NOW - timedelta(days=1))}

    assert ids(pick([stand(1, 90), stand(2, 40)], entries, 0, 3, NOW)) == [2]


def test_due_contacts_beyond_the_cap_are_picked_the_next_day() -> None:
    days_since = {1: 35, 2: 90, 3: 60, 4: 45, 5: 75}
    entries: dict[int, Entry] = {}
    picked_by_day: list[list[int]] = []
    for day in range(4):
        now = NOW + timedelta(days=day)
        created_today = sum(1 for e in entries.values() if e.created_at.date() == now.date())
        picks = pick([stand(i, d, now=now) for i, d in days_since.items()], entries, created_today, 3, now)
        picked_by_day.append(ids(picks))
        for p in picks:
            entries[p.standing.contact.id] = open_entry(len(entries) + 1, p.standing.contact.id, now, p.nth)

    # Day 0: the three most overdue; day 1: the other two; day 2: nobody (all reminded, pausing);
    # day 3: day 0's three again, as second reminders.
    assert picked_by_day == [[2, 5, 3], [4, 1], [], [2, 5, 3]]
    assert sorted({i for day in picked_by_day for i in day}) == [1, 2, 3, 4, 5]
    assert entries[2].nth == 2 and entries[4].nth == 1


# -- settle ---------------------------------------------------------------------------------------

CREATED = NOW - timedelta(days=2)


def test_a_touch_after_the_reminder_resolves_it() -> None:
    entries = [open_entry(1, 10, CREATED), open_entry(2, 20, CREATED)]
    last_touch = {10: CREATED + timedelta(hours=5), 20: CREATED - timedelta(days=1)}

    result = settle(entries, last_touch, contact_ids={10, 20}, paused_or_snoozed=set())

    assert [(s.entry_id, s.state) for s in result] == [(1, EntryState.RESOLVED)]


def test_a_touch_at_the_reminders_own_instant_does_not_resolve_it() -> None:
    assert settle([open_entry(1, 10, CREATED)], {10: CREATED}, {10}, set()) == []


def test_removed_paused_or_snoozed_contacts_cancel_their_reminder() -> None:
    entries = [open_entry(1, 10, CREATED), open_entry(2, 20, CREATED), open_entry(3, 30, CREATED)]

    result = settle(entries, {}, contact_ids={20, 30}, paused_or_snoozed={30})

    assert [(s.entry_id, s.state) for s in result] == [(1, EntryState.CANCELLED), (3, EntryState.CANCELLED)]


def test_a_touch_wins_over_removal() -> None:
    result = settle([open_entry(1, 10, CREATED)], {10: NOW}, contact_ids=set(), paused_or_snoozed=set())

    assert [(s.entry_id, s.state) for s in result] == [(1, EntryState.RESOLVED)]


@pytest.mark.parametrize("state", [EntryState.RESOLVED, EntryState.SUPERSEDED, EntryState.CANCELLED])
def test_closed_entries_are_left_alone(state: EntryState) -> None:
    entry = Entry(1, 10, CREATED, 1, state)

    assert settle([entry], {10: NOW}, contact_ids=set(), paused_or_snoozed={10}) == []


def test_those_the_cap_holds_back_come_cap_by_cap_on_the_reminder_days_only() -> None:
    from datetime import date

    from keepwarm.domain.reminders import later_days

    friday = date(2026, 11, 20)
    monday_thursday = frozenset({0, 3})
    assert later_days(5, 2, friday, monday_thursday) == [
        date(2026, 11, 23),
        date(2026, 11, 23),
        date(2026, 11, 26),
        date(2026, 11, 26),
        date(2026, 11, 30),
    ]
    assert later_days(2, 3, friday, frozenset(range(7))) == [date(2026, 11, 21)] * 2
    assert later_days(0, 3, friday, frozenset(range(7))) == []
