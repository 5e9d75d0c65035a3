"""Which contacts get a reminder now, and when an open reminder is settled.

A contact has at most one open reminder. It resolves itself as soon as any touch with the contact
follows it. A reminder left unanswered is repeated only after a growing pause (3, 6, 12, 24 days,
then every 30), so an ignored reminder becomes quieter instead of a daily nag.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from keepwarm.domain.backoff import doubling
from keepwarm.domain.due import DueStatus, Standing
from keepwarm.domain.model import Direction

FIRST_REPEAT = timedelta(days=3)
MAX_REPEAT = timedelta(days=30)


class EntryState(StrEnum):
    """The life of one reminder entry (one contact in one reminder email)."""

    OPEN = "open"
    RESOLVED = "resolved"
    SUPERSEDED = "superseded"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Entry:
    """One contact's place in a reminder email; ``nth`` counts reminders in a row without reply."""

    id: int
    contact_id: int
    created_at: datetime
    nth: int
    state: EntryState
    outbox_id: int = 0
    number: int = 1
    news_key: str = ""


@dataclass(frozen=True)
class Pick:
    """A contact chosen for a reminder now."""

    standing: Standing
    nth: int
    supersedes: int | None


def repeat_after(nth: int) -> timedelta:
    """How long an unanswered ``nth`` reminder waits before the next: 3, 6, 12, 24, then 30 days."""
    return doubling(FIRST_REPEAT, nth, MAX_REPEAT)


def urgency(item: Standing, now: datetime) -> float:
    """Time since the last touch (or since added, if never touched) relative to the cadence."""
    since = item.cadence_touch.at if item.cadence_touch is not None else item.contact.added_at
    return (now - since).total_seconds() / 86400 / item.cadence_days


def owes_reply(item: Standing, owed_after: int) -> bool:
    """The contact wrote to the owner directly (in To, not a copy) last, ``owed_after`` days ago
    or more, and the owner has not answered (any later mail to them, or a logged touch, would be
    the last touch). 0 turns it off.

    Only within the cadence: that is the wait the owed reply cuts short. Once the cadence has
    passed the person is due anyway, and their reminder's story says who wrote last."""
    touch = item.last_touch
    days = item.days_since_last_touch
    return (
        owed_after > 0
        and touch is not None
        and touch.direction is Direction.IN
        and not touch.copied
        and days is not None
        and owed_after <= days < item.cadence_days
        and item.status is not DueStatus.PAUSED
    )


def pick(
    standings: Iterable[Standing],
    open_entries: Mapping[int, Entry],
    sent_today: int,
    cap: int,
    now: datetime,
    *,
    owed_after: int = 0,
) -> list[Pick]:
    """Due contacts, at most ``cap`` a day; the rest wait for the next run. First those past their
    maximum (``every 4w max 6w``), then by priority, then the most overdue for their cadence."""
    return ranked(standings, open_entries, now, owed_after=owed_after)[: max(0, cap - sent_today)]


def ranked(
    standings: Iterable[Standing], open_entries: Mapping[int, Entry], now: datetime, *, owed_after: int = 0
) -> list[Pick]:
    """Everyone a reminder is due for now, in the order the daily cap takes them (see ``pick``)."""
    candidates: list[Pick] = []
    for item in standings:
        snoozed = item.contact.snoozed_until is not None and item.contact.snoozed_until > now
        owed = owes_reply(item, owed_after) and not snoozed
        if item.status not in (DueStatus.OVERDUE, DueStatus.DUE) and not owed:
            continue
        entry = open_entries.get(item.contact.id)
        if entry is None:
            candidates.append(Pick(item, 1, None))
        elif now >= entry.created_at + repeat_after(entry.nth):
            candidates.append(Pick(item, entry.nth + 1, entry.id))
    candidates.sort(
        key=lambda p: (
            # A reply owed is the most urgent kind of keeping in touch; then past the maximum.
            not owes_reply(p.standing, owed_after),
            not p.standing.past_max,
            -p.standing.priority,
            -urgency(p.standing, now),
            p.standing.contact.id,
        )
    )
    return candidates


def later_days(count: int, cap: int, today: date, reminder_days: frozenset[int]) -> list[date]:
    """The days ``count`` people held back by the cap will come, in order: ``cap`` on each
    reminder day (weekdays in ``reminder_days``, Monday 0) after today, as nobody new fell due."""
    days: list[date] = []
    day = today
    while len(days) < count and cap > 0 and reminder_days:
        day += timedelta(days=1)
        if day.weekday() in reminder_days:
            days += [day] * min(cap, count - len(days))
    return days


@dataclass(frozen=True)
class Settlement:
    """What happened to one open entry: resolved by a touch, or cancelled (contact gone or paused)."""

    entry_id: int
    state: EntryState


def settle(
    entries: Sequence[Entry],
    last_touch_at: Mapping[int, datetime],
    contact_ids: set[int],
    paused_or_snoozed: set[int],
) -> list[Settlement]:
    """Close open entries whose contact was touched after the reminder, removed, paused or snoozed."""
    result = []
    for entry in entries:
        if entry.state is not EntryState.OPEN:
            continue
        touched = last_touch_at.get(entry.contact_id)
        if touched is not None and touched > entry.created_at:
            result.append(Settlement(entry.id, EntryState.RESOLVED))
        elif entry.contact_id not in contact_ids or entry.contact_id in paused_or_snoozed:
            result.append(Settlement(entry.id, EntryState.CANCELLED))
    return result
