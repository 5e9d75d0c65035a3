"""Meeting invitations found in the owner's mail, as one more calendar (named ``invitations``).

Each VEVENT an invitation carries becomes a calendar object under its UID, so the calendar code
does the rest: a past meeting is a touch at its start, one to come holds the reminder and becomes
a touch once it has happened, a cancellation takes the touch away. Which version of an event
counts is the newest by SEQUENCE, then DTSTAMP (RFC 5546), whatever order the folders are read
in: an old invitation in the archive never undoes the cancellation read in INBOX. The object's
ETag is that rank, so an older copy is recognised without being parsed again.

An answer to an invitation (METHOD:REPLY) names only the one who answers: the owner's own answer
counts (declining takes the meeting away), someone else's does not replace the invitation.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from keepwarm.calendar.ical import parse, split_parsed
from keepwarm.calendar.objects import CalendarError, CalendarObject, Changes

log = logging.getLogger(__name__)


def _rank(component: Any) -> str:
    """SEQUENCE then DTSTAMP, as text that sorts as they do."""
    try:
        sequence = int(str(component.get("SEQUENCE", 0)))
    except ValueError:
        sequence = 0
    stamp = component.get("DTSTAMP")
    when = getattr(stamp, "dt", None)
    at = when.astimezone(UTC).strftime("%Y%m%dT%H%M%S") if isinstance(when, datetime) else ""
    return f"{max(0, sequence):08d}/{at}"


def objects(parts: Iterable[bytes], *, from_owner: bool, where: str) -> list[CalendarObject]:
    """The events in a message's calendar parts, each under its UID with its rank as ETag."""
    found: dict[str, CalendarObject] = {}
    for data in parts:
        text = data.decode("utf-8", errors="replace")
        try:
            calendar = parse(text, where)
            method = str(calendar.get("METHOD", "")).upper()
            ranks = {str(c.get("UID", "")): _rank(c) for c in calendar.walk("VEVENT")}
            # Nearly every invitation is one event: its own text is the object, as it came (it is
            # parsed again when the calendar reads it; writing it out anew would cost as much).
            pieces = [(uid, text) for uid in ranks] if len(ranks) == 1 else _pieces(calendar)
        except (CalendarError, ValueError, KeyError, IndexError, TypeError) as exc:
            log.warning("%s: the invitation's calendar cannot be read (%s)", where, str(exc)[:120])
            continue
        if method == "REPLY" and not from_owner:
            continue
        for uid, body in pieces:
            if uid:
                found[uid] = CalendarObject(uid, ranks.get(uid, ""), body)
    return list(found.values())


def _pieces(calendar: Any) -> list[tuple[str, str]]:
    """(UID, text) of each event of an invitation that carries several."""
    return [(piece.href, piece.text) for piece in split_parsed(calendar)]


class Invitations:
    """The invitations read in one poll, as a calendar source: newer versions only."""

    def __init__(self, found: Iterable[CalendarObject]) -> None:
        self._found: dict[str, CalendarObject] = {}
        for item in found:
            if item.etag >= self._found.get(item.href, CalendarObject("", "", "")).etag:
                self._found[item.href] = item

    def __bool__(self) -> bool:
        return bool(self._found)

    def probe(self) -> str:
        return "invitations in mail"

    def changes(self, token: str | None, ctag: str | None, known: dict[str, str]) -> Changes:
        newer = [o for o in self._found.values() if o.etag >= known.get(o.href, "")]
        return Changes(objects=newer, token=token, ctag=ctag, unchanged=not newer)

    def close(self) -> None:
        return None
