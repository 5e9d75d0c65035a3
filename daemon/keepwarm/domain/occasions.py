"""Birthdays and the other dates that come back every year, decided: which fall today, or
``notice`` days from today, and how old or how many years. Pure.

Such a reminder comes whether or not the person is due, outside the daily cap: a birthday is not a
cadence. Each occasion has a key (contact, date, how far ahead) so it is sent once, whatever runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from keepwarm.domain.model import Birthday, Contact

BIRTHDAY = "birthday"


@dataclass(frozen=True)
class Occasion:
    """One yearly date of one contact, on ``on``, ``ahead`` days from today (0: today)."""

    contact: Contact
    label: str
    on: date
    ahead: int
    years: int | None  # the age on a birthday, the count of years on another date

    @property
    def is_birthday(self) -> bool:
        """The contact's own birthday (not a date such as "Mia's birthday")."""
        return self.label == BIRTHDAY

    @property
    def key(self) -> str:
        """What makes it once only: the contact, the date, the day and how far ahead."""
        return f"{self.contact.id}:{self.label.casefold()}:{self.on.isoformat()}:{self.ahead}"

    def describe(self) -> str:
        """``Alice's birthday is today (she turns 36)``, ``Alice's anniversary is in 3 days``."""
        what = "birthday" if self.is_birthday else self.label
        when = "today" if self.ahead == 0 else "tomorrow" if self.ahead == 1 else f"in {self.ahead} days"
        extra = ""
        if self.years is not None and self.years > 0:
            extra = f" (turning {self.years})" if self.is_birthday else f" ({self.years} years)"
        return f"{what} is {when}, {self.on:%-d %B}{extra}"

    def describe_past(self) -> str:
        """``Alice's birthday was on 3 January (she turned 36)``: one missed while away."""
        what = "birthday" if self.is_birthday else self.label
        extra = ""
        if self.years is not None and self.years > 0:
            extra = f" (turned {self.years})" if self.is_birthday else f" ({self.years} years)"
        return f"{what} was on {self.on:%A %-d %B}{extra}"


def on_year(year: int, month: int, day: int) -> date:
    """The date in ``year``, with 29 February kept as the 28th in years that have no 29th."""
    try:
        return date(year, month, day)
    except ValueError:
        return date(year, month, day - 1)


def next_on(when: Birthday, today: date) -> tuple[date, int | None]:
    """The next time ``when`` comes (today included), and the years it will be by then."""
    found = on_year(today.year, when.month, when.day)
    if found < today:
        found = on_year(today.year + 1, when.month, when.day)
    return found, (found.year - when.year if when.year else None)


def yearly_dates(contact: Contact) -> list[tuple[str, Birthday]]:
    """The contact's birthday (labelled ``birthday``) and other yearly dates."""
    found = [(BIRTHDAY, contact.birthday)] if contact.birthday else []
    return found + [(d.label, d.date) for d in contact.dates]


def _next_of_each(contacts: Iterable[Contact], start: date, today: date) -> Iterator[Occasion]:
    """The next time, from ``start`` on, of every yearly date of the contacts not paused, as
    seen from ``today`` (``ahead`` is negative for a day already gone)."""
    for contact in contacts:
        if contact.paused:
            continue
        for label, when in yearly_dates(contact):
            on, years = next_on(when, start)
            yield Occasion(contact, label, on, (on - today).days, years)


def occasions(contacts: Iterable[Contact], today: date, notice: int) -> list[Occasion]:
    """Every yearly date that falls today, or ``notice`` days from today (a card, a gift), of
    contacts not paused; soonest first."""
    found = [
        o for o in _next_of_each(contacts, today, today) if o.ahead == 0 or (notice > 0 and o.ahead == notice)
    ]
    return sorted(found, key=lambda o: (o.ahead, o.contact.name.casefold(), o.label))


def missed(contacts: Iterable[Contact], since: date, today: date) -> list[Occasion]:
    """The yearly dates that fell from ``since`` up to yesterday (time away), oldest first: the
    catch-up digest names them, since their own reminders were held back."""
    found = [o for o in _next_of_each(contacts, since, today) if o.on < today]
    return sorted(found, key=lambda o: (o.on, o.contact.name.casefold(), o.label))
