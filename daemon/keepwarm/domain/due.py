"""Cadence precedence and due dates: when should the owner next be in touch with each contact?

``now`` is always passed in and must be aware; its time zone is the owner's, and "today" means the
owner's calendar day in that zone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum, StrEnum

from keepwarm.domain.model import Contact, Priority, Touch, require_aware

# "Coming up" means within the next month: long enough that a contact added with a cadence of a few
# weeks shows in the due list at once, short enough to stay a to-do list rather than the whole book.
UPCOMING_DAYS = 30


class CadenceSource(StrEnum):
    """Where a contact's effective cadence came from."""

    CONTACT = "contact"
    GROUP = "group"
    DEFAULT = "default"


class _Same(Enum):
    LAST = "the last touch"


SAME_AS_LAST = _Same.LAST  # the cadence counts from the last touch, whoever wrote it


class DueStatus(StrEnum):
    """How a contact stands today."""

    OVERDUE = "overdue"
    DUE = "due"
    UPCOMING = "upcoming"
    LATER = "later"
    PAUSED = "paused"


@dataclass(frozen=True)
class Standing:
    """Everything the due list and reminders need to know about one contact at one moment."""

    contact: Contact
    cadence_days: int
    cadence_source: CadenceSource
    last_touch: Touch | None
    next_due: datetime | None
    status: DueStatus
    days_since_last_touch: int | None
    days_until_due: int | None
    max_days: int | None = None  # overdue only from here; due (soft) from the cadence
    priority: int = 0  # Priority.rank: higher gets the day's slots first
    # The touch the cadence counts from: the last one, or (when unanswered mail from them does not
    # count) the last that was not mail from them. None: the cadence runs from when they were added.
    cadence_touch: Touch | None = None

    @property
    def past_max(self) -> bool:
        """Overdue past the maximum (``every 4w max 6w``): first in the daily cap."""
        return self.max_days is not None and self.status is DueStatus.OVERDUE


@dataclass(frozen=True)
class Limits:
    """A group's maximum and priority (``keepwarm groups friends --max 6w --priority high``)."""

    max_days: int | None = None
    priority: Priority | None = None


def limits_of(contact: Contact, group_limits: Mapping[str, Limits]) -> tuple[int | None, int]:
    """The contact's maximum and priority rank: its own, else its group's, else none and normal."""
    group = group_limits.get(contact.group or "", Limits()) if contact.group else Limits()
    max_days = contact.max_days if contact.max_days is not None else group.max_days
    priority = contact.priority or group.priority or Priority.NORMAL
    return max_days, priority.rank


def effective_cadence(
    contact: Contact, group_cadences: Mapping[str, int], default_days: int
) -> tuple[int, CadenceSource]:
    """The contact's own cadence, else its group's, else the default."""
    if contact.cadence_days is not None:
        return contact.cadence_days, CadenceSource.CONTACT
    if contact.group is not None and contact.group in group_cadences:
        return group_cadences[contact.group], CadenceSource.GROUP
    return default_days, CadenceSource.DEFAULT


def first_due_fraction(contact: Contact) -> float:
    """A stable fraction in (0, 1] for a contact never touched.

    Twenty contacts imported at once must not all fall due on the same morning, so each one's first
    due date is spread across its first cadence, deterministically (same answer on every run).
    """
    # Keyed on what never changes for a stored contact (not its addresses, which can be edited).
    key = f"{contact.id}:{contact.added_at.isoformat()}"
    digest = hashlib.sha256(key.encode()).digest()
    return (int.from_bytes(digest[:4], "big") % 1000 + 1) / 1000


def last_touch_of(contact: Contact, last_by_address: Mapping[str, Touch]) -> Touch | None:
    """The latest touch over all of the contact's addresses."""
    touches = [last_by_address[a] for a in contact.emails if a in last_by_address]
    return max(touches, key=lambda t: t.at, default=None)


def _days_between(earlier: datetime, later: datetime, zone_of: datetime) -> int:
    """Whole calendar days between two instants, counted in the owner's zone."""
    tz = zone_of.tzinfo
    return (later.astimezone(tz).date() - earlier.astimezone(tz).date()).days


def standing(
    contact: Contact,
    last_touch: Touch | None,
    cadence: tuple[int, CadenceSource],
    now: datetime,
    *,
    upcoming_days: int = UPCOMING_DAYS,
    limits: tuple[int | None, int] = (None, 0),
    counted: Touch | _Same | None = SAME_AS_LAST,
) -> Standing:
    """Where one contact stands at ``now``: next due date and status (snoozes and pauses respected).
    With a maximum (``limits``), due from the cadence on and overdue only past the maximum. The
    cadence counts from ``counted`` (by default the last touch)."""
    require_aware(now, "now")
    cadence_days, source = cadence
    max_days, priority = limits
    counts_from = last_touch if counted is SAME_AS_LAST else counted
    assert not isinstance(counts_from, _Same)
    days_since = _days_between(last_touch.at, now, now) if last_touch is not None else None
    if counts_from is not None:
        next_due: datetime | None = counts_from.at + timedelta(days=cadence_days)
    else:
        next_due = contact.added_at + timedelta(days=cadence_days * first_due_fraction(contact))
    if contact.snoozed_until is not None and next_due is not None:
        next_due = max(next_due, contact.snoozed_until)
    if contact.paused:
        next_due = None
    status, days_until = _status(next_due, now, upcoming_days)
    if max_days is not None and status is DueStatus.OVERDUE and next_due is not None:
        hard = next_due + timedelta(days=max(0, max_days - cadence_days))
        status = DueStatus.OVERDUE if now >= hard else DueStatus.DUE
    return Standing(
        contact,
        cadence_days,
        source,
        last_touch,
        next_due,
        status,
        days_since,
        days_until,
        max_days,
        priority,
        counts_from,
    )


def _status(next_due: datetime | None, now: datetime, upcoming_days: int) -> tuple[DueStatus, int | None]:
    if next_due is None:
        return DueStatus.PAUSED, None
    days_until = _days_between(now, next_due, now)
    if days_until < 0:
        return DueStatus.OVERDUE, days_until
    if days_until == 0:
        return DueStatus.DUE, 0
    if days_until <= upcoming_days:
        return DueStatus.UPCOMING, days_until
    return DueStatus.LATER, days_until


def standings(
    contacts: Iterable[Contact],
    *,
    last_by_address: Mapping[str, Touch],
    group_cadences: Mapping[str, int],
    default_days: int,
    now: datetime,
    upcoming_days: int = UPCOMING_DAYS,
    group_limits: Mapping[str, Limits] | None = None,
    counted_by_address: Mapping[str, Touch] | None = None,
) -> list[Standing]:
    """Standings of many contacts, soonest due first (paused ones last). The cadence counts from
    the latest touch in ``counted_by_address`` (by default, in ``last_by_address``)."""
    result = [
        standing(
            c,
            last_touch_of(c, last_by_address),
            effective_cadence(c, group_cadences, default_days),
            now,
            upcoming_days=upcoming_days,
            limits=limits_of(c, group_limits or {}),
            counted=SAME_AS_LAST if counted_by_address is None else last_touch_of(c, counted_by_address),
        )
        for c in contacts
    ]
    return sorted(result, key=lambda s: (s.next_due is None, s.next_due or now, s.contact.name.casefold()))
