"""The outbox table: every message keepwarm owes the owner, written before it is sent.

An outbox row is written before its message is sent and marked sent after the server accepts it,
so a crash in between sends it again (at most one duplicate) and never loses it. Sent rows drop
their raw message after ``RETENTION``: the row (kind, subject, token, times) stays, small.
Delivery reads only the pending rows; nothing decodes every row ever written at every poll.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from keepwarm.domain.outbox import OutboxItem, OutboxKind, OutboxState
from keepwarm.domain.records import RecordError, iso
from keepwarm.store.engine import Part

# Long enough to look at what was sent last week; a reminder is answered by its token, not its text.
RETENTION = timedelta(days=14)


def _time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _item(doc_id: int, doc: dict[str, Any]) -> OutboxItem:
    try:
        created = _time(doc["created_at"])
        assert created is not None
        return OutboxItem(
            id=doc_id,
            kind=OutboxKind(doc["kind"]),
            state=OutboxState(doc["state"]),
            created_at=created,
            raw=str(doc.get("raw") or ""),
            subject=str(doc.get("subject", "")),
            token=str(doc.get("token", "")),
            attempts=int(doc.get("attempts", 0)),
            next_attempt_at=_time(doc.get("next_attempt_at")),
            last_error=doc.get("last_error"),
            sent_at=_time(doc.get("sent_at")),
            attempted_at=_time(doc.get("attempted_at")),
            about=tuple((int(n), int(c)) for n, c in (doc.get("about") or {}).items()),
            change=None if doc.get("change") is None else int(doc["change"]),
            quote=tuple(str(line) for line in doc.get("quote") or ()),
        )
    except (KeyError, TypeError, ValueError, AssertionError) as exc:
        raise RecordError(f"record {doc_id} of table 'outbox' is damaged: {exc!r}") from exc


def _doc(item: OutboxItem) -> dict[str, Any]:
    return {
        "kind": item.kind.value,
        "state": item.state.value,
        "created_at": iso(item.created_at),
        "raw": item.raw,
        "subject": item.subject,
        "token": item.token,
        "attempts": item.attempts,
        "next_attempt_at": iso(item.next_attempt_at),
        "last_error": item.last_error,
        "sent_at": iso(item.sent_at),
        "attempted_at": iso(item.attempted_at),
        "about": {str(n): c for n, c in item.about},
        "change": item.change,
        "quote": list(item.quote),
    }


class OutboxPart(Part):
    """Table ``outbox``."""

    def _decode(self, doc_id: int, doc: dict[str, Any]) -> OutboxItem:
        return self._tables.decode(lambda: _item(doc_id, doc))

    def add(self, item: OutboxItem) -> OutboxItem:
        """Queue a message; returns it with its id."""
        with self.transaction():
            doc_id = self._tables.table("outbox").insert(_doc(item))
        return item.with_changes(id=doc_id)

    def update(self, item: OutboxItem) -> None:
        """Save a changed outbox row."""
        with self.transaction():
            self._tables.table("outbox").update(_doc(item), doc_ids=[item.id])

    def items(self, kinds: Collection[OutboxKind] | None = None) -> list[OutboxItem]:
        """Every outbox row (of these kinds), oldest first."""
        wanted = None if kinds is None else {k.value for k in kinds}
        return [
            self._decode(int(i), d)
            for i, d in self._tables.raw("outbox").items()
            if wanted is None or d.get("kind") in wanted
        ]

    def get(self, item_id: int) -> OutboxItem | None:
        """One outbox row."""
        doc = self._tables.raw("outbox").get(str(item_id))
        return None if doc is None else self._decode(item_id, doc)

    def pending(self) -> list[OutboxItem]:
        """Messages not sent yet (nor given up on), oldest first; only their rows are decoded."""
        return [
            self._decode(int(i), d)
            for i, d in self._tables.raw("outbox").items()
            if d.get("state") == OutboxState.PENDING.value
        ]

    def sendable(self, now: datetime) -> list[OutboxItem]:
        """Pending messages whose next attempt is due."""
        return [item for item in self.pending() if item.sendable(now)]

    def count(self, kinds: Collection[OutboxKind], since: datetime) -> int:
        """How many messages of these kinds were queued at or after ``since`` (not counting those
        held back)."""
        wanted = {k.value for k in kinds}
        return sum(
            1
            for d in self._tables.raw("outbox").values()
            if d.get("kind") in wanted
            and d.get("state") != OutboxState.HELD.value
            and datetime.fromisoformat(d["created_at"]) >= since
        )

    def held(self) -> list[OutboxItem]:
        """Answers held back by the hourly cap, oldest first."""
        return [
            self._decode(int(i), d)
            for i, d in self._tables.raw("outbox").items()
            if d.get("state") == OutboxState.HELD.value
        ]

    def prune(self, now: datetime, keep: timedelta = RETENTION) -> int:
        """Drop the raw message of rows sent more than ``keep`` ago; returns how many."""
        old = [
            int(i)
            for i, d in self._tables.raw("outbox").items()
            if d.get("raw") and d.get("sent_at") and datetime.fromisoformat(d["sent_at"]) < now - keep
        ]
        if old:
            with self.transaction():
                self._tables.table("outbox").update({"raw": ""}, doc_ids=old)
        return len(old)
