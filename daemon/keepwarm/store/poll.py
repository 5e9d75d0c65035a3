"""The poll's bookkeeping: which messages were read, how far each folder was synced, and the
running counts of what was skipped (for ``keepwarm status``).

The keys of the messages read are kept one record per batch (``{"keys": [...]}``): a backfill of
100,000 messages leaves 200 small records, not 100,000 (which cost 25 MB in memory); records of
one key each (``{"key": ...}``, schema 1) are read as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from keepwarm.errors import StoreError
from keepwarm.store.engine import Part

SEEN_SCHEMA = 2


def _seen(raw: dict[str, dict[str, Any]]) -> set[str]:
    """Every key the seen records hold (a damaged record is a StoreError naming it)."""
    found: set[str] = set()
    for doc_id, doc in raw.items():
        keys = doc.get("keys") if isinstance(doc, dict) else None
        if isinstance(keys, list):
            found.update(str(k) for k in keys)
        elif isinstance(doc, dict) and "key" in doc:
            found.add(str(doc["key"]))
        else:
            raise StoreError(f"record {doc_id} of table 'seen' is damaged: {doc!r:.80}")
    return found


class PollPart(Part):
    """Tables ``seen``, ``folders`` and ``counters``."""

    _seen: tuple[int, set[str]] | None = None

    def seen_keys(self) -> set[str]:
        """Keys of every message already processed (Message-ID, or a header hash)."""
        raw = self._tables.raw("seen")
        generation = self._tables.generation
        if self._seen is None or self._seen[0] != generation:
            self._seen = (generation, _seen(raw))
        return self._seen[1]

    def mark_seen(self, keys: Iterable[str]) -> None:
        """Remember processed messages, so no copy or replay of them counts again."""
        batch = list(keys)
        if batch:
            with self.transaction():
                self._tables.require_schema(SEEN_SCHEMA)
                seen = self.seen_keys()
                self._tables.append("seen", [{"keys": batch}])
                seen.update(batch)

    def folder_state(self, folder: str) -> tuple[int, int] | None:
        """(UIDVALIDITY, highest UID processed) of a folder, or None if never synced."""
        return self.folder_states().get(folder)

    def set_folder_state(self, folder: str, uidvalidity: int, last_uid: int) -> None:
        """Record how far a folder has been processed (in the same transaction as its touches)."""
        with self.transaction():
            table = self._tables.table("folders")
            table.remove(lambda d: d.get("name") == folder)
            table.insert({"name": folder, "uidvalidity": uidvalidity, "last_uid": last_uid})

    def folder_states(self) -> dict[str, tuple[int, int]]:
        """Every synced folder's (UIDVALIDITY, highest UID processed)."""
        return {
            str(d["name"]): (int(d["uidvalidity"]), int(d["last_uid"]))
            for d in self._tables.table("folders").all()
        }

    def add_counts(self, name: str, counts: dict[str, int]) -> None:
        """Add to a named set of running totals (skipped messages per reason, for status)."""
        if counts:
            with self.transaction():
                table = self._tables.table("counters")
                doc = table.get(lambda d: d.get("name") == name)
                totals = dict(doc["counts"]) if isinstance(doc, dict) else {}
                for key, value in counts.items():
                    totals[key] = int(totals.get(key, 0)) + value
                table.remove(lambda d: d.get("name") == name)
                table.insert({"name": name, "counts": totals})

    def counts(self, name: str) -> dict[str, int]:
        """A named set of running totals."""
        doc = self._tables.table("counters").get(lambda d: d.get("name") == name)
        return {str(k): int(v) for k, v in doc["counts"].items()} if isinstance(doc, dict) else {}
