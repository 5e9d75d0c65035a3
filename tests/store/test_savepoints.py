"""Nested transactions are savepoints; the outbox keeps small and is read by its pending rows only."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from keepwarm.domain.model import Contact, Direction, Touch
from keepwarm.domain.outbox import OutboxItem, OutboxKind, OutboxState
from keepwarm.errors import StoreError
from keepwarm.store import Store
from keepwarm.store.outbox import RETENTION
from keepwarm.store.repository import FILE_NAME

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class _RefusedError(Exception):
    """Raised inside a block to see what it leaves behind."""


def _contact(name: str, address: str) -> Contact:
    return Contact(name, (address,), NOW)


def test_a_nested_transaction_that_raises_rolls_back_only_its_own_writes(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with store.transaction():
        kept = store.add_contact(_contact("Kept", "kept@example.org"))
        store.add_touches([Touch("kept@example.org", NOW, Direction.OUT, message_id="m1")])
        with pytest.raises(_RefusedError), store.transaction():
            dropped = store.add_contact(_contact("Dropped", "dropped@example.org"))
            store.update_contact(kept.with_changes(cadence_days=7))
            store.add_touches([Touch("dropped@example.org", NOW, Direction.IN, message_id="m2")])
            store.mark_seen(["m2"])
            store.runs.note("last_poll", NOW)
            raise _RefusedError
        # Inside the outer transaction the savepoint's writes are already gone, caches included.
        assert [c.name for c in store.contacts()] == ["Kept"]
        assert store.get_contact(kept.id) == kept
        assert store.touch_keys() == {("m1", "kept@example.org", "out")}
        assert "m2" not in store.seen_keys()
        store.add_contact(_contact("After", "after@example.org"))

    reopened = Store(tmp_path)
    assert [c.name for c in reopened.contacts()] == ["Kept", "After"]
    assert dropped not in reopened.contacts()
    assert [t.message_id for t in reopened.touches()] == ["m1"]
    assert reopened.seen_keys() == set()
    assert "last_poll" not in reopened.runs.get()


def test_savepoints_nest_and_an_inner_failure_keeps_the_middle_ones_writes(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with store.transaction():
        with store.transaction():
            store.add_contact(_contact("Middle", "middle@example.org"))
            with pytest.raises(_RefusedError), store.transaction():
                store.add_contact(_contact("Inner", "inner@example.org"))
                raise _RefusedError
        with pytest.raises(_RefusedError), store.transaction():
            store.add_contact(_contact("Second", "second@example.org"))
            with store.transaction():  # succeeds, but its enclosing savepoint then fails
                store.add_contact(_contact("Deep", "deep@example.org"))
            raise _RefusedError
    assert [c.name for c in Store(tmp_path).contacts()] == ["Middle"]


def test_an_outer_failure_still_discards_everything(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.add_contact(_contact("Before", "before@example.org"))
    with pytest.raises(_RefusedError), store.transaction():
        with store.transaction():
            store.add_contact(_contact("Inner", "inner@example.org"))
        raise _RefusedError
    assert [c.name for c in Store(tmp_path).contacts()] == ["Before"]


def _queue(store: Store, kind: OutboxKind, at: datetime, state: OutboxState = OutboxState.PENDING) -> int:
    item = store.outbox.add(OutboxItem(0, kind, state, at, raw=f"Subject: {kind}\n\nhello\n"))
    return item.id


def test_sent_messages_drop_their_text_after_the_retention_and_keep_their_row(tmp_path: Path) -> None:
    assert timedelta(days=1) < RETENTION < timedelta(days=30)  # what the rows below stand either side of
    store = Store(tmp_path)
    old, recent = (_queue(store, OutboxKind.REMINDER, NOW - timedelta(days=d)) for d in (30, 1))
    for item_id, days in ((old, 30), (recent, 1)):
        item = store.outbox.get(item_id)
        assert item is not None
        sent = NOW - timedelta(days=days)
        store.outbox.update(item.with_changes(state=OutboxState.SENT, sent_at=sent))
    waiting = _queue(store, OutboxKind.CONFIRMATION, NOW - timedelta(days=40))

    assert store.outbox.prune(NOW) == 1
    assert store.outbox.prune(NOW) == 0
    rows = {i.id: i for i in Store(tmp_path).outbox.items()}
    assert rows[old].raw == "" and rows[old].kind is OutboxKind.REMINDER and rows[old].sent_at is not None
    assert rows[recent].raw and rows[waiting].raw  # recent, or never sent: kept whole


def test_delivery_reads_the_pending_rows_only(tmp_path: Path) -> None:
    store = Store(tmp_path)
    pending = _queue(store, OutboxKind.REMINDER, NOW)
    _queue(store, OutboxKind.DIGEST, NOW, OutboxState.SENT)
    path = tmp_path / FILE_NAME
    data = json.loads(path.read_text())
    data["outbox"]["2"]["created_at"] = "not a time"  # a damaged sent row, never decoded for delivery
    path.write_text(json.dumps(data))

    reopened = Store(tmp_path)
    assert [i.id for i in reopened.outbox.sendable(NOW)] == [pending]
    assert reopened.outbox.count({OutboxKind.REMINDER}, NOW) == 1
    with pytest.raises(StoreError, match="record 2 of table 'outbox' is damaged"):
        reopened.outbox.items()


def test_a_digest_is_stored_as_a_digest(tmp_path: Path) -> None:
    store = Store(tmp_path)
    _queue(store, OutboxKind.DIGEST, NOW)
    assert json.loads((tmp_path / FILE_NAME).read_text())["outbox"]["1"]["kind"] == "digest"
    assert [i.kind for i in Store(tmp_path).outbox.items({OutboxKind.DIGEST})] == [OutboxKind.DIGEST]
