"""The calendars' table: per calendar, its sync-token and ctag, each event's ETag, the touch keys
it produced and (while it recurs or is still to come) its text, the meetings to come, and the
last sync's outcome and problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from keepwarm.domain.events import Meeting
from keepwarm.domain.model import Channel
from keepwarm.domain.records import iso
from keepwarm.store.engine import Part

_TABLE = "calendars"


@dataclass(frozen=True)
class EventState:
    """One calendar object: its version, the keys of the touches it made, and its text when it
    must be read again at the next sync though unchanged (it recurs, or is still to come)."""

    etag: str
    keys: tuple[str, ...] = ()
    text: str | None = None


@dataclass(frozen=True)
class CalendarState:
    """What keepwarm keeps about one calendar between syncs."""

    name: str
    token: str | None = None
    ctag: str | None = None
    events: dict[str, EventState] = field(default_factory=dict)
    upcoming: tuple[Meeting, ...] = ()
    problems: tuple[str, ...] = ()  # from the last sync: events that could not be read
    synced_at: datetime | None = None
    error: str | None = None


def _meeting(doc: dict[str, Any]) -> Meeting:
    return Meeting(
        str(doc["address"]),
        datetime.fromisoformat(doc["start"]),
        str(doc.get("summary") or ""),
        str(doc["calendar"]),
        Channel(doc.get("channel") or "meeting"),
    )


def _state(doc: dict[str, Any]) -> CalendarState:
    return CalendarState(
        str(doc["name"]),
        doc.get("token"),
        doc.get("ctag"),
        {
            h: EventState(str(v["etag"]), tuple(v.get("keys") or ()), v.get("text"))
            for h, v in (doc.get("events") or {}).items()
        },
        tuple(_meeting(m) for m in doc.get("upcoming") or ()),
        tuple(doc.get("problems") or ()),
        datetime.fromisoformat(doc["synced_at"]) if doc.get("synced_at") else None,
        doc.get("error"),
    )


class CalendarsPart(Part):
    """Table ``calendars``: one record per calendar, by name."""

    def calendar(self, name: str) -> CalendarState:
        """The calendar's state (empty before its first sync)."""
        for doc in self._tables.table(_TABLE).all():
            if doc.get("name") == name:
                return _state(doc)
        return CalendarState(name)

    def calendars(self) -> list[CalendarState]:
        """Every calendar synced so far."""
        return [_state(d) for d in self._tables.table(_TABLE).all()]

    def upcoming(self, names: set[str] | None = None) -> list[Meeting]:
        """The meetings to come in every calendar (or in the ``names`` still configured)."""
        found = [m for c in self.calendars() if names is None or c.name in names for m in c.upcoming]
        return sorted(found, key=lambda m: (m.start, m.address))

    def save(self, state: CalendarState) -> None:
        """Keep the calendar's state (replacing what was kept)."""
        doc = {
            "name": state.name,
            "token": state.token,
            "ctag": state.ctag,
            "events": {
                h: {"etag": e.etag, "keys": list(e.keys), "text": e.text} for h, e in state.events.items()
            },
            "upcoming": [
                {
                    "address": m.address,
                    "start": iso(m.start),
                    "summary": m.summary,
                    "calendar": m.calendar,
                    "channel": m.channel.value,
                }
                for m in state.upcoming
            ],
            "problems": list(state.problems),
            "synced_at": iso(state.synced_at),
            "error": state.error,
        }
        self._put_named(_TABLE, doc)
