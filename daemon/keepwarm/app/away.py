"""Time away (``keepwarm away 2027-01-05``, or ``away until …`` by mail): no reminders until that
day, commands still answered; the first reminder run after it is one catch-up digest."""

from __future__ import annotations

from datetime import date, datetime

from keepwarm.domain.commands.share import MAX_AWAY
from keepwarm.domain.dates import DateError, future_day, parse_date
from keepwarm.errors import UsageError
from keepwarm.store import Store


def go_away(store: Store, when: str, now: datetime) -> date:
    """Hold every reminder back until ``when`` (a date as people write it, in the future)."""
    try:
        spec = parse_date(when)
    except DateError as exc:
        raise UsageError(f"away {when}: {exc}") from None
    try:
        until = future_day(spec, now.date(), "away until", within=MAX_AWAY)
    except DateError as exc:
        raise UsageError(str(exc)) from None
    store.runs.set_away(until, now.date())
    return until


def come_back(store: Store, now: datetime) -> None:
    """Reminders on again from today (the catch-up digest comes with the next run)."""
    if store.runs.away_until() is not None:
        store.runs.set_away(now.date(), now.date())


def away_until(store: Store, now: datetime) -> date | None:
    """The day reminders start again, if that is still to come."""
    until = store.runs.away_until()
    return until if until is not None and until > now.date() else None
