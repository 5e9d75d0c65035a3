"""Meetings as touches, read from a calendar on a real Radicale server (and an .ics file): a
video meeting ten days ago, a weekly call, declined, cancelled and crowded meetings, a meeting to
come that holds a reminder, re-reading, deleting upstream, and calendars that cannot be read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from keepwarm.domain.model import Channel, Direction, Touch
from keepwarm.store import Store
from tests.clitools import Runner, ok
from tests.testbed.radicale import Calendar, event

OWNER = "naomi@example.com"
ALICE = "alice@example.org"
BEN = "ben@example.org"


def _at(days: float) -> datetime:
    """A moment ``days`` from now (negative: ago), to the second."""
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)


def _with(*addresses: str, partstat: str = "ACCEPTED") -> list[str]:
    lines = [f"ORGANIZER:mailto:{OWNER}", f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{OWNER}"]
    return lines + [f"ATTENDEE;PARTSTAT={partstat};CN=Someone:mailto:{a}" for a in addresses]


def _merged(*calendars: str) -> str:
    """One VCALENDAR holding the events of several."""
    head = calendars[0].split("BEGIN:VEVENT", 1)[0]
    events = ["BEGIN:VEVENT" + c.split("BEGIN:VEVENT", 1)[1].split("END:VCALENDAR")[0] for c in calendars]
    return head + "".join(events) + "END:VCALENDAR\r\n"


@pytest.fixture
def cal(calendar: Calendar, monkeypatch: pytest.MonkeyPatch, state: Path, run: Runner) -> Calendar:
    """keepwarm set up to read ``calendar`` as KEEPWARM_CALENDARS=work, with Alice and Ben tracked."""
    monkeypatch.setenv("KEEPWARM_OWNER_EMAILS", OWNER)
    monkeypatch.setenv("KEEPWARM_CALENDARS", "work")
    monkeypatch.setenv("KEEPWARM_WORK_CALENDAR_URL", calendar.url)
    monkeypatch.setenv("KEEPWARM_WORK_CALENDAR_USER", calendar.server.user)
    monkeypatch.setenv("KEEPWARM_WORK_CALENDAR_PASSWORD", calendar.server.password)
    ok(run("contacts", "add", f"Alice Example <{ALICE}>", "--every", "3w"))
    ok(run("contacts", "add", f"Ben Example <{BEN}>", "--every", "2w"))
    return calendar


def test_a_video_meeting_with_alice_ten_days_ago_is_a_touch_and_resets_her_due_date(
    run: Runner, state: Path, cal: Calendar
) -> None:
    start = _at(-10)
    cal.put(
        "coffee",
        event(
            "coffee",
            start,
            "SUMMARY:Catch-up",
            "LOCATION:https://meet.google.com/abc-defg-hij",
            *_with(ALICE),
        ),
    )

    poll = ok(run("poll"))

    assert poll.lines[0] == "calendar work: 1 touches added, 0 removed, 0 meetings to come, problems 0"
    history = ok(run("history", "alice"))
    [row] = [line for line in history.lines if ALICE in line]
    assert row.split()[1:4] == ["manual", "video", ALICE] and "Catch-up" in row
    [touch] = ok(run("history", "alice", "--json")).json()
    assert (touch["at"], touch["channel"], touch["source"]) == (start.isoformat(), "video", "cal:work")
    [alice] = [c for c in ok(run("contacts", "list", "--json")).json() if c["name"] == "Alice Example"]
    assert alice["next_due"] == (start + timedelta(days=21)).isoformat()


def test_a_weekly_call_with_ben_is_one_touch_per_past_occurrence(
    run: Runner, state: Path, cal: Calendar
) -> None:
    first = _at(-27)
    cal.put("weekly", event("weekly", first, "SUMMARY:1:1", "RRULE:FREQ=WEEKLY;COUNT=8", *_with(BEN)))

    ok(run("poll"))

    touches = ok(run("history", "ben", "--json")).json()
    assert [t["at"] for t in touches] == [(first + timedelta(weeks=w)).isoformat() for w in range(4)]
    assert {t["channel"] for t in touches} == {"meeting"}


def test_declined_cancelled_and_crowded_meetings_are_no_touch(
    run: Runner, state: Path, cal: Calendar
) -> None:
    cal.put("declined", event("declined", _at(-5), *_with(ALICE, partstat="DECLINED")))
    cal.put("cancelled", event("cancelled", _at(-4), "STATUS:CANCELLED", *_with(ALICE)))
    crowd = [f"p{i}@example.net" for i in range(25)]
    cal.put("crowd", event("crowd", _at(-3), *_with(ALICE, *crowd)))

    poll = ok(run("poll"))

    assert poll.lines[0].startswith("calendar work: 0 touches added")
    assert Store(state).touches() == []


def test_a_meeting_to_come_holds_her_reminder(run: Runner, state: Path, cal: Calendar) -> None:
    from keepwarm import config
    from keepwarm.app import reminders
    from keepwarm.runtime.wiring import settings_for

    # Alice is overdue: her cadence (3 weeks) ran out a week ago, but for the meeting.
    Store(state).add_touches([Touch(ALICE, _at(-28), Direction.OUT, subject="Hello")])
    friday = _at(3)
    cal.put("dinner", event("dinner", friday, "SUMMARY:Dinner", *_with(ALICE)))

    ok(run("poll"))

    day = f"{friday:%A}"
    due = ok(run("due"))
    [line] = [line for line in due.lines if "Alice" in line]
    assert f"you're seeing Alice on {day} (reminder held)" in line
    assert f"meeting ahead:      you're seeing Alice on {day} (reminder held)" in ok(run("status")).lines
    store, now = Store(state), datetime.now(UTC)
    picked = reminders.choose(store, settings_for(config.load()), now)
    assert "Alice Example" not in [p.standing.contact.name for p in picked]
    after = reminders.choose(store, settings_for(config.load()), friday + timedelta(hours=2))
    assert "Alice Example" in [p.standing.contact.name for p in after]


def test_reading_again_never_doubles_and_a_meeting_moved_or_deleted_upstream_takes_its_touch(
    run: Runner, state: Path, cal: Calendar
) -> None:
    cal.put("lunch", event("lunch", _at(-6), "SUMMARY:Lunch", *_with(ALICE)))
    cal.put("walk", event("walk", _at(-2), "SUMMARY:Walk", *_with(BEN)))
    ok(run("poll"))

    again = ok(run("poll"))
    assert again.lines[0] == "calendar work: 0 touches added, 0 removed, 0 meetings to come, problems 0"
    assert len(Store(state).touches()) == 2

    moved = _at(-5)
    cal.put("lunch", event("lunch", moved, "SUMMARY:Lunch", *_with(ALICE)))
    cal.delete("walk")
    ok(run("poll"))

    touches = Store(state).touches()
    assert [(t.address, t.at, t.channel) for t in touches] == [(ALICE, moved, Channel.MEETING)]


def test_an_unreachable_server_and_a_malformed_event_are_one_line_each_and_the_rest_works(
    run: Runner, state: Path, cal: Calendar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cal.put("good", event("good", _at(-1), *_with(ALICE)))
    nostart = tmp_path / "nostart.ics"
    when = _at(-1)
    text = _merged(event("nostart", when, *_with(BEN)), event("fine", when, *_with(BEN)))
    nostart.write_text(text.replace(f"DTSTART:{when:%Y%m%dT%H%M%SZ}\r\n", "", 1), encoding="utf-8")
    bad = tmp_path / "broken.ics"
    bad.write_text("BEGIN:VCALENDAR\r\nthis is no calendar\r\n", encoding="utf-8")
    monkeypatch.setenv("KEEPWARM_CALENDARS", "work,down,broken,nostart")
    monkeypatch.setenv("KEEPWARM_NOSTART_CALENDAR_URL", str(nostart))
    monkeypatch.setenv("KEEPWARM_DOWN_CALENDAR_URL", "http://127.0.0.1:9/dav/calendars/naomi/work/")
    monkeypatch.setenv("KEEPWARM_BROKEN_CALENDAR_URL", str(bad))

    poll = ok(run("poll"))

    assert poll.lines[:5] == [
        "calendar work: 1 touches added, 0 removed, 0 meetings to come, problems 0",
        "calendar down: not read: 127.0.0.1:9: connection refused",
        poll.lines[2],
        "calendar nostart: 1 touches added, 0 removed, 0 meetings to come, problems 1",
        "  problem: calendar nostart, event nostart: has no start: skipped",
    ]
    assert poll.lines[2].startswith(f"calendar broken: not read: {bad}: not iCalendar")
    assert sorted(t.address for t in Store(state).touches()) == [ALICE, BEN]
    check = run("check").out.splitlines()
    [down] = [line for line in check if "calendar down" in line]
    [broken] = [line for line in check if "calendar broken" in line]
    [work] = [line for line in check if "calendar nostart" in line]
    assert "FAIL" in down and "connection refused" in down
    assert "FAIL" in broken and "not iCalendar" in broken
    assert "PASS" in work and "event nostart: has no start" in work
    status = ok(run("status")).lines
    assert "calendar down:      synced never; error: 127.0.0.1:9: connection refused" in status
    assert any(line.startswith("calendar work:      synced") for line in status)
    assert "  problem:          calendar nostart, event nostart: has no start: skipped" in status


def test_an_ics_file_is_a_calendar_too(
    run: Runner, state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "work.ics"
    one = event("zoom", _at(-3), "DESCRIPTION:Join https://us02web.zoom.us/j/123", *_with(ALICE))
    two = event("tea", _at(-2), *_with(BEN))
    body = _merged(one, two)
    path.write_text(body, encoding="utf-8")
    monkeypatch.setenv("KEEPWARM_OWNER_EMAILS", OWNER)
    monkeypatch.setenv("KEEPWARM_CALENDARS", "work")
    monkeypatch.setenv("KEEPWARM_WORK_CALENDAR_URL", str(path))
    ok(run("contacts", "add", f"Alice Example <{ALICE}>"))

    assert (
        ok(run("poll")).lines[0]
        == "calendar work: 2 touches added, 0 removed, 0 meetings to come, problems 0"
    )
    assert ok(run("poll")).lines[0].startswith("calendar work: 0 touches added")  # unchanged file

    [touch] = ok(run("history", "alice", "--json")).json()
    assert touch["channel"] == "video"
    path.write_text(one, encoding="utf-8")  # tea is gone from the file
    assert ok(run("poll")).lines[0].startswith("calendar work: 0 touches added, 1 removed")


def test_the_daemon_reads_the_calendars_in_a_thread_of_their_own(state: Path, cal: Calendar) -> None:
    from keepwarm import config
    from keepwarm.runtime.loop import Daemon

    cal.put("call", event("call", _at(-1), *_with(ALICE)))
    daemon = Daemon(config.load)

    thread = daemon.calendars_job()

    assert thread is not None and thread.name == "calendars"
    thread.join(timeout=20)
    assert [t.address for t in Store(state).touches()] == [ALICE]
    assert "calendars_job" in repr(daemon._schedule().jobs)


@pytest.mark.parametrize(
    ("settings", "line"),
    [
        ({}, "KEEPWARM_WORK_CALENDAR_URL is not set (KEEPWARM_CALENDARS names work)"),
        (
            {"CALENDAR_URL": "ftp://example.com/cal"},
            "KEEPWARM_WORK_CALENDAR_URL: 'ftp://example.com/cal' is neither",
        ),
        (
            {"CALENDAR_URL": "https://dav.example.com/cal/", "CALENDAR_USER": "naomi"},
            "KEEPWARM_WORK_CALENDAR_PASSWORD (or _COMMAND or _FILE) is not set",
        ),
        (
            {
                "CALENDAR_URL": "https://dav.example.com/cal/",
                "CALENDAR_USER": "n",
                "CALENDAR_PASSWORD": "a",
                "CALENDAR_PASSWORD_FILE": "b",
            },
            "KEEPWARM_WORK_CALENDAR_PASSWORD and KEEPWARM_WORK_CALENDAR_PASSWORD_FILE: set only one of them",
        ),
    ],
    ids=["no-url", "not-a-url", "no-password", "two-passwords"],
)
def test_a_calendar_half_set_up_is_one_line_naming_the_key(
    run: Runner, state: Path, monkeypatch: pytest.MonkeyPatch, settings: dict[str, str], line: str
) -> None:
    monkeypatch.setenv("KEEPWARM_CALENDARS", "work")
    for key, value in settings.items():
        monkeypatch.setenv(f"KEEPWARM_WORK_{key}", value)

    result = run("poll")

    assert result.code == 78
    assert line in result.err
    assert "Traceback" not in result.err


def test_a_5_mb_calendar_is_read_and_a_26_mb_one_is_one_line(
    run: Runner, state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Years of a busy calendar: 4,000 meetings with long descriptions, Alice in one of them.
    filler = "DESCRIPTION:" + "Agenda and notes for the weekly planning meeting. " * 22
    crowd = [
        event(f"plan-{n}", _at(-1 - n / 8), filler, *_with(f"colleague{n % 40}@example.net"))
        for n in range(4000)
    ]
    path = tmp_path / "big.ics"
    path.write_text(_merged(event("lunch", _at(-4), *_with(ALICE)), *crowd), encoding="utf-8")
    assert 5_000_000 <= path.stat().st_size < 6_000_000
    huge = tmp_path / "huge.ics"
    huge.write_text(path.read_text(encoding="utf-8").replace(filler, filler * 6), encoding="utf-8")
    assert huge.stat().st_size > 25 * 1024 * 1024
    monkeypatch.setenv("KEEPWARM_OWNER_EMAILS", OWNER)
    monkeypatch.setenv("KEEPWARM_CALENDARS", "work,huge")
    monkeypatch.setenv("KEEPWARM_WORK_CALENDAR_URL", str(path))
    monkeypatch.setenv("KEEPWARM_HUGE_CALENDAR_URL", str(huge))
    ok(run("contacts", "add", f"Alice Example <{ALICE}>"))

    lines = ok(run("poll")).lines

    assert lines[0].startswith("calendar work: 4001 touches added, 0 removed")
    assert lines[1].startswith("calendar huge:") and "25 MB" in lines[1], lines[1]
    [touch] = ok(run("history", "alice", "--json")).json()
    assert touch["channel"] == "meeting"
    status = ok(run("status")).out
    assert "huge" in status and "25 MB" in status


def test_an_icalendar_address_is_a_calendar_too(
    run: Runner, state: Path, calendar: Calendar, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Radicale answers a GET of the collection with the whole calendar as one iCalendar file and
    # an ETag, as a published calendar address does (Nextcloud's "?export" link, for one).
    calendar.put("dinner", event("dinner", _at(-6), *_with(ALICE)))
    monkeypatch.setenv("KEEPWARM_OWNER_EMAILS", OWNER)
    monkeypatch.setenv("KEEPWARM_CALENDARS", "shared")
    monkeypatch.setenv("KEEPWARM_SHARED_CALENDAR_URL", f"{calendar.url}?export")
    monkeypatch.setenv("KEEPWARM_SHARED_CALENDAR_USER", calendar.server.user)
    monkeypatch.setenv("KEEPWARM_SHARED_CALENDAR_PASSWORD", calendar.server.password)
    ok(run("contacts", "add", f"Alice Example <{ALICE}>"))

    assert ok(run("poll")).lines[0].startswith("calendar shared: 1 touches added, 0 removed")
    assert ok(run("poll")).lines[0].startswith("calendar shared: 0 touches added, 0 removed")
    calendar.put("brunch", event("brunch", _at(-2), *_with(ALICE)))
    assert ok(run("poll")).lines[0].startswith("calendar shared: 1 touches added, 0 removed")
    assert [t["source"] for t in ok(run("history", "alice", "--json")).json()] == ["cal:shared"] * 2
