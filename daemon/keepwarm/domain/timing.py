"""When the daily reminder job should run: the owner's local time, chosen weekdays, and catch-up.

The runtime asks every minute "is a run due?"; the answer depends only on ``now``, the last run and
the settings, so a missed run (the machine was off) happens once at start-up, never several times,
and daylight-saving changes move nothing: 08:30 stays 08:30 on the owner's wall clock.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, time, timedelta

from keepwarm.domain.model import require_aware

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def latest_slot(now: datetime, at: time, days: Collection[int] = range(7)) -> datetime | None:
    """The most recent scheduled instant at or before ``now`` (``now``'s zone is the owner's).

    ``days`` are weekday numbers (Monday 0). Looks back at most a week.
    """
    require_aware(now, "now")
    tz = now.tzinfo
    for back in range(8):
        day = (now - timedelta(days=back)).date()
        if day.weekday() not in days:
            continue
        # A wall time inside a spring-forward gap is read with the old offset (fold=0), so
        # 02:30 on the changeover day becomes 03:30: the run is late, never skipped.
        slot = datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
        # Compared as instants in UTC: two datetimes sharing one zone object compare as wall
        # times, which in a DST gap would put the slot half an hour early and run it repeatedly.
        if slot <= now.astimezone(UTC):
            return slot.astimezone(tz)
    return None


def run_is_due(now: datetime, at: time, last_run: datetime | None, days: Collection[int] = range(7)) -> bool:
    """True when a scheduled instant has passed since the last run (or there was none)."""
    slot = latest_slot(now, at, days)
    if slot is None:
        return False
    return last_run is None or last_run.astimezone(UTC) < slot.astimezone(UTC)


def parse_weekdays(text: str) -> frozenset[int]:
    """``mon,thu`` or ``mon-fri`` into weekday numbers; raises ValueError naming a bad entry."""
    result: set[int] = set()
    for raw in text.lower().replace(" ", "").split(","):
        if not raw:
            continue
        first, _, last = raw.partition("-")
        for name in (first, last) if last else (first,):
            if name[:3] not in WEEKDAYS:
                raise ValueError(f"{name!r} is not a weekday (use mon, tue, wed, thu, fri, sat, sun)")
        start, end = WEEKDAYS.index(first[:3]), WEEKDAYS.index((last or first)[:3])
        span = range(start, end + 1) if start <= end else [*range(start, 7), *range(end + 1)]
        result.update(span)
    if not result:
        raise ValueError("no weekdays given")
    return frozenset(result)
