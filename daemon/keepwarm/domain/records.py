"""Contacts and touches as plain records (JSON-ready dicts) and back: the one serialisation that the
store, the CLI's ``--json`` and the JSON export all share. Pure.

A record that no longer fits (hand-edited, damaged) raises RecordError naming the table and record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from keepwarm.domain.model import (
    Channel,
    Contact,
    Direction,
    Note,
    Priority,
    Touch,
    YearlyDate,
    parse_birthday,
)

T = TypeVar("T")


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with offset, or None."""
    return value.isoformat() if value is not None else None


def _time(value: Any) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"time {value!r} has no UTC offset")
    return parsed


def _optional_time(value: Any) -> datetime | None:
    return None if value is None else _time(value)


def contact_to_doc(contact: Contact) -> dict[str, Any]:
    """A contact as a record (its id is the store's document id, not a field)."""
    doc: dict[str, Any] = {
        "name": contact.name,
        "emails": list(contact.emails),
        "added_at": iso(contact.added_at),
        "group": contact.group,
        "cadence_days": contact.cadence_days,
        "notes": [{"at": iso(n.at), "text": n.text} for n in contact.notes],
        "paused": contact.paused,
        "snoozed_until": iso(contact.snoozed_until),
        "birthday": str(contact.birthday) if contact.birthday else None,
    }
    # Written only when set, so the records of contacts without them stay as they were.
    if contact.dates:
        doc["dates"] = [{"label": d.label, "date": str(d.date)} for d in contact.dates]
    if contact.max_days is not None:
        doc["max_days"] = contact.max_days
    if contact.priority is not None:
        doc["priority"] = contact.priority.value
    if contact.language is not None:
        doc["language"] = contact.language
    return doc


def doc_to_contact(doc_id: int, doc: Mapping[str, Any]) -> Contact:
    """Rebuild a contact; raises RecordError naming the record if it was damaged."""
    return _decode("contacts", doc_id, lambda: _contact(doc_id, doc))


def _contact(doc_id: int, doc: Mapping[str, Any]) -> Contact:
    return Contact(
        id=doc_id,
        name=str(doc["name"]),
        emails=tuple(str(e) for e in doc["emails"]),
        added_at=_time(doc["added_at"]),
        group=doc.get("group"),
        cadence_days=None if doc.get("cadence_days") is None else int(doc["cadence_days"]),
        notes=tuple(Note(_time(n["at"]), str(n["text"])) for n in doc.get("notes", [])),
        paused=bool(doc.get("paused", False)),
        snoozed_until=_optional_time(doc.get("snoozed_until")),
        birthday=parse_birthday(doc["birthday"]) if doc.get("birthday") else None,
        dates=tuple(YearlyDate(str(d["label"]), parse_birthday(d["date"])) for d in doc.get("dates") or ()),
        max_days=None if doc.get("max_days") is None else int(doc["max_days"]),
        priority=Priority(doc["priority"]) if doc.get("priority") else None,
        language=str(doc["language"]) if doc.get("language") else None,
    )


def touch_to_doc(touch: Touch) -> dict[str, Any]:
    """A touch as a record (the display name only when there is one: it is often empty)."""
    doc: dict[str, Any] = {
        "address": touch.address,
        "at": iso(touch.at),
        "direction": touch.direction.value,
        "channel": touch.channel.value,
        "subject": touch.subject,
        "message_id": touch.message_id,
        "source": touch.source,
    }
    if touch.name:
        doc["name"] = touch.name
    if touch.copied:
        doc["copied"] = True
    return doc


def doc_to_touch(doc_id: int, doc: Mapping[str, Any]) -> Touch:
    """Rebuild a touch; raises RecordError naming the record if it was damaged."""
    return _decode(
        "touches",
        doc_id,
        lambda: Touch(
            address=str(doc["address"]),
            at=_time(doc["at"]),
            direction=Direction(doc["direction"]),
            channel=Channel(doc.get("channel", "email")),
            subject=str(doc.get("subject") or ""),
            message_id=doc.get("message_id"),
            source=str(doc.get("source") or ""),
            name=str(doc.get("name") or ""),
            copied=doc.get("copied") is True,
        ),
    )


class RecordError(ValueError):
    """A stored record that cannot be read back; the message names the table and the record."""


def _decode(table: str, doc_id: int, build: Callable[[], T]) -> T:
    try:
        return build()
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise RecordError(f"record {doc_id} of table {table!r} is damaged: {exc!r}") from exc
