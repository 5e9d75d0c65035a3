"""The touches table, with indexes, so the store stays fast at scale.

A store holding 200,000 touches must not re-read or re-encode all of them for every poll. Indexes
(latest touch per address, touches per address, touch keys) are built once per load straight from
the stored records, then kept up to date as records are added. The table is append-only (only
undo removes touches), so its records' JSON lines are cached between saves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from keepwarm.domain.ingest import TouchKey, touch_key
from keepwarm.domain.model import Direction, Touch
from keepwarm.domain.records import doc_to_touch, touch_to_doc
from keepwarm.errors import StoreError
from keepwarm.store.engine import Part


def _key(doc: dict[str, Any]) -> TouchKey:
    return (str(doc.get("message_id") or ""), str(doc["address"]), str(doc["direction"]))


@dataclass
class TouchIndex:
    """Derived from the touches table: what polls and due lists ask for, without a full scan."""

    keys: set[TouchKey] = field(default_factory=set)
    by_address: dict[str, list[str]] = field(default_factory=dict)
    latest: dict[str, tuple[datetime, str]] = field(default_factory=dict)
    # The latest touch that is not mail from them: the owner's mail, or a touch she logged.
    latest_own: dict[str, tuple[datetime, str]] = field(default_factory=dict)

    def add(self, doc_id: str, doc: dict[str, Any]) -> None:
        """Take one stored record into the index."""
        at = datetime.fromisoformat(doc["at"])
        self._take(doc_id, _key(doc), str(doc["address"]), at, incoming=doc["direction"] == "in")

    def add_touch(self, doc_id: str, touch: Touch) -> None:
        """Take a touch just recorded as ``doc_id`` into the index (its record need not be read)."""
        incoming = touch.direction is Direction.IN
        self._take(doc_id, touch_key(touch), touch.address, touch.at, incoming=incoming)

    def _take(self, doc_id: str, key: TouchKey, address: str, at: datetime, *, incoming: bool) -> None:
        self.keys.add(key)
        self.by_address.setdefault(address, []).append(doc_id)
        for latest in (self.latest,) if incoming else (self.latest, self.latest_own):
            current = latest.get(address)
            if current is None or at > current[0]:
                latest[address] = (at, doc_id)

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


class TouchesPart(Part):
    """Table ``touches``: every touch, keyed by address, with its index."""

    _touch_index: tuple[int, TouchIndex] | None = None

    def _index(self) -> TouchIndex:
        raw = self._tables.raw("touches")
        generation = self._tables.generation
        if self._touch_index is None or self._touch_index[0] != generation:
            self._touch_index = (generation, TouchIndex.build(raw))
        return self._touch_index[1]

    def _decode(self, doc_id: str, doc: dict[str, Any]) -> Touch:
        return self._tables.decode(lambda: doc_to_touch(int(doc_id), doc))

    def add_touches(self, touches: Iterable[Touch]) -> int:
        """Record touches in one batch; returns how many were added."""
        batch = list(touches)
        if batch:
            with self.transaction():
                index = self._index()
                ids = self._tables.append("touches", [touch_to_doc(t) for t in batch])
                for doc_id, touch in zip(ids, batch, strict=True):
                    index.add_touch(doc_id, touch)
        return len(batch)

    def remove_touches(self, message_ids: Iterable[str], source: str | None = None) -> int:
        """Delete the touches recorded under these message keys (for undo, or a meeting gone from
        its calendar: only those of that ``source``); returns how many."""
        wanted = set(message_ids)
        if not wanted:
            return 0
        with self.transaction():
            removed = self._tables.table("touches").remove(
                lambda d: d.get("message_id") in wanted and (source is None or d.get("source") == source)
            )
            self._tables.uncache("touches")
            self._touch_index = None
        return len(removed)

    def touch_keys(self) -> set[TouchKey]:
        """(message key, address, direction) of every touch: what makes a touch a duplicate."""
        return self._index().keys

    def touches(self) -> list[Touch]:
        """Every touch, in the order recorded."""
        return [self._decode(i, d) for i, d in self._tables.raw("touches").items()]

    def touches_for(self, addresses: Iterable[str]) -> list[Touch]:
        """Every touch with any of these addresses, oldest first."""
        index = self._index()
        raw = self._tables.raw("touches")
        found = [self._decode(i, raw[i]) for a in set(addresses) for i in index.by_address.get(a, [])]
        return sorted(found, key=lambda t: t.at)

    def last_touch_by_address(self, *, own: bool = False) -> dict[str, Touch]:
        """The latest touch per address; with ``own``, the latest that is not mail from them."""
        index = self._index()
        raw = self._tables.raw("touches")
        latest = index.latest_own if own else index.latest
        return {a: self._decode(i, raw[i]) for a, (_, i) in latest.items()}


__all__ = ["TouchIndex", "TouchesPart", "touch_key"]
