"""The address books' table: per book, its sync-token, each card's link to a contact (with its
ETag and the fields the contact took from it), the cards gone since, and the last sync's outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from keepwarm.domain.booksync import CardFields, Link
from keepwarm.domain.model import parse_birthday
from keepwarm.domain.records import iso
from keepwarm.store.engine import Part


@dataclass(frozen=True)
class BookState:
    """What keepwarm keeps about one address book between syncs."""

    name: str
    token: str | None = None
    links: dict[str, Link] = field(default_factory=dict)
    gone: tuple[str, ...] = ()  # one line per card removed upstream, kept for status and check
    synced_at: datetime | None = None
    error: str | None = None


def _fields_doc(f: CardFields) -> dict[str, Any]:
    return {
        "name": f.name,
        "emails": list(f.emails),
        "group": f.group,
        "birthday": str(f.birthday) if f.birthday else None,
        "anniversary": str(f.anniversary) if f.anniversary else None,
        "cadence_days": f.cadence_days,
        "language": f.language,
    }


def _fields(doc: dict[str, Any]) -> CardFields:
    return CardFields(
        str(doc.get("name") or ""),
        tuple(doc.get("emails") or ()),
        doc.get("group"),
        parse_birthday(doc["birthday"]) if doc.get("birthday") else None,
        parse_birthday(doc["anniversary"]) if doc.get("anniversary") else None,
        doc.get("cadence_days"),
        doc.get("language"),  # absent in links kept before keepwarm read LANG
    )


class BooksPart(Part):
    """Table ``addressbooks``: one record per book, by name."""

    def book(self, name: str) -> BookState:
        """The book's state (empty before its first sync)."""
        for doc in self._tables.table("addressbooks").all():
            if doc.get("name") == name:
                return BookState(
                    name,
                    doc.get("token"),
                    {
                        h: Link(int(v["contact_id"]), str(v["etag"]), _fields(v["fields"]))
                        for h, v in doc.get("cards", {}).items()
                    },
                    tuple(doc.get("gone") or ()),
                    datetime.fromisoformat(doc["synced_at"]) if doc.get("synced_at") else None,
                    doc.get("error"),
                )
        return BookState(name)

    def books(self) -> list[BookState]:
        """Every book synced so far."""
        return [self.book(str(d["name"])) for d in self._tables.table("addressbooks").all()]

    def save(self, state: BookState) -> None:
        """Keep the book's state (replacing what was kept)."""
        doc = {
            "name": state.name,
            "token": state.token,
            "cards": {
                h: {"contact_id": k.contact_id, "etag": k.etag, "fields": _fields_doc(k.fields)}
                for h, k in state.links.items()
            },
            "gone": list(state.gone),
            "synced_at": iso(state.synced_at),
            "error": state.error,
        }
        self._put_named("addressbooks", doc)
