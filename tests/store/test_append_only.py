"""The append-only tables (touches, seen) at scale: a savepoint notes only how many records they
had, a save copies the records already in the file rather than keeping them encoded in memory,
and every way of changing them still leaves exactly the file a fresh encoding would."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from keepwarm.domain.model import Contact, Direction, Touch
from keepwarm.errors import StoreError, StoreWriteError
from keepwarm.store import Store, atomic
from keepwarm.store.repository import FILE_NAME, SCHEMA_VERSION

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


class _RefusedError(Exception):
    """Raised inside a block to see what it leaves behind."""


def _touch(n: int) -> Touch:
    return Touch(f"p{n}@example.org", NOW + timedelta(minutes=n), Direction.IN, message_id=f"m{n}")


def _ids(store: Store) -> list[str | None]:
    return [t.message_id for t in store.touches()]


def _file_is_fresh(path: Path) -> None:
    text = (path / FILE_NAME).read_text()
    assert text == atomic.dump_tables(json.loads(text))


def test_savepoints_that_only_append_roll_back_what_they_added(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.add_touches([_touch(0)])
    with store.transaction():
        store.add_touches([_touch(1)])
        with store.transaction():
            store.add_touches([_touch(2)])
            store.mark_seen(["k2"])
            with pytest.raises(_RefusedError), store.transaction():
                store.add_touches([_touch(3)])
                store.mark_seen(["k3"])
                raise _RefusedError
            assert _ids(store) == ["m0", "m1", "m2"]
        with pytest.raises(_RefusedError), store.transaction():
            store.add_touches([_touch(4)])
            with store.transaction():  # succeeds, but its enclosing savepoint then fails
                store.add_touches([_touch(5)])
            raise _RefusedError
        store.add_touches([_touch(6)])
    assert _ids(Store(tmp_path)) == ["m0", "m1", "m2", "m6"]
    assert Store(tmp_path).seen_keys() == {"k2"}
    assert store.touch_keys() == Store(tmp_path).touch_keys()
    _file_is_fresh(tmp_path)


def test_a_removal_after_appends_in_a_savepoint_rolls_back_exactly(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.add_touches([_touch(0), _touch(1)])
    with store.transaction():
        with pytest.raises(_RefusedError), store.transaction():
            store.add_touches([_touch(2)])
            with store.transaction():
                store.add_touches([_touch(3)])
                assert store.remove_touches(["m1", "m3"]) == 2  # as undo does
            store.add_touches([_touch(4)])
            raise _RefusedError
        assert _ids(store) == ["m0", "m1"]
        with store.transaction():
            store.add_touches([_touch(5)])
            store.remove_touches(["m0"])
        store.add_touches([_touch(6)])
    assert _ids(Store(tmp_path)) == ["m1", "m5", "m6"]
    _file_is_fresh(tmp_path)


def test_a_save_copies_the_records_already_in_the_file(tmp_path: Path) -> None:
    store = Store(tmp_path)
    for batch in range(3):
        store.add_touches(_touch(batch * 10 + i) for i in range(10))
        store.mark_seen([f"k{batch}"])
        _file_is_fresh(tmp_path)
    # What the next save will copy is the file's own text of every record, kept as a place in it.
    cached = store._tables._storage.lines["touches"]
    count, last_id, span = cached
    assert isinstance(span, atomic.Span)
    data = (tmp_path / FILE_NAME).read_bytes()[span.offset : span.offset + span.length]
    assert json.loads(b"{" + data + b"}") == store._tables.raw("touches")
    assert (count, last_id) == (30, "30")


def test_another_writer_between_saves_is_never_copied_over(tmp_path: Path) -> None:
    store, other = Store(tmp_path), Store(tmp_path)
    store.add_touches([_touch(0), _touch(1)])
    other.add_touches([_touch(2)])
    other.mark_seen(["from-other"])
    store.add_touches([_touch(3)])
    assert _ids(Store(tmp_path)) == ["m0", "m1", "m2", "m3"]
    assert Store(tmp_path).seen_keys() == {"from-other"}
    _file_is_fresh(tmp_path)


def test_a_failed_save_leaves_the_next_one_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path)
    store.add_touches([_touch(0)])
    real = atomic.write_atomically

    def full_disk(path: Path, text: str | list[atomic.Piece]) -> None:
        raise StoreWriteError("disk full")

    monkeypatch.setattr(atomic, "write_atomically", full_disk)
    with pytest.raises(StoreWriteError):
        store.add_touches([_touch(1)])
    monkeypatch.setattr(atomic, "write_atomically", real)
    store.add_touches([_touch(2)])
    assert _ids(Store(tmp_path)) == ["m0", "m2"]
    _file_is_fresh(tmp_path)


def test_seen_keys_are_kept_one_record_per_batch(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.mark_seen([f"k{i}" for i in range(500)])
    store.mark_seen(["one"])
    data = json.loads((tmp_path / FILE_NAME).read_text())
    assert list(data["seen"].values()) == [{"keys": [f"k{i}" for i in range(500)]}, {"keys": ["one"]}]
    assert data["meta"]["1"]["schema"] == SCHEMA_VERSION
    assert Store(tmp_path).seen_keys() == {f"k{i}" for i in range(500)} | {"one"}


def test_a_schema_1_store_keeps_its_seen_keys_and_is_marked_2_by_its_next_batch(tmp_path: Path) -> None:
    old: dict[str, dict[str, Any]] = {
        "meta": {"1": {"app": "keepwarm", "schema": 1}},
        "seen": {"1": {"key": "a"}, "2": {"key": "b"}},
    }
    (tmp_path / FILE_NAME).write_text(atomic.dump_tables(old))
    store = Store(tmp_path)
    assert store.seen_keys() == {"a", "b"}
    store.add_touches([_touch(0)])  # nothing of schema 2 written yet
    assert json.loads((tmp_path / FILE_NAME).read_text())["meta"]["1"]["schema"] == 1
    store.mark_seen(["c"])
    data = json.loads((tmp_path / FILE_NAME).read_text())
    assert data["meta"]["1"]["schema"] == 2
    assert list(data["seen"].values()) == [{"key": "a"}, {"key": "b"}, {"keys": ["c"]}]
    assert Store(tmp_path).seen_keys() == {"a", "b", "c"}


def test_a_damaged_seen_record_is_named(tmp_path: Path) -> None:
    damaged: dict[str, dict[str, Any]] = {
        "meta": {"1": {"app": "keepwarm", "schema": 2}},
        "seen": {"7": {"kes": ["a"]}},
    }
    (tmp_path / FILE_NAME).write_text(atomic.dump_tables(damaged))
    with pytest.raises(StoreError, match="record 7 of table 'seen' is damaged"):
        Store(tmp_path).seen_keys()


def test_the_first_save_after_opening_copies_what_the_file_holds(tmp_path: Path) -> None:
    Store(tmp_path).add_touches(_touch(i) for i in range(20))
    Store(tmp_path).mark_seen(["a", "b"])
    store = Store(tmp_path)
    lines = store._tables._storage.lines
    assert lines["touches"][:2] == (20, "20") and lines["seen"][:2] == (1, "1")
    store.add_touches([_touch(20)])
    _file_is_fresh(tmp_path)
    assert _ids(Store(tmp_path)) == [f"m{i}" for i in range(21)]


@pytest.mark.parametrize("layout", [{"indent": 1}, {"indent": None}, {"indent": 3}])
def test_a_file_laid_out_by_hand_is_encoded_afresh(tmp_path: Path, layout: dict[str, Any]) -> None:
    Store(tmp_path).add_touches(_touch(i) for i in range(3))
    data = json.loads((tmp_path / FILE_NAME).read_text())
    (tmp_path / FILE_NAME).write_text(json.dumps(data, **layout))
    store = Store(tmp_path)
    assert "touches" not in store._tables._storage.lines
    store.add_touches([_touch(3)])
    _file_is_fresh(tmp_path)
    assert _ids(Store(tmp_path)) == ["m0", "m1", "m2", "m3"]


def test_the_contacts_encodings_outlive_a_save(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.add_contact(Contact("Alice", ("alice@example.org",), NOW))
    store.add_touches([_touch(0)])
    assert set(store._tables._storage.lines["contacts"]) == {"1"}  # kept: not encoded again
    _file_is_fresh(tmp_path)
