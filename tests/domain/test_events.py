"""Calendar events as touches: which meetings count, with whom, on which channel, and how a
meeting to come holds a reminder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from keepwarm.domain.events import (
    Attendee,
    CalendarPlan,
    Event,
    Meeting,
    channel_of,
    counts,
    next_meeting,
    people,
    plan_calendar,
    seeing,
)
from keepwarm.domain.model import Channel, Contact, Direction

NOW = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)  # a Wednesday
OWNER = ("naomi@example.com",)
ALICE = "alice@example.org"


def _event(uid: str = "e1", days: float = -10, **changes: object) -> Event:
    fields: dict[str, object] = {
        "uid": uid,
        "start": NOW + timedelta(days=days),
        "organizer": OWNER[0],
        "attendees": (Attendee(OWNER[0], "ACCEPTED"), Attendee(ALICE, "ACCEPTED")),
        "summary": "Coffee",
    }
    fields.update(changes)
    return Event(**fields)  # type: ignore[arg-type]


def _plan(
    read: dict[str, list[Event]], known: dict[str, tuple[str, ...]] | None = None, gone: tuple[str, ...] = ()
) -> CalendarPlan:
    return plan_calendar(
        "work",
        read=read,
        known=known or {},
        gone=gone,
        owner_emails=OWNER,
        max_recipients=20,
        since=NOW - timedelta(days=730),
        now=NOW,
    )


def test_a_past_meeting_is_a_touch_at_its_start_with_everyone_but_the_owner() -> None:
    plan = _plan({"e1.ics": [_event()]})
    [touch] = plan.add
    assert (touch.address, touch.at, touch.direction, touch.channel) == (
        ALICE,
        NOW - timedelta(days=10),
        Direction.MANUAL,
        Channel.MEETING,
    )
    assert (touch.source, touch.subject) == ("cal:work", "Coffee")
    assert touch.message_id == f"e1/{(NOW - timedelta(days=10)).isoformat()}"
    assert plan.keys == {"e1.ics": (touch.message_id,)}


def test_a_conferencing_link_makes_it_a_video_touch() -> None:
    links = [
        "https://meet.google.com/abc-defg-hij",
        "Join: https://us02web.zoom.us/j/123456?pwd=x",
        "https://teams.microsoft.com/l/meetup-join/19%3a",
        "https://meet.jit.si/KeepWarm",
        "https://whereby.com/naomi",
        "https://acme.webex.com/meet/naomi",
    ]
    for link in links:
        assert channel_of(_event(texts=(link,))) is Channel.VIDEO, link
    assert channel_of(_event(texts=("Café Central, Vienna", "https://zoom.usx.example/"))) is Channel.MEETING


def test_declined_cancelled_and_crowded_meetings_do_not_count() -> None:
    declined = _event(attendees=(Attendee(OWNER[0], "ACCEPTED"), Attendee(ALICE, "DECLINED")))
    assert people(declined, OWNER) == []
    assert counts(_event(status="CANCELLED"), OWNER, 20) == "cancelled"
    owner_declined = _event(organizer=ALICE, attendees=(Attendee(OWNER[0], "DECLINED"),))
    assert counts(owner_declined, OWNER, 20) == "declined"
    crowd = tuple(Attendee(f"p{i}@example.org", "ACCEPTED") for i in range(21))
    assert counts(_event(attendees=crowd), OWNER, 20) == "more than 20 attendees"
    assert (
        _plan({"a": [declined], "b": [_event(status="CANCELLED")], "c": [_event(attendees=crowd)]}).add == []
    )


def test_the_organiser_counts_and_the_owner_is_never_a_contact() -> None:
    event = _event(organizer="Alice@Example.org", attendees=(Attendee("NAOMI@example.com", "ACCEPTED"),))
    assert people(event, OWNER) == [ALICE]


def test_every_past_occurrence_of_a_recurring_meeting_is_one_touch_and_the_future_ones_are_meetings() -> None:
    weekly = [_event("w", days=d, recurrence_id=NOW + timedelta(days=d)) for d in (-21, -14, -7, 0.5, 7.5)]
    plan = _plan({"w.ics": weekly})
    assert [t.at for t in plan.add] == [NOW - timedelta(days=d) for d in (21, 14, 7)]
    assert [m.start for m in plan.upcoming] == [NOW + timedelta(days=0.5), NOW + timedelta(days=7.5)]


def test_reading_again_keeps_the_keys_and_a_moved_or_deleted_meeting_takes_its_touch_along() -> None:
    first = _plan({"e1.ics": [_event()]})
    again = _plan({"e1.ics": [_event()]}, known=first.keys)
    assert again.remove == set() and again.keys == first.keys
    moved = _plan({"e1.ics": [_event(days=-9)]}, known=first.keys)
    assert moved.remove == set(first.keys["e1.ics"]) and [t.at.day for t in moved.add] == [1]
    cancelled = _plan({"e1.ics": [_event(status="CANCELLED")]}, known=first.keys)
    assert cancelled.remove == set(first.keys["e1.ics"]) and cancelled.keys == {"e1.ics": ()}
    deleted = _plan({}, known=first.keys, gone=("e1.ics",))
    assert deleted.remove == set(first.keys["e1.ics"]) and deleted.keys == {}


def test_a_key_older_than_the_window_read_stays() -> None:
    old = f"w/{(NOW - timedelta(days=800)).isoformat()}"
    plan = _plan({"w.ics": [_event("w")]}, known={"w.ics": (old,)})
    assert plan.remove == set() and plan.keys["w.ics"][0] == old


def test_a_meeting_to_come_within_her_cadence_holds_her_reminder() -> None:
    alice = Contact("Alice Example", (ALICE,), NOW - timedelta(days=100), id=1)
    friday = Meeting(ALICE, datetime(2027, 3, 12, 18, 0, tzinfo=UTC), "Dinner", "work")
    assert next_meeting(alice, [friday], NOW, within_days=21) == friday
    assert next_meeting(alice, [friday], NOW, within_days=1) is None
    assert next_meeting(alice, [friday], friday.start + timedelta(minutes=1), within_days=21) is None
    assert seeing(alice, friday, NOW) == "you're seeing Alice on Friday"
    assert (
        seeing(alice, Meeting(ALICE, NOW + timedelta(hours=1), "", "work"), NOW)
        == "you're seeing Alice today"
    )
    later = Meeting(ALICE, datetime(2027, 3, 30, 9, 0, tzinfo=UTC), "", "work")
    assert seeing(alice, later, NOW) == "you're seeing Alice on Tuesday 30 March"
