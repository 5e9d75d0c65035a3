"""iCalendar text to the domain's events: parse (icalendar), expand recurrences within a window
(recurring-ical-events), read start, status, organiser, attendees and where a meeting link may
be. A whole calendar is split into one object per UID so that each is compared on its own."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any

import icalendar
import recurring_ical_events

from keepwarm.calendar.objects import CalendarError, CalendarObject
from keepwarm.domain.events import Attendee, Event

# Where a meeting link may be: the standard properties and the big providers' own.
_LINK_PROPERTIES = (
    "LOCATION",
    "DESCRIPTION",
    "URL",
    "CONFERENCE",
    "X-GOOGLE-CONFERENCE",
    "X-MICROSOFT-SKYPETEAMSMEETINGURL",
    "X-MICROSOFT-ONLINEMEETINGCONFLINK",
)


@dataclass(frozen=True)
class Parsed:
    """An object's occurrences in the window, and whether it must be read again at the next
    sync though unchanged (it recurs, or has occurrences still to come)."""

    events: list[Event]
    keep: bool


def parse(text: str, where: str) -> icalendar.Calendar:
    """The calendar in ``text``, or a CalendarError naming ``where``."""
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise CalendarError(f"{where}: not iCalendar ({reason})") from None
    if not isinstance(calendar, icalendar.Calendar):
        raise CalendarError(f"{where}: not iCalendar (no VCALENDAR)")
    return calendar


def split(text: str, where: str) -> list[CalendarObject]:
    """A whole calendar (an .ics file), as one object per UID with a digest of its text as ETag."""
    return split_parsed(parse(text, where))


def split_parsed(calendar: icalendar.Calendar) -> list[CalendarObject]:
    """``split`` of a calendar already parsed (an invitation's, read once for its METHOD too)."""
    zones = [c for c in calendar.subcomponents if c.name == "VTIMEZONE"]
    by_uid: dict[str, list[Any]] = {}
    every: list[Any] = calendar.walk("VEVENT")
    for component in every:
        by_uid.setdefault(str(component.get("UID", "")), []).append(component)
    objects = []
    for uid, components in by_uid.items():
        one = icalendar.Calendar()
        for component in (*zones, *components):
            one.add_component(component)
        body = one.to_ical()
        digest = hashlib.sha256(b"".join(c.to_ical() for c in components)).hexdigest()[:32]
        objects.append(CalendarObject(uid, digest, body.decode("utf-8")))
    return objects


def read(
    text: str, where: str, *, since: datetime, until: datetime, now: datetime, zone: tzinfo
) -> tuple[Parsed, list[str]]:
    """The occurrences of one object between ``since`` and ``until``, and one line per problem
    (an object that is not iCalendar, an event without a start). ``zone`` places floating
    times and all-day events."""
    try:
        calendar = parse(text, where)
    except CalendarError as exc:
        return Parsed([], False), [str(exc)]
    problems = []
    masters = []
    every: list[Any] = list(calendar.walk("VEVENT"))
    for component in every:
        uid = str(component.get("UID", "")) or "(no UID)"
        if component.get("DTSTART") is None:
            problems.append(f"{where}, event {uid}: has no start: skipped")
            _drop(calendar, component)
        else:
            masters.append(component)
    keep = any(
        c.get("RRULE") is not None or c.get("RDATE") is not None or _when(c["DTSTART"].dt, zone) > now
        for c in masters
    )
    try:
        found: list[Any] = recurring_ical_events.of(calendar).between(since, until)
    except Exception as exc:  # the library's own errors for a broken rule or date: one line
        return Parsed([], False), [*problems, f"{where}: cannot expand its dates ({type(exc).__name__})"]
    events = []
    for component in found:
        try:
            events.append(_event(component, zone))
        except (ValueError, TypeError, AttributeError) as exc:
            problems.append(f"{where}, event {component.get('UID', '(no UID)')}: unreadable ({exc})")
    return Parsed(events, keep), problems


def _drop(calendar: icalendar.Calendar, component: Any) -> None:
    for parent in calendar.walk("VCALENDAR"):
        if component in parent.subcomponents:
            parent.subcomponents.remove(component)


def _when(value: datetime | date, zone: tzinfo) -> datetime:
    """An aware datetime: all-day dates at midnight and floating times in the owner's zone."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0))
    return value.replace(tzinfo=zone) if value.tzinfo is None else value.astimezone(UTC)


def _address(value: Any) -> str:
    text = str(value or "").strip()
    return text[7:].lower() if text.lower().startswith("mailto:") else text.lower()


def _listed(component: Any, name: str) -> list[Any]:
    value = component.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _event(component: Any, zone: tzinfo) -> Event:
    end = component.get("DTEND")
    recurrence = component.get("RECURRENCE-ID")
    attendees = tuple(
        Attendee(_address(a), str(getattr(a, "params", {}).get("PARTSTAT", "NEEDS-ACTION")).upper())
        for a in _listed(component, "ATTENDEE")
        if "@" in _address(a)
    )
    texts = tuple(str(v) for name in _LINK_PROPERTIES for v in _listed(component, name))
    return Event(
        uid=str(component.get("UID", "")),
        start=_when(component["DTSTART"].dt, zone),
        end=_when(end.dt, zone) if end is not None else None,
        status=str(component.get("STATUS", "")).upper(),
        organizer=_address(component.get("ORGANIZER")),
        attendees=attendees,
        summary=str(component.get("SUMMARY", "")),
        texts=texts,
        recurrence_id=_when(recurrence.dt, zone) if recurrence is not None else None,
    )
