"""When the daily reminder run is due: the owner's wall clock, chosen weekdays, DST changes, catch-up."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from keepwarm.domain.timing import latest_slot, parse_weekdays, run_is_due

LISBON = ZoneInfo("Europe/Lisbon")
NEW_YORK = ZoneInfo("America/New_York")
AT = time(8, 30)
DAILY = range(7)


def stored(moment: datetime) -> datetime:
    """A run time as the daemon reads it back from the store (ISO text with a fixed offset)."""
    return datetime.fromisoformat(moment.isoformat())


def simulate(
    tz: ZoneInfo,
    first: date,
    last: date,
    at: time,
    days: Collection[int] = DAILY,
    step: timedelta = timedelta(minutes=1),
) -> list[datetime]:
    """Ask "is a run due?" every ``step`` from ``first`` to ``last`` (inclusive) as the daemon does.

    A run is recorded when one is due, and its time is stored and read back as the real store does.
    The run before ``first`` is taken to have happened at the slot of the previous day.
    """
    start = datetime.combine(first, time(0, 0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0, 0), tzinfo=tz).astimezone(UTC)
    last_run: datetime | None = stored(datetime.combine(first - timedelta(days=1), at, tzinfo=tz))
    runs: list[datetime] = []
    moment = start
    while moment < end:
        now = moment.astimezone(tz)
        if run_is_due(now, at, last_run, days):
            runs.append(now)
            last_run = stored(now)
        moment += step
    return runs


# -- the configured zone ------------------------------------------------------------------------


@pytest.mark.parametrize("tz", [LISBON, NEW_YORK], ids=["Lisbon", "New_York"])
def test_fires_at_reminder_time_in_the_owners_zone_not_before(tz: ZoneInfo) -> None:
    today = datetime(2026, 6, 10, 0, 0, tzinfo=tz)
    yesterday_run = stored(today.replace(day=9, hour=8, minute=30))

    assert not run_is_due(today.replace(hour=8, minute=29, second=59), AT, yesterday_run)
    assert run_is_due(today.replace(hour=8, minute=30), AT, yesterday_run)
    assert run_is_due(today.replace(hour=13, minute=0), AT, yesterday_run)
    # 08:30 UTC is not 08:30 for the owner: New York is at 04:30 then, Lisbon (summer) at 09:30.
    utc_0830 = datetime(2026, 6, 10, 8, 30, tzinfo=UTC).astimezone(tz)
    assert run_is_due(utc_0830, AT, yesterday_run) is (tz is LISBON)


@pytest.mark.parametrize("tz", [LISBON, NEW_YORK], ids=["Lisbon", "New_York"])
def test_one_run_a_day_at_0830_wall_clock(tz: ZoneInfo) -> None:
    runs = simulate(tz, date(2026, 6, 8), date(2026, 6, 10), AT)

    assert [(r.date(), r.time()) for r in runs] == [(date(2026, 6, d), AT) for d in (8, 9, 10)]


def test_latest_slot_is_in_nows_zone() -> None:
    now = datetime(2026, 6, 10, 9, 0, tzinfo=NEW_YORK)

    slot = latest_slot(now, AT)

    assert slot == datetime(2026, 6, 10, 8, 30, tzinfo=NEW_YORK)
    assert slot is not None and slot.astimezone(UTC).hour == 12


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        run_is_due(datetime(2026, 6, 10, 9, 0), AT, None)


# -- daylight-saving changes --------------------------------------------------------------------

DST_CHANGES = [
    pytest.param(LISBON, date(2026, 3, 29), id="Lisbon-spring-forward"),
    pytest.param(LISBON, date(2026, 10, 25), id="Lisbon-fall-back"),
    pytest.param(NEW_YORK, date(2026, 3, 8), id="New_York-spring-forward"),
    pytest.param(NEW_YORK, date(2026, 11, 1), id="New_York-fall-back"),
]


@pytest.mark.parametrize(("tz", "change"), DST_CHANGES)
def test_dst_change_keeps_0830_on_the_wall_clock(tz: ZoneInfo, change: date) -> None:
    assert change.weekday() == 6  # the changes happen on a Sunday

    runs = simulate(tz, change - timedelta(days=1), change + timedelta(days=1), AT)

    expected_days = [change - timedelta(days=1), change, change + timedelta(days=1)]
    assert [(r.date(), r.time()) for r in runs] == [(d, AT) for d in expected_days]
    # The offset did change: the same wall time is a different UTC instant after the change.
    assert runs[0].utcoffset() != runs[2].utcoffset()
    assert runs[1].utcoffset() == runs[2].utcoffset()


GAPS = [
    # (zone, changeover day, REMINDER_TIME inside the gap, first wall time after the gap)
    pytest.param(NEW_YORK, date(2026, 3, 8), time(2, 30), time(3, 0), id="New_York-02:30"),
    pytest.param(LISBON, date(2026, 3, 29), time(1, 30), time(2, 0), id="Lisbon-01:30"),
]


@pytest.mark.parametrize(("tz", "change", "at", "gap_end"), GAPS)
def test_a_slot_inside_the_spring_forward_gap_is_not_skipped(
    tz: ZoneInfo, change: date, at: time, gap_end: time
) -> None:
    yesterday_run = stored(datetime.combine(change - timedelta(days=1), at, tzinfo=tz))
    just_before_gap = (
        datetime.combine(change, gap_end, tzinfo=tz).astimezone(UTC) - timedelta(minutes=1)
    ).astimezone(tz)
    an_hour_after = datetime.combine(change, gap_end, tzinfo=tz) + timedelta(hours=1)

    assert not run_is_due(just_before_gap, at, yesterday_run)
    assert run_is_due(an_hour_after, at, yesterday_run)


@pytest.mark.parametrize(("tz", "change", "at", "gap_end"), GAPS)
def test_a_slot_inside_the_spring_forward_gap_runs_late_and_once(
    tz: ZoneInfo, change: date, at: time, gap_end: time
) -> None:
    runs = simulate(tz, change, change + timedelta(days=1), at)

    on_change_day = [r for r in runs if r.date() == change]
    assert len(on_change_day) == 1, (
        f"{len(on_change_day)} runs, {on_change_day[0]:%H:%M} to {on_change_day[-1]:%H:%M}"
    )
    late = on_change_day[0]
    # Late, never early: not before the gap ends, and at most one hour (the gap) after the slot.
    assert gap_end <= late.time() <= (datetime.combine(change, at) + timedelta(hours=1)).time()
    assert [(r.date(), r.time()) for r in runs if r.date() != change] == [(change + timedelta(days=1), at)]


def test_an_ambiguous_fall_back_slot_runs_once() -> None:
    # 01:30 happens twice in New York on 1 November 2026.
    runs = simulate(NEW_YORK, date(2026, 11, 1), date(2026, 11, 2), time(1, 30))

    assert [(r.date(), r.time()) for r in runs] == [
        (date(2026, 11, 1), time(1, 30)),
        (date(2026, 11, 2), time(1, 30)),
    ]
    assert runs[0].utcoffset() == timedelta(hours=-4)  # the first 01:30, still on summer time


# -- REMINDER_DAYS --------------------------------------------------------------------------------


def test_reminder_days_skip_the_other_weekdays() -> None:
    mon_thu = parse_weekdays("mon,thu")
    first = date(2026, 6, 8)  # a Monday

    runs = simulate(LISBON, first, first + timedelta(days=13), AT, mon_thu, step=timedelta(minutes=15))

    assert [(r.date(), r.time()) for r in runs] == [
        (date(2026, 6, 8), AT),
        (date(2026, 6, 11), AT),
        (date(2026, 6, 15), AT),
        (date(2026, 6, 18), AT),
    ]


def test_on_an_off_day_the_latest_slot_is_the_last_chosen_day() -> None:
    wednesday = datetime(2026, 6, 10, 12, 0, tzinfo=LISBON)
    monday_run = stored(datetime(2026, 6, 8, 8, 30, tzinfo=LISBON))
    mon_thu = parse_weekdays("mon,thu")

    assert latest_slot(wednesday, AT, mon_thu) == datetime(2026, 6, 8, 8, 30, tzinfo=LISBON)
    assert not run_is_due(wednesday, AT, monday_run, mon_thu)
    assert run_is_due(wednesday.replace(day=11, hour=8, minute=30), AT, monday_run, mon_thu)


# -- catch-up -------------------------------------------------------------------------------------


def test_catch_up_after_downtime_runs_once_then_waits_for_the_next_slot() -> None:
    now = datetime(2026, 6, 10, 11, 15, tzinfo=LISBON)
    three_days_ago = stored(datetime(2026, 6, 7, 8, 30, tzinfo=LISBON))

    assert run_is_due(now, AT, three_days_ago)

    ran = stored(now)
    assert not run_is_due(now + timedelta(minutes=1), AT, ran)
    assert not run_is_due(now.replace(hour=23, minute=59), AT, ran)
    assert not run_is_due(datetime(2026, 6, 11, 8, 29, tzinfo=LISBON), AT, ran)
    assert run_is_due(datetime(2026, 6, 11, 8, 30, tzinfo=LISBON), AT, ran)


def test_first_start_runs_once_a_slot_has_passed() -> None:
    assert run_is_due(datetime(2026, 6, 10, 8, 30, tzinfo=LISBON), AT, None)
    # Before today's slot, yesterday's counts: a fresh install still reminds on its first morning.
    assert run_is_due(datetime(2026, 6, 10, 7, 0, tzinfo=LISBON), AT, None)


def test_no_slot_in_the_last_week_is_never_due() -> None:
    assert latest_slot(datetime(2026, 6, 10, 12, 0, tzinfo=LISBON), AT, frozenset()) is None
    assert not run_is_due(datetime(2026, 6, 10, 12, 0, tzinfo=LISBON), AT, None, frozenset())


# -- parse_weekdays -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("fri-mon", {4, 5, 6, 0}),
        ("sat-sun", {5, 6}),
        ("mon,thu", {0, 3}),
        ("Mon, Thu", {0, 3}),
        ("monday,thursday", {0, 3}),
        ("mon-wed,fri", {0, 1, 2, 4}),
        ("wed", {2}),
        ("sun-sun", {6}),
    ],
)
def test_parse_weekdays(text: str, expected: set[int]) -> None:
    assert parse_weekdays(text) == frozenset(expected)


@pytest.mark.parametrize(
    ("text", "named"),
    [("funday", "funday"), ("mon,xyz", "xyz"), ("mon-blah", "blah"), ("mo", "mo"), ("-fri", "''")],
)
def test_parse_weekdays_names_the_bad_entry(text: str, named: str) -> None:
    with pytest.raises(ValueError, match="is not a weekday") as caught:
        parse_weekdays(text)
    assert named in str(caught.value)


@pytest.mark.parametrize("text", ["", ",", " , "])
def test_parse_weekdays_needs_at_least_one_day(text: str) -> None:
    with pytest.raises(ValueError, match="no weekdays"):
        parse_weekdays(text)
