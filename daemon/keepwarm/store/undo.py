"""Undo snapshots: for each contact, its state before the last command and the touches it added."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from keepwarm.domain.model import Contact
from keepwarm.domain.records import contact_to_doc, doc_to_contact, iso
from keepwarm.store.engine import Part


@dataclass(frozen=True)
class Snapshot:
    """A contact as it was before a command (None if the command created it), and what it added."""

    contact_id: int
    before: Contact | None
    touch_keys: tuple[str, ...]


class UndoPart(Part):
    """Table ``undo``: one snapshot per contact; the most recent command is the one undone."""

    def save(self, contact_id: int, before: Contact | None, touch_keys: Sequence[str], at: datetime) -> None:
        """Replace the contact's snapshot."""
        with self.transaction():
            table = self._tables.table("undo")
            table.remove(lambda d: d.get("contact_id") == contact_id)
            table.insert(
                {
                    "contact_id": contact_id,
                    "before": contact_to_doc(before) if before is not None else None,
                    "touch_keys": list(touch_keys),
                    "at": iso(at),
                }
            )

    def pop(self, contact_id: int) -> Snapshot | None:
        """Take the contact's snapshot out (undo is not itself undone)."""
        with self.transaction():
            table = self._tables.table("undo")
            doc = table.get(lambda d: d.get("contact_id") == contact_id)
            if not isinstance(doc, dict):
                return None
            table.remove(lambda d: d.get("contact_id") == contact_id)
        before = doc.get("before")
        contact = None if before is None else self._tables.decode(lambda: doc_to_contact(contact_id, before))
        return Snapshot(contact_id, contact, tuple(str(k) for k in doc.get("touch_keys", [])))
