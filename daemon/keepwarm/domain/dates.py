"""Dates as people write them in a command: ``2027-01-10``, ``10 January``, ``Jan 10 2027``,
``10.01.2027``, ``yesterday``, ``today``, ``tomorrow``, ``monday``, ``last friday``, ``next
tuesday``, ``3 days ago``, ``in 2 weeks``. Pure.

A phrase is read into a DateSpec without knowing the date; it is resolved against the owner's
``today`` when the command is planned, looking back (``done call yesterday``) or ahead (``snooze
until 10 January``). Slashed dates are refused: 01/02 means January in one country, February in
another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
WEEKDAYS = {
    name: number
    for number, names in enumerate(
        (
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        )
    )
    for name in names
}
_OFFSETS = {"today": 0, "yesterday": -1, "tomorrow": 1}
_UNIT_DAYS = {"day": 1, "days": 1, "week": 7, "weeks": 7, "w": 7, "d": 1}
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ORDINAL = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?$")


class DateError(ValueError):
    """Not a date keepwarm can read; the message says how to write one."""


@dataclass(frozen=True)
class DateSpec:
    """A date as written: a whole date, a day of a month (year to be found), a weekday, or an
    offset in days from today. ``direction`` says which way a bare weekday looks: ``last``,
    ``next`` or ``either`` (decided by whether the command looks back or ahead)."""

    year: int | None = None
    month: int | None = None
    day: int | None = None
    weekday: int | None = None
    offset: int | None = None
    direction: str = "either"

    def resolve(self, today: date, *, ahead: bool) -> date:
        """The date meant, looking back from ``today`` (ahead=False) or forward (ahead=True)."""
        if self.offset is not None:
            return today + timedelta(days=self.offset)
        if self.weekday is not None:
            forward = self.direction == "next" or (self.direction == "either" and ahead)
            if forward:
                return today + timedelta(days=(self.weekday - today.weekday() - 1) % 7 + 1)
            return today - timedelta(days=(today.weekday() - self.weekday - 1) % 7 + 1)
        assert self.month is not None and self.day is not None
        if self.year is not None:
            return date(self.year, self.month, self.day)
        this_year = _on(today.year, self.month, self.day)
        if ahead:
            return this_year if this_year > today else _on(today.year + 1, self.month, self.day)
        return this_year if this_year <= today else _on(today.year - 1, self.month, self.day)

    @property
    def absolute(self) -> date | None:
        """The date itself when the phrase names one whole date."""
        if self.year is not None and self.month is not None and self.day is not None:
            return date(self.year, self.month, self.day)
        return None


def _on(year: int, month: int, day: int) -> date:
    """29 February is the 28th in years without one."""
    try:
        return date(year, month, day)
    except ValueError:
        return date(year, month, day - 1)


def _checked(year: int | None, month: int, day: int) -> DateSpec:
    try:
        date(year or 2000, month, day)  # 2000 was a leap year: 29 February is a real day
    except ValueError:
        written = f"{year}-{month:02d}-{day:02d}" if year else f"{month:02d}-{day:02d}"
        raise DateError(f"{written} is not a real date") from None
    return DateSpec(year=year, month=month, day=day)


def _month_day(words: list[str]) -> DateSpec | None:
    """``10 January [2027]``, ``January 10[,] [2027]``."""
    cleaned = [w.strip(",") for w in words]
    year = None
    if len(cleaned) == 3 and cleaned[2].isdigit() and len(cleaned[2]) == 4:
        year, cleaned = int(cleaned[2]), cleaned[:2]
    if len(cleaned) != 2:
        return None
    first, second = cleaned
    for day_word, month_word in ((first, second), (second, first)):
        ordinal = _ORDINAL.match(day_word)
        if ordinal and month_word in MONTHS:
            return _checked(year, MONTHS[month_word], int(ordinal.group(1)))
    return None


def parse_date(text: str) -> DateSpec:
    """Read one date phrase; DateError if it is not one."""
    words = text.strip().lower().replace(",", " , ").split()
    words = [w for w in words if w != ","]
    if words[:1] == ["on"]:
        words = words[1:]
    phrase = " ".join(words)
    if not words:
        raise DateError("no date given")
    if phrase in _OFFSETS:
        return DateSpec(offset=_OFFSETS[phrase])
    if "/" in phrase:
        raise DateError(
            f"{text.strip()!r}: 01/02 is January or February depending on the country; "
            "write 2027-01-10 or 10 January"
        )
    if len(words) == 1:
        return _single(words[0], text)
    if len(words) == 2 and words[0] in ("last", "next", "this") and words[1] in WEEKDAYS:
        direction = {"last": "last", "next": "next", "this": "either"}[words[0]]
        return DateSpec(weekday=WEEKDAYS[words[1]], direction=direction)
    if len(words) == 3 and words[0].isdigit() and words[1] in _UNIT_DAYS and words[2] == "ago":
        return DateSpec(offset=-int(words[0]) * _UNIT_DAYS[words[1]])
    if len(words) == 3 and words[0] == "in" and words[1].isdigit() and words[2] in _UNIT_DAYS:
        return DateSpec(offset=int(words[1]) * _UNIT_DAYS[words[2]])
    spec = _month_day(words)
    if spec is not None:
        return spec
    raise DateError(f"{text.strip()!r} is not a date (write 2027-01-10, 10 January, monday or yesterday)")


def _single(word: str, text: str) -> DateSpec:
    if word in WEEKDAYS:
        return DateSpec(weekday=WEEKDAYS[word])
    iso = _ISO.match(word)
    if iso:
        return _checked(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    dotted = _DOTTED.match(word)
    if dotted:
        return _checked(int(dotted.group(3)), int(dotted.group(2)), int(dotted.group(1)))
    raise DateError(f"{text.strip()!r} is not a date (write 2027-01-10, 10 January, monday or yesterday)")


def trailing_date(words: list[str]) -> tuple[list[str], DateSpec | None]:
    """Split a date phrase off the end of some words (the longest that reads as one, up to four
    words): ``["call", "yesterday"]`` -> ``(["call"], yesterday)``."""
    for size in (4, 3, 2, 1):
        if len(words) < size:
            continue
        tail = words[-size:]
        if size == 1 and tail[0].isdigit():
            continue  # a bare number is an entry or a count, never a date
        try:
            return words[:-size], parse_date(" ".join(tail))
        except DateError:
            continue
    return words, None


def future_day(spec: DateSpec, today: date, what: str, *, within: timedelta | None = None) -> date:
    """The day ``spec`` means, looking ahead from ``today``; DateError unless it is after today
    (and, with ``within``, no further than that): "away until 19 November 2026: that day is not
    in the future". ``what`` starts the message."""
    day = spec.resolve(today, ahead=True)
    if day <= today:
        raise DateError(f"{what} {day:%-d %B %Y}: that day is not in the future")
    if within is not None and day > today + within:
        raise DateError(f"{what} {day:%-d %B %Y}: at most a year (pause people for longer)")
    return day
