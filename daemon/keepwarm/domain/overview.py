"""The weekly overview, decided: who the owner was in touch with, who is slipping, birthdays
coming up, finds waiting to be shared, and each group at a glance. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from keepwarm.domain.due import DueStatus, Standing
from keepwarm.domain.extras import Opener
from keepwarm.domain.model import Contact, Touch
from keepwarm.domain.occasions import next_on
from keepwarm.domain.reminders import urgency

WEEK = timedelta(days=7)
BIRTHDAY_WINDOW = 14
SLIPPING = 5


@dataclass(frozen=True)
class GroupGlance:
    """How one group stands: how many are fine, coming up, due or overdue, paused."""

    name: str
    fine: int
    upcoming: int
    overdue: int
    paused: int

    @property
    def total(self) -> int:
        """Everyone in the group."""
        return self.fine + self.upcoming + self.overdue + self.paused


@dataclass
class Overview:
    """Everything the weekly overview email shows."""

    touched: list[tuple[Contact, int]] = field(default_factory=list)
    slipping: list[Standing] = field(default_factory=list)
    birthdays: list[tuple[Contact, date, int | None]] = field(default_factory=list)
    openers: list[tuple[Contact, Opener]] = field(default_factory=list)
    groups: list[GroupGlance] = field(default_factory=list)


def _next_birthday(contact: Contact, today: date) -> tuple[date, int | None] | None:
    return next_on(contact.birthday, today) if contact.birthday is not None else None


def coming_up(item: Standing) -> bool:
    """Due within the last fifth of the person's own cadence (6 days of a monthly one, a day of
    a weekly one): not merely within a fixed window, which would mark someone "coming up" the
    day after being in touch with them."""
    if item.status is not DueStatus.UPCOMING or item.days_until_due is None:
        return False
    return item.days_until_due <= max(1, item.cadence_days // 5)


def _glance(name: str, items: Sequence[Standing]) -> GroupGlance:
    counts = Counter(
        DueStatus.LATER if s.status is DueStatus.UPCOMING and not coming_up(s) else s.status for s in items
    )
    return GroupGlance(
        name,
        fine=counts[DueStatus.LATER],
        upcoming=counts[DueStatus.UPCOMING],
        overdue=counts[DueStatus.OVERDUE] + counts[DueStatus.DUE],
        paused=counts[DueStatus.PAUSED],
    )


def weekly(
    standings: Sequence[Standing], touches: Iterable[Touch], openers: Iterable[Opener], now: datetime
) -> Overview:
    """The week that ended at ``now``, seen from the owner's calendar."""
    overview = Overview()
    by_address = {a: s.contact for s in standings for a in s.contact.emails}
    recent = Counter(
        by_address[t.address].id for t in touches if t.address in by_address and now - WEEK <= t.at <= now
    )
    contacts = {s.contact.id: s.contact for s in standings}
    overview.touched = sorted(((contacts[i], n) for i, n in recent.items()), key=lambda p: (-p[1], p[0].name))
    overdue = [s for s in standings if s.status in (DueStatus.OVERDUE, DueStatus.DUE)]
    overview.slipping = sorted(overdue, key=lambda s: -urgency(s, now))[:SLIPPING]
    today = now.date()
    for standing in standings:
        upcoming = _next_birthday(standing.contact, today)
        if upcoming is not None and (upcoming[0] - today).days <= BIRTHDAY_WINDOW:
            overview.birthdays.append((standing.contact, *upcoming))
    overview.birthdays.sort(key=lambda b: b[1])
    overview.openers = [(contacts[o.contact_id], o) for o in openers if o.contact_id in contacts]
    groups: dict[str, list[Standing]] = {}
    for standing in standings:
        groups.setdefault(standing.contact.group or "no group", []).append(standing)
    overview.groups = [_glance(name, items) for name, items in sorted(groups.items())]
    return overview
