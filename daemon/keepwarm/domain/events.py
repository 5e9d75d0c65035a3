"""Calendar events as touches, and meetings to come as holds on reminders. Pure.

A past meeting with someone is a touch at its start: channel ``video`` when it carries a
conferencing link (Meet, Zoom, Teams, Jitsi, Whereby, Webex…), else ``meeting``. It does not count
when it was cancelled, when the owner declined it, or when it had more people than
MAX_RECIPIENTS; a person who declined was not there. The owner's own addresses are nobody's
touch. Each occurrence has a stable key (``<uid>/<start>``), so reading a calendar again never
doubles a touch, and a meeting moved or deleted upstream takes its touch along.

A meeting to come with someone holds her reminder while it lies within her cadence: "you're
seeing Alice on Friday" instead of "write to Alice".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from keepwarm.domain.model import Channel, Contact, Direction, Touch, require_aware

CANCELLED = "CANCELLED"
DECLINED = "DECLINED"
SOURCE_PREFIX = "cal:"
# The calendar that meetings invited to by mail are kept in (app.invitations).
INVITATIONS = "invitations"
# Conferencing services, by the host of their meeting links.
_CONFERENCE = re.compile(
    r"https?://(?:[\w-]+\.)*(?:meet\.google\.com|zoom\.us|zoomgov\.com|teams\.microsoft\.com|"
    r"teams\.live\.com|meet\.jit\.si|8x8\.vc|whereby\.com|webex\.com|gotomeeting\.com|meet\.goto\.com|"
    r"bluejeans\.com|chime\.aws|meet\.skype\.com|join\.skype\.com|facetime\.apple\.com|"
    r"meet\.proton\.me|discord\.gg)(?=[/?#:\s]|$)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Attendee:
    """Someone invited, lower-case, with their answer (PARTSTAT: ACCEPTED, DECLINED, …)."""

    address: str
    partstat: str = "NEEDS-ACTION"


@dataclass(frozen=True)
class Event:
    """One occurrence of a calendar event, as the calendar says it.

    ``texts`` are the location, description, URL and conference properties, where a meeting link
    may be; ``recurrence_id`` is set for an occurrence of a recurring event."""

    uid: str
    start: datetime
    end: datetime | None = None
    status: str = ""
    organizer: str = ""
    attendees: tuple[Attendee, ...] = ()
    summary: str = ""
    texts: tuple[str, ...] = ()
    recurrence_id: datetime | None = None

    def __post_init__(self) -> None:
        require_aware(self.start, "Event.start")
        require_aware(self.end, "Event.end")

    @property
    def key(self) -> str:
        """The occurrence's stable key: its UID and its start (UTC)."""
        return f"{self.uid}/{self.start.astimezone(UTC).isoformat()}"


@dataclass(frozen=True)
class Meeting:
    """A meeting to come with someone: when, what, and the calendar it is in."""

    address: str
    start: datetime
    summary: str
    calendar: str
    channel: Channel = Channel.MEETING


def key_start(key: str) -> datetime | None:
    """The start an occurrence key names (None for a key that is not one)."""
    try:
        return datetime.fromisoformat(key.rsplit("/", 1)[-1])
    except ValueError:
        return None


def channel_of(event: Event) -> Channel:
    """``video`` when a conferencing link is in its location, description, URL or conference."""
    return Channel.VIDEO if any(_CONFERENCE.search(t) for t in event.texts) else Channel.MEETING


def _lower(addresses: Iterable[str]) -> set[str]:
    return {a.strip().lower() for a in addresses if a.strip()}


def people(event: Event, owner_emails: Iterable[str]) -> list[str]:
    """Who was there besides the owner: the organiser and every attendee who did not decline."""
    owners = _lower(owner_emails)
    found = [event.organizer.lower()] if event.organizer else []
    found += [a.address.lower() for a in event.attendees if a.partstat.upper() != DECLINED]
    return [a for a in dict.fromkeys(found) if a and a not in owners]


def counts(event: Event, owner_emails: Iterable[str], max_recipients: int) -> str | None:
    """Why an event is no touch (one phrase), or None when it counts."""
    owners = _lower(owner_emails)
    if event.status.upper() == CANCELLED:
        return "cancelled"
    if any(a.address.lower() in owners and a.partstat.upper() == DECLINED for a in event.attendees):
        return "declined"
    if len(_lower(a.address for a in event.attendees) - owners) > max_recipients:
        return f"more than {max_recipients} attendees"
    return None


def touches_of(calendar: str, event: Event, owner_emails: Sequence[str], max_recipients: int) -> list[Touch]:
    """The touches one past occurrence makes (none when it does not count)."""
    if counts(event, owner_emails, max_recipients) is not None:
        return []
    channel = channel_of(event)
    return [
        Touch(
            address,
            event.start,
            Direction.MANUAL,
            channel,
            subject=event.summary,
            message_id=event.key,
            source=SOURCE_PREFIX + calendar,
        )
        for address in people(event, owner_emails)
    ]


@dataclass
class CalendarPlan:
    """What reading some of a calendar's events does: touches to add, keys whose touches go,
    the keys each event now has, and the meetings to come."""

    add: list[Touch] = field(default_factory=list)
    remove: set[str] = field(default_factory=set)
    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    upcoming: list[Meeting] = field(default_factory=list)


def plan_calendar(
    calendar: str,
    *,
    read: Mapping[str, Sequence[Event]],
    known: Mapping[str, Sequence[str]],
    gone: Iterable[str],
    owner_emails: Sequence[str],
    max_recipients: int,
    since: datetime,
    now: datetime,
) -> CalendarPlan:
    """Decide what the events read (by their href: every occurrence from ``since`` on) and the
    events gone do to the touches. ``known`` holds each event's keys from before: a key that no
    longer comes (the meeting moved, was cancelled or deleted) loses its touches; keys older
    than ``since`` were not read again and stay."""
    require_aware(now, "now")
    plan = CalendarPlan()
    for href, events in read.items():
        keys: dict[str, None] = {}
        for event in events:
            if event.start > now:
                plan.upcoming += _meetings(calendar, event, owner_emails, max_recipients)
                continue
            touches = touches_of(calendar, event, owner_emails, max_recipients)
            if touches:
                keys[event.key] = None
                plan.add += touches
        kept = [k for k in known.get(href, ()) if (key_start(k) or now) < since]
        plan.keys[href] = tuple(dict.fromkeys([*kept, *keys]))
        plan.remove |= set(known.get(href, ())) - set(plan.keys[href])
    for href in gone:
        plan.remove |= set(known.get(href, ()))
        plan.keys.pop(href, None)
    plan.upcoming.sort(key=lambda m: (m.start, m.address))
    return plan


def _meetings(calendar: str, event: Event, owner_emails: Sequence[str], max_recipients: int) -> list[Meeting]:
    if counts(event, owner_emails, max_recipients) is not None:
        return []
    channel = channel_of(event)
    return [Meeting(a, event.start, event.summary, calendar, channel) for a in people(event, owner_emails)]


def next_meeting(
    contact: Contact, meetings: Iterable[Meeting], now: datetime, within_days: int
) -> Meeting | None:
    """The contact's next meeting, if one is to come within ``within_days`` (her cadence): it
    holds her reminder until after it."""
    addresses = set(contact.emails)
    horizon = now + timedelta(days=within_days)
    soon = [m for m in meetings if m.address in addresses and now < m.start <= horizon]
    return min(soon, key=lambda m: m.start, default=None)


def seeing(contact: Contact, meeting: Meeting, now: datetime) -> str:
    """ "you're seeing Alice on Friday" (or "today", "tomorrow", "on 12 March" beyond a week)."""
    who = contact.name.split()[0] if contact.name.strip() else contact.primary_email
    day = meeting.start.astimezone(now.tzinfo).date()
    ahead = (day - now.date()).days
    if ahead <= 0:
        when = "today"
    elif ahead == 1:
        when = "tomorrow"
    elif ahead < 7:
        when = f"on {day:%A}"
    else:
        when = f"on {day:%A} {day.day} {day:%B}"
    return f"you're seeing {who} {when}"
