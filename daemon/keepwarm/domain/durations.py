"""Durations as people write them: ``5min``, ``3d``, ``2w``, ``3mo``, ``1y``, ``weekly``, ``every 3 weeks``.

Two readings share one grammar. A general duration (poll interval, snooze, backfill) reads ``m`` as
minutes; a cadence reads ``m`` as months, because nobody keeps in touch every three minutes.
Calendar units are fixed lengths (a month is 30 days, a year 365) so a cadence is a whole number of days.
"""

from __future__ import annotations

import re
from datetime import timedelta

MONTH_DAYS = 30
YEAR_DAYS = 365

_SECOND = 1.0
_MINUTE = 60.0
_HOUR = 3600.0
_DAY = 86400.0

_UNITS: dict[str, float] = {}
for _names, _length in (
    (("s", "sec", "secs", "second", "seconds"), _SECOND),
    (("min", "mins", "minute", "minutes"), _MINUTE),
    (("h", "hr", "hrs", "hour", "hours"), _HOUR),
    (("d", "day", "days"), _DAY),
    (("w", "wk", "wks", "week", "weeks"), 7 * _DAY),
    (("mo", "mos", "mon", "month", "months"), MONTH_DAYS * _DAY),
    (("y", "yr", "yrs", "year", "years"), YEAR_DAYS * _DAY),
):
    for _name in _names:
        _UNITS[_name] = _length

_WORDS: dict[str, float] = {
    "hourly": _HOUR,
    "daily": _DAY,
    "weekly": 7 * _DAY,
    "fortnightly": 14 * _DAY,
    "biweekly": 14 * _DAY,
    "monthly": MONTH_DAYS * _DAY,
    "quarterly": 3 * MONTH_DAYS * _DAY,
    "yearly": YEAR_DAYS * _DAY,
    "annually": YEAR_DAYS * _DAY,
}

_PATTERN = re.compile(r"^(?:every\s+)?(?:(?P<num>\d+(?:\.\d+)?|an?|other)\s*)?(?P<unit>[a-z]+)$")

# A cadence longer than this is a typo, not a relationship.
MAX_CADENCE_DAYS = 10 * YEAR_DAYS
MAX_DURATION = timedelta(days=100 * YEAR_DAYS)


class DurationError(ValueError):
    """The text is not a duration we understand; the message says what was expected."""


def _seconds(text: str, *, m_means_months: bool) -> float:
    cleaned = " ".join(text.strip().lower().split())
    if not cleaned:
        raise DurationError("empty duration (write e.g. 3d, 2w, 3mo, monthly)")
    if cleaned in _WORDS:
        return _WORDS[cleaned]
    match = _PATTERN.match(cleaned)
    if not match:
        raise DurationError(f"{text!r} is not a duration (write e.g. 5min, 3d, 2w, 3mo, 1y, monthly)")
    num_text, unit = match.group("num"), match.group("unit")
    if unit == "m":
        scale = MONTH_DAYS * _DAY if m_means_months else _MINUTE
    elif unit in _UNITS:
        scale = _UNITS[unit]
    else:
        raise DurationError(f"{text!r}: unknown unit {unit!r} (use min, h, d, w, mo or y)")
    if num_text is None or num_text in ("a", "an"):
        number = 1.0
    elif num_text == "other":
        number = 2.0
    else:
        number = float(num_text)
    return number * scale


def parse_duration(text: str) -> timedelta:
    """Read a general duration (``m`` is minutes). Raises DurationError for nonsense or zero."""
    seconds = _seconds(text, m_means_months=False)
    if seconds <= 0:
        raise DurationError(f"{text!r}: a duration must be longer than zero")
    if seconds > MAX_DURATION.total_seconds():
        raise DurationError(f"{text!r}: longer than 100 years")
    return timedelta(seconds=seconds)


def parse_cadence(text: str) -> int:
    """Read a cadence in whole days (``m`` is months). Raises DurationError outside 1 day..10 years."""
    seconds = _seconds(text, m_means_months=True)
    if seconds > (MAX_CADENCE_DAYS + 1) * _DAY:  # also catches a number too big to be finite
        raise DurationError(f"{text!r}: a cadence can be at most 10 years")
    days = round(seconds / _DAY)
    if days < 1:
        raise DurationError(f"{text!r}: a cadence must be at least one day")
    if days > MAX_CADENCE_DAYS:
        raise DurationError(f"{text!r}: a cadence can be at most 10 years")
    return days


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def format_days(days: int) -> str:
    """Say a number of days the way a person would: ``3 weeks``, ``2 months``, ``1 year``, ``10 days``."""
    if days and days % YEAR_DAYS == 0:
        return _plural(days // YEAR_DAYS, "year")
    if days and days % MONTH_DAYS == 0:
        return _plural(days // MONTH_DAYS, "month")
    if days and days % 7 == 0:
        return _plural(days // 7, "week")
    return _plural(days, "day")


def format_interval(interval: timedelta) -> str:
    """A short interval as a person says it: ``10 seconds``, ``5 minutes``, ``1 hour``."""
    seconds = round(interval.total_seconds())
    if seconds and seconds % 3600 == 0:
        return _plural(seconds // 3600, "hour")
    if seconds and seconds % 60 == 0:
        return _plural(seconds // 60, "minute")
    return _plural(seconds, "second")


def format_cadence(days: int) -> str:
    """``every 3 weeks``, ``every month``: the cadence as a phrase."""
    text = format_days(days)
    return "every " + (text[2:] if text.startswith("1 ") else text)


def ago(days: int | None, *, compact: bool = False) -> str:
    """``today``, ``yesterday``, ``47 days ago`` (compact, for tables: ``today``, ``47d ago``)."""
    if days is None:
        return "never"
    if days <= 0:
        return "today"
    if compact:
        return f"{days}d ago"
    return "yesterday" if days == 1 else f"{days} days ago"
