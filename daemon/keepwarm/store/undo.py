"""Undo: each change a command message made, kept as the records it replaced, so that ``undo``
can put them back exactly, whatever the command was (add, log, news, an opener, a thank-you, a
cadence…).

A change is recorded by comparing the watched tables before and after it: every record that
differs is kept as it was (or as absent, for a new one), with the keys of the touches the change
logged. Undoing it restores those records, removes those touches, and marks the change undone
(undo is not itself undone). A change is refused when a later one, not undone, touched the same
records: undo that one first.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tinydb.table import Document

from keepwarm.domain.records import iso
from keepwarm.store.engine import Part

# The tables a command changes record by record (touches are append-only: kept by key instead).
WATCHED = ("contacts", "groups", "openers", "news", "thanks", "dated")
Snapshot = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Change:
    """What one command message changed: each record as it was before (None: it did not exist)."""

    id: int
    key: str
    at: datetime
    contacts: tuple[int, ...]
    before: dict[str, dict[str, Any]]
    touch_keys: tuple[str, ...]
    undone: bool = False

    def records(self) -> set[tuple[str, str]]:
        """(table, record id) of everything the change touched."""
        return {(table, doc_id) for table, docs in self.before.items() for doc_id in docs}


def _change(doc_id: int, doc: dict[str, Any]) -> Change:
    return Change(
        id=doc_id,
        key=str(doc["key"]),
        at=datetime.fromisoformat(doc["at"]),
        contacts=tuple(int(c) for c in doc.get("contacts", [])),
        before={str(t): dict(docs) for t, docs in doc.get("before", {}).items()},
        touch_keys=tuple(str(k) for k in doc.get("touch_keys", [])),
        undone=bool(doc.get("undone_at")),
    )


class UndoPart(Part):
    """Table ``changes``."""

    def snapshot(self) -> Snapshot:
        """The watched tables as they are now (taken before a change)."""
        return {name: copy.deepcopy(self._tables.raw(name)) for name in WATCHED}

    def record(
        self, key: str, at: datetime, before: Snapshot, contacts: Collection[int], touch_keys: Sequence[str]
    ) -> int | None:
        """Keep what changed since ``before``; None when nothing did."""
        diff: dict[str, dict[str, Any]] = {}
        for name in WATCHED:
            old, new = before.get(name, {}), self._tables.raw(name)
            changed = {i: old.get(i) for i in set(old) | set(new) if old.get(i) != new.get(i)}
            if changed:
                diff[name] = changed
        if not diff and not touch_keys:
            return None
        doc = {
            "key": key,
            "at": iso(at),
            "contacts": sorted(set(contacts)),
            "before": diff,
            "touch_keys": list(touch_keys),
            "undone_at": None,
        }
        with self.transaction():
            return int(self._tables.table("changes").insert(doc))

    def get(self, change_id: int) -> Change | None:
        """One change by id."""
        doc = self._tables.raw("changes").get(str(change_id))
        return None if doc is None else self._tables.decode(lambda: _change(change_id, doc))

    def changes(self) -> list[Change]:
        """Every change, oldest first."""
        raw = self._tables.raw("changes")
        return self._tables.decode(lambda: [_change(int(i), d) for i, d in raw.items()])

    def latest_for(self, contact_id: int) -> Change | None:
        """The most recent change about a contact that is not undone."""
        return next((c for c in reversed(self.changes()) if contact_id in c.contacts and not c.undone), None)

    def blocking(self, change: Change) -> list[Change]:
        """Later changes, not undone, that touched the same records (they must be undone first)."""
        mine = change.records()
        return [c for c in self.changes() if c.id > change.id and not c.undone and c.records() & mine]

    def revert(self, change: Change, at: datetime) -> None:
        """Put back every record as it was and mark the change undone (its touches are the
        touches part's to remove, in the same transaction)."""
        with self.transaction():
            for name, docs in change.before.items():
                table = self._tables.table(name)
                for doc_id, doc in docs.items():
                    if table.contains(doc_id=int(doc_id)):
                        table.remove(doc_ids=[int(doc_id)])
                    if doc is not None:
                        table.insert(Document(copy.deepcopy(doc), doc_id=int(doc_id)))
                self._tables.uncache(name)
            self._tables.forget_caches()
            self._tables.table("changes").update({"undone_at": iso(at)}, doc_ids=[change.id])
