"""Reminder bookkeeping in the store: the outbox of messages to send, reminder entries, run times.

An outbox row is written before its message is sent and marked sent after the server accepts it,
so a crash in between sends it again (at most one duplicate) and never loses it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tinydb.table import Document

from keepwarm.domain.reminders import Entry, EntryState
from keepwarm.errors import StoreError
from keepwarm.store.codec import iso

if TYPE_CHECKING:
    from keepwarm.store.repository import Store

MAX_RECENT_ERRORS = 20


@dataclass(frozen=True)
class OutboxItem:
    """A message keepwarm owes the owner: pending, sent, failed (5xx) or cancelled."""

    id: int
    kind: str
    state: str
    created_at: datetime
    raw: str
    subject: str = ""
    token: str = ""
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None

    def with_changes(self, **changes: Any) -> OutboxItem:
        """A copy with some fields changed."""
        return replace(self, **changes)


def _time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _outbox(doc_id: int, doc: dict[str, Any]) -> OutboxItem:
    try:
        created = _time(doc["created_at"])
        assert created is not None
        return OutboxItem(
            id=doc_id,
            kind=str(doc["kind"]),
            state=str(doc["state"]),
            created_at=created,
            raw=str(doc["raw"]),
            subject=str(doc.get("subject", "")),
            token=str(doc.get("token", "")),
            attempts=int(doc.get("attempts", 0)),
            next_attempt_at=_time(doc.get("next_attempt_at")),
            last_error=doc.get("last_error"),
            sent_at=_time(doc.get("sent_at")),
        )
    except (KeyError, TypeError, ValueError, AssertionError) as exc:
        raise StoreError(f"record {doc_id} of table 'outbox' is damaged: {exc!r}") from exc


def _outbox_doc(item: OutboxItem) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "state": item.state,
        "created_at": iso(item.created_at),
        "raw": item.raw,
        "subject": item.subject,
        "token": item.token,
        "attempts": item.attempts,
        "next_attempt_at": iso(item.next_attempt_at),
        "last_error": item.last_error,
        "sent_at": iso(item.sent_at),
    }


def _entry(doc_id: int, doc: dict[str, Any]) -> Entry:
    try:
        created = _time(doc["created_at"])
        assert created is not None
        return Entry(
            id=doc_id,
            contact_id=int(doc["contact_id"]),
            created_at=created,
            nth=int(doc["nth"]),
            state=EntryState(doc["state"]),
            outbox_id=int(doc.get("outbox_id", 0)),
            number=int(doc.get("number", 1)),
            news_key=str(doc.get("news_key") or ""),
        )
    except (KeyError, TypeError, ValueError, AssertionError) as exc:
        raise StoreError(f"record {doc_id} of table 'entries' is damaged: {exc!r}") from exc


class ReminderTables:
    """The outbox, reminder entries and run bookkeeping of one Store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # -- outbox --------------------------------------------------------------------------------

    def add_outbox(self, item: OutboxItem) -> OutboxItem:
        """Queue a message; returns it with its id."""
        with self._store.transaction():
            doc_id = self._store.table("outbox").insert(_outbox_doc(item))
        return item.with_changes(id=doc_id)

    def update_outbox(self, item: OutboxItem) -> None:
        """Save a changed outbox row."""
        with self._store.transaction():
            self._store.table("outbox").update(_outbox_doc(item), doc_ids=[item.id])

    def outbox(self) -> list[OutboxItem]:
        """Every outbox row, oldest first."""
        return [_outbox(d.doc_id, d) for d in self._store.table("outbox").all()]

    def outbox_item(self, item_id: int) -> OutboxItem | None:
        """One outbox row."""
        doc = self._store.table("outbox").get(doc_id=item_id)
        return None if doc is None else _outbox(item_id, doc)

    def sendable(self, now: datetime) -> list[OutboxItem]:
        """Pending messages whose next attempt is due."""
        return [
            item
            for item in self.outbox()
            if item.state == "pending" and (item.next_attempt_at is None or item.next_attempt_at <= now)
        ]

    # -- entries -------------------------------------------------------------------------------

    def add_entry(self, entry: Entry) -> Entry:
        """Record that a contact is in a reminder email."""
        doc = {
            "contact_id": entry.contact_id,
            "created_at": iso(entry.created_at),
            "nth": entry.nth,
            "state": entry.state.value,
            "outbox_id": entry.outbox_id,
            "number": entry.number,
            "news_key": entry.news_key,
        }
        with self._store.transaction():
            doc_id = self._store.table("entries").insert(doc)
        return replace(entry, id=doc_id)

    def entries(self) -> list[Entry]:
        """Every reminder entry, oldest first."""
        return [_entry(d.doc_id, d) for d in self._store.table("entries").all()]

    def set_entry_states(self, changes: Iterable[tuple[int, EntryState]]) -> None:
        """Resolve, supersede or cancel entries."""
        with self._store.transaction():
            table = self._store.table("entries")
            for entry_id, state in changes:
                table.update({"state": state.value}, doc_ids=[entry_id])

    # -- runs and errors -----------------------------------------------------------------------

    def runs(self) -> dict[str, Any]:
        """When things last happened, and the recent errors (for ``keepwarm status``)."""
        doc = self._store.table("meta").get(doc_id=2)
        return dict(doc) if doc is not None else {"errors": []}

    def note_run(self, name: str, at: datetime, **extra: Any) -> None:
        """Record that ``name`` (poll, reminders) ran at ``at``."""
        with self._store.transaction():
            runs = self.runs()
            runs[name] = iso(at)
            runs.update(extra)
            self._save_runs(runs)

    def note_error(self, at: datetime, message: str) -> None:
        """Keep the most recent errors for ``keepwarm status``."""
        with self._store.transaction():
            runs = self.runs()
            runs["errors"] = [*runs.get("errors", []), {"at": iso(at), "error": message}][-MAX_RECENT_ERRORS:]
            self._save_runs(runs)

    def _save_runs(self, runs: dict[str, Any]) -> None:
        table = self._store.table("meta")
        if table.contains(doc_id=2):
            table.update(runs, doc_ids=[2])
        else:
            table.insert(Document(runs, doc_id=2))
