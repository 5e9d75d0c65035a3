"""Reading a calendar kept elsewhere (CalDAV, an iCalendar address, a .ics file): past meetings
become touches, meetings to come are kept so that they hold reminders.

Fetch what changed since the last sync, parse it (with the events that recur or are still to
come, kept from before, read again without fetching them), let the domain decide
(``plan_calendar``), and apply it with the calendar's new state in one transaction. A calendar
that cannot be read keeps its state and records the error; the next sync tries again. An event
that cannot be read is one line naming its calendar and UID; the others count.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Protocol

from keepwarm.calendar.objects import CalendarError, Changes
from keepwarm.domain.events import SOURCE_PREFIX, Event, plan_calendar
from keepwarm.domain.ingest import touch_key
from keepwarm.errors import KeepwarmError
from keepwarm.store import Store
from keepwarm.store.calendars import CalendarState, EventState

log = logging.getLogger(__name__)

# How far ahead a sync reads: meetings to come hold reminders within this many days.
AHEAD = timedelta(days=60)


class CalendarSource(Protocol):
    """Where events come from: a CalDAV calendar, an iCalendar address or a file."""

    def probe(self) -> str: ...
    def changes(self, token: str | None, ctag: str | None, known: dict[str, str]) -> Changes: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class CalendarRules:
    """What decides a touch: the owner's addresses, the recipient limit, how far back to read
    (BACKFILL) and the zone of floating times and all-day events."""

    owner_emails: tuple[str, ...]
    max_recipients: int
    backfill: timedelta
    zone: tzinfo


@dataclass
class CalendarReport:
    """What one sync of one calendar did, for the owner."""

    name: str
    added: int = 0
    removed: int = 0
    upcoming: int = 0
    problems: list[str] = field(default_factory=list)
    error: str | None = None


def source(
    kind: str, url: str, user: str | None, password: str | None, timeout: float = 30.0
) -> CalendarSource:
    """The source for a calendar's settings: ``caldav``, ``ics-url`` or ``file``."""
    # The clients (caldav, requests) and the parser (icalendar) load when a calendar is read, not
    # with every poll and every command: together they cost a second of start-up and 14 MB.
    from keepwarm.calendar.dav import CalDavCalendar
    from keepwarm.calendar.feed import IcsFile, IcsUrl

    if kind == "caldav":
        return CalDavCalendar(url, user, password, timeout)
    if kind == "ics-url":
        return IcsUrl(url, user, password, timeout)
    return IcsFile(Path(url.removeprefix("file://")).expanduser())


def probe(source: CalendarSource) -> str:
    """Reach the calendar; a failure is a KeepwarmError with the reason in one line."""
    try:
        return source.probe()
    except CalendarError as exc:
        raise KeepwarmError(str(exc)) from None


def sync_calendar(
    store: Store,
    name: str,
    source: CalendarSource,
    rules: CalendarRules,
    now: datetime,
    *,
    quiet: bool = False,
) -> CalendarReport:
    """Bring the touches in step with one calendar; ``quiet`` logs its counts only for debugging
    (the invitations a poll's batches read: a backfill has dozens of batches)."""
    from keepwarm.calendar.ical import read  # see source

    report = CalendarReport(name)
    state = store.calendars.calendar(name)
    try:
        changes = source.changes(state.token, state.ctag, {h: e.etag for h, e in state.events.items()})
    except CalendarError as exc:
        return _failed(store, state, report, f"calendar {name}: {exc}")
    since, until = now - rules.backfill, now + AHEAD
    texts = {h: e.text for h, e in state.events.items() if e.text is not None}
    etags = {h: e.etag for h, e in state.events.items()}
    for item in changes.objects:
        texts[item.href], etags[item.href] = item.text, item.etag
    read_now: dict[str, list[Event]] = {}
    keep: dict[str, str | None] = {}
    for href, text in texts.items():
        if href in changes.gone:
            continue
        # A CalDAV object is named by its file; one of a whole calendar (its UID) by its event.
        where = f"calendar {name}, {href.rsplit('/', 1)[-1]}" if "/" in href else f"calendar {name}"
        parsed, problems = read(text, where, since=since, until=until, now=now, zone=rules.zone)
        report.problems += problems
        read_now[href] = parsed.events
        # Kept to be read again: it recurs, is still to come, or is broken (its line stays until fixed).
        keep[href] = text if parsed.keep or problems else None
    known = {h: e.keys for h, e in state.events.items()}
    with store.transaction():
        plan = plan_calendar(
            name,
            read=read_now,
            known=known,
            gone=changes.gone,
            owner_emails=rules.owner_emails,
            max_recipients=rules.max_recipients,
            since=since,
            now=now,
        )
        source_name = SOURCE_PREFIX + name
        report.removed = store.remove_touches(plan.remove, source=source_name)
        have = store.touch_keys()
        new = [t for t in plan.add if touch_key(t) not in have]
        report.added = store.add_touches(new)
        events = {
            h: EventState(etags[h], plan.keys.get(h, known.get(h, ())), keep.get(h))
            for h in etags
            if h not in changes.gone
        }
        store.calendars.save(
            CalendarState(
                name,
                changes.token,
                changes.ctag,
                events,
                tuple(plan.upcoming),
                tuple(report.problems),
                now,
                None,
            )
        )
    report.upcoming = len(plan.upcoming)
    for line in report.problems:
        log.warning("%s", line)
    if report.added or report.removed:  # every poll settles the invitations: quiet when nothing changed
        level = logging.DEBUG if quiet else logging.INFO
        log.log(level, "calendar %s: %d touches added, %d removed", name, report.added, report.removed)
    return report


def _failed(store: Store, state: CalendarState, report: CalendarReport, line: str) -> CalendarReport:
    report.error = line.split(": ", 1)[1] if ": " in line else line
    log.warning("%s", line)
    store.calendars.save(replace(state, error=report.error))
    return report
