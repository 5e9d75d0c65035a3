"""The reminder entries: one row per contact per reminder email, and what became of it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from keepwarm.domain.records import RecordError, iso
from keepwarm.domain.reminders import Entry, EntryState
from keepwarm.store.engine import Part


def _entry(doc_id: int, doc: dict[str, Any]) -> Entry:
    try:
        return Entry(
            id=doc_id,
            contact_id=int(doc["contact_id"]),
            created_at=datetime.fromisoformat(doc["created_at"]),
            nth=int(doc["nth"]),
            state=EntryState(doc["state"]),
            outbox_id=int(doc.get("outbox_id", 0)),
            number=int(doc.get("number", 1)),
            news_key=str(doc.get("news_key") or ""),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RecordError(f"record {doc_id} of table 'entries' is damaged: {exc!r}") from exc


class ReminderEntries(Part):
    """Table ``entries``."""

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
        with self.transaction():
            doc_id = self._tables.table("entries").insert(doc)
        return replace(entry, id=doc_id)

    def entries(self) -> list[Entry]:
        """Every reminder entry, oldest first."""
        raw = self._tables.raw("entries")
        return self._tables.decode(lambda: [_entry(int(i), d) for i, d in raw.items()])

    def set_entry_states(self, changes: Iterable[tuple[int, EntryState]]) -> None:
        """Resolve, supersede or cancel entries."""
        with self.transaction():
            table = self._tables.table("entries")
            for entry_id, state in changes:
                table.update({"state": state.value}, doc_ids=[entry_id])
