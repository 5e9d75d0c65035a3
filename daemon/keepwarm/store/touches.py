"""The big tables — touches and seen messages — with indexes, so the store stays fast at scale.

A store holding 200,000 touches must not re-read or re-encode all of them for every poll. Indexes
(latest touch per address, touches per address, touch keys, seen keys) are built once per load
straight from the stored records, then kept up to date as records are added. The two tables are
append-only (only undo removes touches), so their records' JSON lines are cached between saves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from keepwarm.domain.ingest import TouchKey, touch_key
from keepwarm.domain.model import Contact, Touch
from keepwarm.errors import StoreError
from keepwarm.store.codec import doc_to_touch, touch_to_doc


def _key(doc: dict[str, Any]) -> TouchKey:
    return (str(doc.get("message_id") or ""), str(doc["address"]), str(doc["direction"]))


@dataclass
class TouchIndex:
    """Derived from the touches table: what polls and due lists ask for, without a full scan."""

    keys: set[TouchKey] = field(default_factory=set)
    by_address: dict[str, list[str]] = field(default_factory=dict)
    latest: dict[str, tuple[datetime, str]] = field(default_factory=dict)

    def add(self, doc_id: str, doc: dict[str, Any]) -> None:
        """Take one record into the index."""
        address = str(doc["address"])
        self.keys.add(_key(doc))
        self.by_address.setdefault(address, []).append(doc_id)
        at = datetime.fromisoformat(doc["at"])
        current = self.latest.get(address)
        if current is None or at > current[0]:
            self.latest[address] = (at, doc_id)

    @classmethod
    def build(cls, docs: dict[str, dict[str, Any]]) -> TouchIndex:
        """Index every stored touch (a damaged record is a StoreError naming it)."""
        index = cls()
        for doc_id, doc in docs.items():
            try:
                index.add(doc_id, doc)
            except (KeyError, TypeError, ValueError) as exc:
                raise StoreError(f"record {doc_id} of table 'touches' is damaged: {exc!r}") from exc
        return index


class TouchesMixin:
    """Touches, seen message keys, folder sync state and running counts, for the Store."""

    _touch_index: TouchIndex | None = None
    _seen: set[str] | None = None

    def _append(self: Any, table: str, docs: list[dict[str, Any]]) -> list[str]:
        """Add records to an append-only table; returns their ids.

        Straight into the table TinyDB keeps: its own insert rebuilds the whole table on every
        call, which for 200,000 touches was most of the time a poll took.
        """
        raw = self._storage.data.setdefault(table, {})
        next_id = self._next_ids.get(table) or max((int(i) for i in raw), default=0) + 1
        ids = [str(n) for n in range(next_id, next_id + len(docs))]
        raw.update(zip(ids, docs, strict=True))
        self._next_ids[table] = next_id + len(docs)
        self._storage.dirty = True
        return ids

    def _forget_indexes(self) -> None:
        self._touch_index = None
        self._seen = None
        self._contacts: list[Contact] | None = None
        self._next_ids: dict[str, int] = {}

    def _index(self: Any) -> TouchIndex:
        if not self._in_transaction:
            self._refresh()
        if self._touch_index is None:
            self._touch_index = TouchIndex.build(self._raw("touches"))
        index: TouchIndex = self._touch_index
        return index

    # -- touches -------------------------------------------------------------------------------

    def add_touches(self: Any, touches: Iterable[Touch]) -> int:
        """Record touches in one batch; returns how many were added."""
        batch = list(touches)
        if batch:
            with self.transaction():
                index = self._index()
                docs = [touch_to_doc(t) for t in batch]
                for doc_id, doc in zip(self._append("touches", docs), docs, strict=True):
                    index.add(doc_id, doc)
        return len(batch)

    def remove_touches(self: Any, message_ids: Iterable[str]) -> int:
        """Delete the touches recorded under these message keys (for undo); returns how many."""
        wanted = set(message_ids)
        with self.transaction():
            removed = self._table("touches").remove(lambda d: d.get("message_id") in wanted)
            self._uncache("touches")
            self._touch_index = None
        return len(removed)

    def touch_keys(self: Any) -> set[TouchKey]:
        """(message key, address, direction) of every touch: what makes a touch a duplicate."""
        keys: set[TouchKey] = self._index().keys
        return keys

    def touches(self: Any) -> list[Touch]:
        """Every touch, in the order recorded."""
        return [doc_to_touch(int(i), d) for i, d in self._raw("touches").items()]

    def touches_for(self: Any, addresses: Iterable[str]) -> list[Touch]:
        """Every touch with any of these addresses, oldest first."""
        index: TouchIndex = self._index()
        raw = self._raw("touches")
        found = [doc_to_touch(int(i), raw[i]) for a in set(addresses) for i in index.by_address.get(a, [])]
        return sorted(found, key=lambda t: t.at)

    def last_touch_by_address(self: Any) -> dict[str, Touch]:
        """The latest touch per address."""
        index: TouchIndex = self._index()
        raw = self._raw("touches")
        return {a: doc_to_touch(int(i), raw[i]) for a, (_, i) in index.latest.items()}

    def count(self: Any, table: str) -> int:
        """Number of records in a table."""
        if not self._in_transaction:
            self._refresh()
        return len(self._raw(table))

    # -- mail sync -----------------------------------------------------------------------------

    def seen_keys(self: Any) -> set[str]:
        """Keys of every message already processed (Message-ID, or a header hash)."""
        if not self._in_transaction:
            self._refresh()
        if self._seen is None:
            self._seen = {str(d["key"]) for d in self._raw("seen").values()}
        seen: set[str] = self._seen
        return seen

    def mark_seen(self: Any, keys: Iterable[str]) -> None:
        """Remember processed messages, so no copy or replay of them counts again."""
        batch = list(keys)
        if batch:
            with self.transaction():
                seen = self.seen_keys()
                self._append("seen", [{"key": k} for k in batch])
                seen.update(batch)

    def folder_state(self: Any, folder: str) -> tuple[int, int] | None:
        """(UIDVALIDITY, highest UID processed) of a folder, or None if never synced."""
        return self.folder_states().get(folder)  # type: ignore[no-any-return]

    def set_folder_state(self: Any, folder: str, uidvalidity: int, last_uid: int) -> None:
        """Record how far a folder has been processed (in the same transaction as its touches)."""
        with self.transaction():
            table = self._table("folders")
            table.remove(lambda d: d.get("name") == folder)
            table.insert({"name": folder, "uidvalidity": uidvalidity, "last_uid": last_uid})

    def folder_states(self: Any) -> dict[str, tuple[int, int]]:
        """Every synced folder's (UIDVALIDITY, highest UID processed)."""
        return {
            str(d["name"]): (int(d["uidvalidity"]), int(d["last_uid"])) for d in self._table("folders").all()
        }

    def add_counts(self: Any, name: str, counts: dict[str, int]) -> None:
        """Add to a named set of running totals (skipped messages per reason, for status)."""
        if counts:
            with self.transaction():
                table = self._table("counters")
                doc = table.get(lambda d: d.get("name") == name)
                totals = dict(doc["counts"]) if isinstance(doc, dict) else {}
                for key, value in counts.items():
                    totals[key] = int(totals.get(key, 0)) + value
                table.remove(lambda d: d.get("name") == name)
                table.insert({"name": name, "counts": totals})

    def counts(self: Any, name: str) -> dict[str, int]:
        """A named set of running totals."""
        doc = self._table("counters").get(lambda d: d.get("name") == name)
        return {str(k): int(v) for k, v in doc["counts"].items()} if isinstance(doc, dict) else {}


__all__ = ["TouchIndex", "TouchesMixin", "touch_key"]
