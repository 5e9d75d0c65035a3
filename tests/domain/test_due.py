"""Cadence precedence, due dates, snoozes, pauses and statuses counted in the owner's time zone."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from keepwarm.domain.due import (
    CadenceSource,
    DueStatus,
    effective_cadence,
    first_due_fraction,
    last_touch_of,
    standing,
    standings,
)
from keepwarm.domain.model import Contact, Direction, Touch
from keepwarm.domain.reminders import urgency

NY = ZoneInfo("America/New_York")
ADDED = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)


def make_contact(
    name: str = "Alice Example",
    emails: tuple[str, ...] = ("alice@example.org",),
    *,
    added_at: datetime = ADDED,
    group: str | None = None,
    cadence_days: int | None = None,
    paused: bool = False,
    snoozed_until: datetime | None = None,
    contact_id: int = 1,
) -> Contact:
    return Contact(
        id=contact_id,
        name=name,
        emails=emails,
        added_at=added_at,
        group=group,
        cadence_days=cadence_days,
        paused=paused,
        snoozed_until=snoozed_until,
    )


def make_touch(at: datetime, address: str = "alice@example.org") -> Touch:
    return Touch(address=address, at=at, direction=Direction.OUT)


# -- cadence precedence ------------------------------------------------------------------------


def test_contact_cadence_beats_group_and_default() -> None:
    contact = make_contact(group="friends", cadence_days=10)
    assert effective_cadence(contact, {"friends": 20}, 30) == (10, CadenceSource.CONTACT)


def test_group_cadence_beats_default() -> None:
    contact = make_contact(group="friends")
    assert effective_cadence(contact, {"friends": 20}, 30) == (20, CadenceSource.GROUP)


def test_group_without_cadence_and_no_group_use_the_default() -> None:
    assert effective_cadence(make_contact(group="work"), {"friends": 20}, 30) == (30, CadenceSource.DEFAULT)
    assert effective_cadence(make_contact(), {"friends": 20}, 30) == (30, CadenceSource.DEFAULT)


def test_standings_apply_precedence() -> None:
    now = datetime(2024, 2, 1, 12, 0, tzinfo=UTC)
    own = make_contact("Own", ("own@example.org",), group="friends", cadence_days=5)
    grouped = make_contact("Grouped", ("grouped@example.org",), group="friends")
    plain = make_contact("Plain", ("plain@example.org",))
    result = {
        s.contact.name: (s.cadence_days, s.cadence_source)
        for s in standings(
            [own, grouped, plain],
            last_by_address={},
            group_cadences={"friends": 14},
            default_days=45,
            now=now,
        )
    }
    assert result == {
        "Own": (5, CadenceSource.CONTACT),
        "Grouped": (14, CadenceSource.GROUP),
        "Plain": (45, CadenceSource.DEFAULT),
    }


# -- due dates -----------------------------------------------------------------------------------


def test_due_is_last_touch_plus_cadence() -> None:
    touched = datetime(2024, 1, 10, 10, 30, tzinfo=UTC)
    now = datetime(2024, 1, 20, 12, 0, tzinfo=UTC)
    item = standing(make_contact(), make_touch(touched), (21, CadenceSource.CONTACT), now)
    assert item.next_due == touched + timedelta(days=21)
    assert item.last_touch is not None and item.last_touch.at == touched
    assert item.days_since_last_touch == 10
    assert item.days_until_due == 11
    assert item.status is DueStatus.UPCOMING


def test_last_touch_is_the_latest_over_all_addresses() -> None:
    contact = make_contact(emails=("alice@example.org", "alice@work.example"))
    older = make_touch(datetime(2024, 1, 5, tzinfo=UTC), "alice@example.org")
    newer = make_touch(datetime(2024, 1, 9, tzinfo=UTC), "alice@work.example")
    stranger = make_touch(datetime(2024, 1, 30, tzinfo=UTC), "bob@example.org")
    by_address = {t.address: t for t in (older, newer, stranger)}
    assert last_touch_of(contact, by_address) == newer
    assert last_touch_of(make_contact(emails=("nobody@example.org",)), by_address) is None

    now = datetime(2024, 1, 10, tzinfo=UTC)
    (item,) = standings([contact], last_by_address=by_address, group_cadences={}, default_days=30, now=now)
    assert item.next_due == newer.at + timedelta(days=30)


def test_a_later_snooze_pushes_the_due_date() -> None:
    touched = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    snooze = datetime(2024, 2, 15, 8, 0, tzinfo=UTC)
    now = datetime(2024, 1, 20, tzinfo=UTC)
    item = standing(make_contact(snoozed_until=snooze), make_touch(touched), (7, CadenceSource.CONTACT), now)
    assert item.next_due == snooze
    assert item.days_until_due == 26


def test_an_earlier_snooze_does_not_pull_the_due_date_forward() -> None:
    touched = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    snooze = datetime(2024, 1, 3, 8, 0, tzinfo=UTC)
    now = datetime(2024, 1, 2, tzinfo=UTC)
    item = standing(make_contact(snoozed_until=snooze), make_touch(touched), (30, CadenceSource.CONTACT), now)
    assert item.next_due == touched + timedelta(days=30)


def test_a_snooze_applies_to_a_contact_never_touched() -> None:
    snooze = ADDED + timedelta(days=400)
    item = standing(make_contact(snoozed_until=snooze), None, (30, CadenceSource.DEFAULT), ADDED)
    assert item.next_due == snooze


def test_paused_contact_has_no_due_date() -> None:
    now = datetime(2024, 6, 1, tzinfo=UTC)
    touched = datetime(2024, 1, 1, tzinfo=UTC)
    contact = make_contact(paused=True, snoozed_until=datetime(2024, 7, 1, tzinfo=UTC))
    item = standing(contact, make_touch(touched), (7, CadenceSource.CONTACT), now)
    assert item.status is DueStatus.PAUSED
    assert item.next_due is None
    assert item.days_until_due is None
    # Being paused does not forget the history.
    assert item.days_since_last_touch == (now - touched).days


# -- contacts never touched ----------------------------------------------------------------------


@pytest.mark.parametrize("cadence", [1, 7, 30, 365])
@pytest.mark.parametrize("index", range(12))
def test_first_due_date_falls_within_the_first_cadence(cadence: int, index: int) -> None:
    contact = make_contact(f"Friend {index}", (f"friend{index}@example.org",))
    item = standing(contact, None, (cadence, CadenceSource.DEFAULT), ADDED)
    assert item.next_due is not None
    assert ADDED < item.next_due <= ADDED + timedelta(days=cadence)
    assert item.last_touch is None
    assert item.days_since_last_touch is None
    assert urgency(item, ADDED) == 0.0  # never touched, added just now: not overdue at all


def test_first_due_date_is_deterministic_across_calls() -> None:
    contact = make_contact()
    first = standing(contact, None, (30, CadenceSource.DEFAULT), ADDED).next_due
    again = standing(make_contact(), None, (30, CadenceSource.DEFAULT), ADDED).next_due
    assert first == again
    assert 0 < first_due_fraction(contact) <= 1


def test_first_due_fraction_does_not_depend_on_the_hash_seed() -> None:
    """A restart must not move anyone's first due date (hash() is salted per process)."""
    code = (
        "from datetime import datetime, timezone\n"
        "from keepwarm.domain.model import Contact\n"
        "from keepwarm.domain.due import first_due_fraction\n"
        "c = Contact('A', ('alice@example.org',), datetime(2024, 1, 1, 9, tzinfo=timezone.utc), id=1)\n"
        "print(repr(first_due_fraction(c)))\n"
    )
    expected = repr(first_due_fraction(make_contact()))
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True, timeout=60
        )
        assert done.stdout.strip() == expected


def test_contacts_added_together_do_not_all_fall_due_together() -> None:
    contacts = [make_contact(f"Friend {i}", (f"friend{i}@example.org",), contact_id=i + 1) for i in range(20)]
    result = standings(contacts, last_by_address={}, group_cadences={}, default_days=30, now=ADDED)
    days = {s.next_due.date() for s in result if s.next_due is not None}
    assert len(result) == 20
    assert len(days) >= 10, f"20 new contacts fall due on only {len(days)} distinct days"


# -- statuses in the owner's time zone -----------------------------------------------------------


def _status_at(now: datetime, next_due: datetime, upcoming_days: int = 14) -> tuple[DueStatus, int | None]:
    cadence = 10
    touch = make_touch(next_due - timedelta(days=cadence))
    item = standing(make_contact(), touch, (cadence, CadenceSource.CONTACT), now, upcoming_days=upcoming_days)
    assert item.next_due == next_due
    return item.status, item.days_until_due


def test_overdue() -> None:
    now = datetime(2024, 1, 15, 12, 0, tzinfo=NY)
    assert _status_at(now, now - timedelta(days=3)) == (DueStatus.OVERDUE, -3)


def test_due_today_earlier_in_the_day() -> None:
    now = datetime(2024, 1, 15, 12, 0, tzinfo=NY)
    assert _status_at(now, now - timedelta(hours=5)) == (DueStatus.DUE, 0)


def test_due_on_the_owners_day_although_the_utc_day_has_passed() -> None:
    # 20:00 in New York is 01:00 UTC the next day; the due time, 18:00 New York, is still "today".
    now = datetime(2024, 1, 15, 20, 0, tzinfo=NY)
    next_due = datetime(2024, 1, 15, 23, 0, tzinfo=UTC)
    assert now.astimezone(UTC).date() != next_due.date()
    assert _status_at(now, next_due) == (DueStatus.DUE, 0)


def test_overdue_on_the_owners_day_although_the_utc_day_is_the_same() -> None:
    # 00:30 New York; the due time 23:30 New York the evening before was yesterday, for the owner.
    now = datetime(2024, 1, 15, 0, 30, tzinfo=NY)
    next_due = datetime(2024, 1, 14, 23, 30, tzinfo=NY).astimezone(UTC)
    assert now.astimezone(UTC).date() == next_due.date()
    assert _status_at(now, next_due) == (DueStatus.OVERDUE, -1)


def test_an_hour_later_past_midnight_is_tomorrow() -> None:
    now = datetime(2024, 1, 15, 23, 30, tzinfo=NY)
    next_due = datetime(2024, 1, 16, 0, 30, tzinfo=NY)
    assert _status_at(now, next_due) == (DueStatus.UPCOMING, 1)


def test_upcoming_window_boundary() -> None:
    now = datetime(2024, 1, 15, 12, 0, tzinfo=NY)
    assert _status_at(now, now + timedelta(days=14)) == (DueStatus.UPCOMING, 14)
    assert _status_at(now, now + timedelta(days=15)) == (DueStatus.LATER, 15)
    assert _status_at(now, now + timedelta(days=3), upcoming_days=2) == (DueStatus.LATER, 3)


def test_days_since_last_touch_counts_the_owners_calendar_days() -> None:
    touched = datetime(2024, 1, 15, 23, 0, tzinfo=NY)  # 04:00 UTC on the 16th
    now = datetime(2024, 1, 16, 0, 30, tzinfo=NY)  # 05:30 UTC on the 16th
    item = standing(make_contact(), make_touch(touched.astimezone(UTC)), (30, CadenceSource.CONTACT), now)
    assert item.days_since_last_touch == 1


# -- naive datetimes -----------------------------------------------------------------------------


def test_naive_now_is_refused() -> None:
    naive = datetime(2024, 1, 15, 12, 0)
    with pytest.raises(ValueError, match="aware"):
        standing(make_contact(), None, (30, CadenceSource.DEFAULT), naive)
    with pytest.raises(ValueError, match="aware"):
        standings([make_contact()], last_by_address={}, group_cadences={}, default_days=30, now=naive)


def test_naive_datetimes_in_the_model_are_refused() -> None:
    naive = datetime(2024, 1, 15, 12, 0)
    with pytest.raises(ValueError, match="aware"):
        make_contact(added_at=naive)
    with pytest.raises(ValueError, match="aware"):
        make_contact(snoozed_until=naive)
    with pytest.raises(ValueError, match="aware"):
        make_touch(naive)


# -- ordering and ranking ------------------------------------------------------------------------


def test_standings_are_sorted_soonest_first_with_paused_last() -> None:
    now = datetime(2024, 3, 1, 12, 0, tzinfo=NY)
    names = ["Zed", "Paused Early", "Bea", "amy", "Cal"]
    contacts = [
        make_contact(
            name, (f"{name.split()[0].lower()}@example.org",), cadence_days=10, paused=name == "Paused Early"
        )
        for name in names
    ]
    touched = {
        "zed@example.org": now - timedelta(days=2),  # due in 8 days
        "paused@example.org": now - timedelta(days=100),  # would be the most overdue
        "bea@example.org": now - timedelta(days=20),  # 10 days overdue
        "amy@example.org": now - timedelta(days=5),  # due in 5 days, same moment as Cal
        "cal@example.org": now - timedelta(days=5),
    }
    by_address = {address: make_touch(at, address) for address, at in touched.items()}
    result = standings(contacts, last_by_address=by_address, group_cadences={}, default_days=30, now=now)
    assert [s.contact.name for s in result] == ["Bea", "amy", "Cal", "Zed", "Paused Early"]
    assert [s.status for s in result] == [
        DueStatus.OVERDUE,
        DueStatus.UPCOMING,
        DueStatus.UPCOMING,
        DueStatus.UPCOMING,
        DueStatus.PAUSED,
    ]


def test_urgency_is_time_since_the_last_touch_over_the_cadence() -> None:
    now = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    late = standing(make_contact(), make_touch(now - timedelta(days=45)), (30, CadenceSource.CONTACT), now)
    early = standing(make_contact(), make_touch(now - timedelta(days=7)), (28, CadenceSource.CONTACT), now)
    assert urgency(late, now) == pytest.approx(1.5)
    assert urgency(early, now) == pytest.approx(0.25)


def test_the_cadence_counts_from_the_touch_it_is_given_and_the_story_from_the_last() -> None:
    """Unanswered mail from her (UNANSWERED_COUNTS=no): due from the owner's own last touch, or
    from when she was added if there is none; the last touch is still hers."""
    own = datetime(2024, 1, 10, 10, 0, tzinfo=UTC)
    hers = Touch("alice@example.org", datetime(2024, 2, 5, 10, 0, tzinfo=UTC), Direction.IN)
    now = datetime(2024, 2, 15, 12, 0, tzinfo=UTC)
    counted = standing(make_contact(), hers, (30, CadenceSource.CONTACT), now, counted=make_touch(own))
    assert counted.next_due == own + timedelta(days=30)
    assert counted.status is DueStatus.OVERDUE and counted.last_touch == hers
    assert counted.days_since_last_touch == 10 and counted.cadence_touch == make_touch(own)
    assert urgency(counted, now) == pytest.approx(36.083 / 30, rel=1e-3)
    never = standing(make_contact(), hers, (30, CadenceSource.CONTACT), now, counted=None)
    assert never.cadence_touch is None and never.next_due is not None and never.next_due < now
    anyone = standing(make_contact(), hers, (30, CadenceSource.CONTACT), now)
    assert anyone.next_due == hers.at + timedelta(days=30) and anyone.cadence_touch == hers
