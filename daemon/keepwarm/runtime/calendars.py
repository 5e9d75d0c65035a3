"""The calendars, wired from their settings: sync them all (``keepwarm poll`` and the daemon's
own job), and the lines ``keepwarm check`` prints for them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime

from keepwarm.app.calendars import CalendarReport, CalendarRules, CalendarSource, probe, source, sync_calendar
from keepwarm.config import Config
from keepwarm.config.calendars import CalendarConfig
from keepwarm.errors import ConfigError
from keepwarm.store import Store

# Seconds one request to a calendar may take: mail polling never waits on it, but a server
# that hangs must not hold the job for ever.
TIMEOUT = 30.0


def rules(config: Config) -> CalendarRules:
    """What decides a touch, from the settings."""
    return CalendarRules(config.owner_emails, config.max_recipients, config.backfill, config.timezone)


def open_calendar(calendar: CalendarConfig, timeout: float = TIMEOUT) -> CalendarSource:
    """The calendar's source, its password fetched now (a ConfigError names the key if that fails)."""
    password = calendar.password.resolve().reveal() if calendar.password is not None else None
    return source(calendar.kind.value, calendar.url, calendar.user, password, timeout)


def sync_all(config: Config, store: Store, now: datetime) -> list[CalendarReport]:
    """Sync every configured calendar; one that fails is reported and the others go on."""
    reports = []
    for calendar in config.calendars:
        try:
            events = open_calendar(calendar)
        except ConfigError as exc:
            reports.append(CalendarReport(calendar.name, error=str(exc).replace("\n", "; ")))
            continue
        try:
            reports.append(sync_calendar(store, calendar.name, events, rules(config), now))
        finally:
            events.close()
    return reports


def checks(config: Config, store: Store | None) -> list[tuple[str, Callable[[], str]]]:
    """One check per calendar: reach it, and say which of its events could not be read."""
    return [(f"calendar {c.name}", functools.partial(_check, c, store)) for c in config.calendars]


def _check(calendar: CalendarConfig, store: Store | None) -> str:
    events = open_calendar(calendar)
    try:
        found = probe(events)
    finally:
        events.close()
    problems = store.calendars.calendar(calendar.name).problems if store is not None else ()
    more = f"; {len(problems)} unreadable: {'; '.join(problems[:3])}" if problems else ""
    return f"found {found}{more}"
