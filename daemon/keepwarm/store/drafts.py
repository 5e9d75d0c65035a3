"""keepwarm's drafts in the owner's Drafts folder (SAVE_DRAFTS): table ``drafts``, one record each."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from keepwarm.domain.drafts import DraftRecord, DraftState
from keepwarm.domain.records import iso
from keepwarm.errors import StoreError
from keepwarm.store.engine import Part

_TABLE = "drafts"


def _doc(record: DraftRecord) -> dict[str, Any]:
    return {
        "contact_id": record.contact_id,
        "outbox_id": record.outbox_id,
        "message_id": record.message_id,
        "raw": record.raw,
        "created_at": iso(record.created_at),
        "state": record.state.value,
        "folder": record.folder,
        "uidvalidity": record.uidvalidity,
        "uid": record.uid,
    }


class DraftsPart(Part):
    """Which draft (folder, UIDVALIDITY, UID, Message-ID) belongs to which contact."""

    def add(self, record: DraftRecord) -> DraftRecord:
        """Keep a new draft's record (before anything reaches the server)."""
        with self.transaction():
            doc_id = self._tables.table(_TABLE).insert(_doc(record))
        return DraftRecord(**{**record.__dict__, "id": doc_id})

    def update(self, record: DraftRecord) -> None:
        """Save a record's new state."""
        with self.transaction():
            self._tables.table(_TABLE).update(_doc(record), doc_ids=[record.id])

    def forget(self, record_id: int) -> None:
        """Drop a record: its draft is gone from the folder, or never reached it."""
        with self.transaction():
            table = self._tables.table(_TABLE)
            if table.contains(doc_id=record_id):
                table.remove(doc_ids=[record_id])

    def all(self) -> list[DraftRecord]:
        """Every record, oldest first."""
        found = []
        for doc in self._tables.table(_TABLE).all():
            try:
                found.append(
                    DraftRecord(
                        doc.doc_id,
                        int(doc["contact_id"]),
                        int(doc["outbox_id"]),
                        str(doc["message_id"]),
                        str(doc["raw"]),
                        datetime.fromisoformat(doc["created_at"]),
                        DraftState(doc["state"]),
                        doc.get("folder"),
                        doc.get("uidvalidity"),
                        doc.get("uid"),
                    )
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise StoreError(f"record {doc.doc_id} of table '{_TABLE}' is damaged: {exc!r}") from exc
        return sorted(found, key=lambda r: r.id)
