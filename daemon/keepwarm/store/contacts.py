"""The contacts and groups tables: the people keepwarm tracks, and each group's cadence, limits and
language."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

from tinydb.table import Document

from keepwarm.domain.due import Limits
from keepwarm.domain.model import Contact, Priority
from keepwarm.domain.records import contact_to_doc, doc_to_contact
from keepwarm.errors import StoreError
from keepwarm.store.engine import Part


def _replaced_by(new: dict[str, Any]) -> Callable[[MutableMapping[Any, Any]], None]:
    """A TinyDB update that makes the record ``new`` whole: fields written only when set (a
    maximum, a priority, a language) go when they are cleared, rather than staying behind."""

    def replace(doc: MutableMapping[Any, Any]) -> None:
        doc.clear()
        doc.update(new)

    return replace


class ContactsPart(Part):
    """Tables ``contacts`` and ``groups``. Contacts are decoded once per change, then reused."""

    _contacts: tuple[int, list[Contact]] | None = None

    def _changed(self, contact_id: int) -> None:
        self._tables.uncache("contacts", contact_id)
        self._contacts = None

    def contacts(self) -> list[Contact]:
        """All contacts, in the order they were added."""
        raw = self._tables.raw("contacts")
        generation = self._tables.generation
        if self._contacts is None or self._contacts[0] != generation:
            decoded = self._tables.decode(lambda: [doc_to_contact(int(i), doc) for i, doc in raw.items()])
            self._contacts = (generation, decoded)
        return list(self._contacts[1])

    def get_contact(self, contact_id: int) -> Contact | None:
        """One contact by id, or None if it was removed."""
        doc = self._tables.table("contacts").get(doc_id=contact_id)
        return None if doc is None else self._tables.decode(lambda: doc_to_contact(contact_id, doc))

    def add_contact(self, contact: Contact) -> Contact:
        """Insert and return the contact with its new id."""
        with self.transaction():
            doc_id = self._tables.table("contacts").insert(contact_to_doc(contact))
            self._changed(doc_id)
        return contact.with_changes(id=doc_id)

    def update_contact(self, contact: Contact) -> None:
        """Replace the stored contact with the same id."""
        with self.transaction():
            table = self._tables.table("contacts")
            if not table.contains(doc_id=contact.id):
                raise StoreError(f"contact {contact.id} no longer exists")
            table.update(_replaced_by(contact_to_doc(contact)), doc_ids=[contact.id])
            self._changed(contact.id)

    def restore_contact(self, contact: Contact) -> None:
        """Put a contact back exactly as it was, under its old id (for undo)."""
        with self.transaction():
            table = self._tables.table("contacts")
            if table.contains(doc_id=contact.id):
                table.update(contact_to_doc(contact), doc_ids=[contact.id])
            else:
                table.insert(Document(contact_to_doc(contact), doc_id=contact.id))
            self._changed(contact.id)

    def remove_contact(self, contact_id: int) -> None:
        """Forget the contact. Its touches stay, keyed by address, in case it is added again."""
        with self.transaction():
            self._tables.table("contacts").remove(doc_ids=[contact_id])
            self._changed(contact_id)

    def group_cadences(self) -> dict[str, int]:
        """Cadence in days per group name, for groups that have one."""
        return {
            str(d["name"]): int(d["cadence_days"])
            for d in self._tables.table("groups").all()
            if d.get("cadence_days") is not None
        }

    def group_limits(self) -> dict[str, Limits]:
        """Each group's maximum and priority, for groups that have either."""
        return {
            str(d["name"]): Limits(d.get("max_days"), Priority(d["priority"]) if d.get("priority") else None)
            for d in self._tables.table("groups").all()
            if d.get("max_days") is not None or d.get("priority")
        }

    def group_languages(self) -> dict[str, str]:
        """The language of each group's drafts, for groups that have one."""
        groups = self._tables.table("groups").all()
        return {str(d["name"]): str(d["language"]) for d in groups if d.get("language")}

    def set_group_language(self, name: str, language: str | None) -> None:
        """Set (or with None, clear) the language of a group's drafts."""
        self._set_group(name, language=language)

    def set_group_cadence(self, name: str, cadence_days: int | None) -> None:
        """Set (or with None, clear) a group's cadence."""
        self._set_group(name, cadence_days=cadence_days)

    def set_group_limits(self, name: str, max_days: int | None, priority: Priority | None) -> None:
        """Set (or with None, clear) a group's maximum and priority."""
        self._set_group(name, max_days=max_days, priority=priority.value if priority else None)

    def _set_group(self, name: str, **fields: object) -> None:
        with self.transaction():
            table = self._tables.table("groups")
            found = table.get(lambda doc: doc.get("name") == name)
            doc = {**(dict(found) if isinstance(found, dict) else {}), "name": name, **fields}
            table.remove(lambda doc: doc.get("name") == name)
            if any(doc.get(k) is not None for k in ("cadence_days", "max_days", "priority", "language")):
                table.insert({k: v for k, v in doc.items() if v is not None})
