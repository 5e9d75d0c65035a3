"""The store: round trips, all-or-nothing batches, one rewrite per batch, locking and bad files."""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import os
import secrets
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from keepwarm.domain.model import Birthday, Channel, Contact, Direction, Note, Priority, Touch, YearlyDate
from keepwarm.errors import StoreBusyError, StoreError
from keepwarm.store import Store, atomic
from keepwarm.store.repository import FILE_NAME, SCHEMA_VERSION

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def _alice(**changes: object) -> Contact:
    base = Contact(name="Alice Example", emails=("alice@example.org",), added_at=NOW)
    return base.with_changes(**changes)


def test_clearing_a_field_written_only_when_set_clears_it(tmp_path: Path) -> None:
    store = Store(tmp_path)
    full = _alice(
        max_days=42,
        priority=Priority.HIGH,
        language="de",
        dates=(YearlyDate("anniversary", Birthday(6, 12)),),
    )
    alice = store.add_contact(full)

    cleared = alice.with_changes(max_days=None, priority=None, language=None, dates=())
    store.update_contact(cleared)

    assert Store(tmp_path).contacts() == [cleared]


def test_contact_and_touch_round_trip(tmp_path: Path) -> None:
    contact = _alice(
        emails=("alice@example.org", "alice@work.example"),
        group="friends",
        cadence_days=21,
        notes=(Note(NOW, "loves trains"),),
        paused=True,
        snoozed_until=NOW + timedelta(days=3),
        birthday=Birthday(5, 17),
    )
    touch = Touch(
        "alice@example.org", NOW, Direction.OUT, Channel.EMAIL, "Trip photos", "<m1@x>", "imap:Sent"
    )
    store = Store(tmp_path)
    saved = store.add_contact(contact)
    store.add_touches([touch])

    reopened = Store(tmp_path)
    assert reopened.get_contact(saved.id) == saved
    assert saved.id > 0
    assert reopened.touches_for(["alice@work.example", "alice@example.org"]) == [touch]
    assert reopened.last_touch_by_address() == {"alice@example.org": touch}


def test_file_is_readable_json_with_schema_and_private_mode(tmp_path: Path) -> None:
    Store(tmp_path).add_contact(_alice())
    path = tmp_path / FILE_NAME
    data = json.loads(path.read_text())
    assert data["meta"]["1"] == {"app": "keepwarm", "schema": SCHEMA_VERSION}
    assert data["contacts"]["1"]["emails"] == ["alice@example.org"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_failed_batch_changes_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.add_contact(_alice())
    before = (tmp_path / FILE_NAME).read_bytes()
    with pytest.raises(RuntimeError), store.transaction():
        store.add_contact(_alice(name="Bob", emails=("bob@example.org",)))
        store.add_touches([Touch("bob@example.org", NOW, Direction.IN)])
        raise RuntimeError("boom")
    assert (tmp_path / FILE_NAME).read_bytes() == before
    assert [c.name for c in store.contacts()] == ["Alice Example"]
    assert store.touches_for(["bob@example.org"]) == []


def test_one_file_rewrite_per_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writes: list[Path] = []
    real = atomic.write_atomically

    def counting(path: Path, text: str) -> None:
        writes.append(path)
        real(path, text)

    monkeypatch.setattr(atomic, "write_atomically", counting)
    store = Store(tmp_path)
    with store.transaction():
        for i in range(50):
            store.add_contact(_alice(name=f"P{i}", emails=(f"p{i}@example.org",)))
        store.add_touches(Touch(f"p{i}@example.org", NOW, Direction.IN) for i in range(50))
    assert len(writes) == 1
    assert len(Store(tmp_path).contacts()) == 50


def test_two_handles_never_lose_each_others_changes(tmp_path: Path) -> None:
    cli, daemon = Store(tmp_path), Store(tmp_path)
    cli.add_contact(_alice())
    daemon.add_touches([Touch("alice@example.org", NOW, Direction.IN)])
    cli.add_contact(_alice(name="Bob", emails=("bob@example.org",)))
    final = Store(tmp_path)
    assert {c.name for c in final.contacts()} == {"Alice Example", "Bob"}
    assert len(final.touches_for(["alice@example.org"])) == 1
    assert {c.name for c in daemon.contacts()} == {"Alice Example", "Bob"}


def _add_many(state_dir: str, prefix: str) -> None:
    store = Store(Path(state_dir), lock_timeout=30)
    for i in range(40):
        store.add_contact(_alice(name=f"{prefix}{i}", emails=(f"{prefix}{i}@example.org",)))


def test_concurrent_processes_keep_every_write(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_add_many, args=(str(tmp_path), p)) for p in ("a", "b", "c")]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    assert len(Store(tmp_path).contacts()) == 120


def test_busy_lock_is_a_clear_error(tmp_path: Path) -> None:
    store = Store(tmp_path, lock_timeout=0.2)
    fd = os.open(tmp_path / f"{FILE_NAME}.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        # flock locks belong to the open file description, so this one excludes the store's own.
        with pytest.raises(StoreBusyError, match="another keepwarm process"):
            store.add_contact(_alice())
    finally:
        os.close(fd)
    store.add_contact(_alice())
    assert len(store.contacts()) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"  \n", "is empty"),
        (b"{not json", "not valid JSON"),
        (b'{"_default": {}}', "not a keepwarm store"),
        (b"[1, 2]", "not a keepwarm store"),
        (b'{"meta": {"1": {"app": "keepwarm", "schema": 99}}}', "newer than this keepwarm"),
        (b"\xff\xfe garbage", "not valid JSON"),
    ],
)
def test_bad_files_are_errors_and_stay_untouched(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / FILE_NAME
    path.write_bytes(content)
    with pytest.raises(StoreError, match=message):
        Store(tmp_path)
    assert path.read_bytes() == content


def test_damaged_record_names_itself(tmp_path: Path) -> None:
    Store(tmp_path).add_contact(_alice())
    path = tmp_path / FILE_NAME
    data = json.loads(path.read_text())
    data["contacts"]["1"]["added_at"] = "yesterday"
    path.write_text(json.dumps(data))
    with pytest.raises(StoreError, match=r"record 1 of table 'contacts' is damaged"):
        Store(tmp_path).contacts()


def test_stale_temp_files_are_removed(tmp_path: Path) -> None:
    Store(tmp_path).add_contact(_alice())
    stale = tmp_path / f"{atomic.TMP_PREFIX}{FILE_NAME}.12345"
    stale.write_text("{half")
    Store(tmp_path).add_touches([Touch("alice@example.org", NOW, Direction.IN)])
    assert not stale.exists()


def test_write_failure_keeps_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path)
    store.add_contact(_alice())
    before = (tmp_path / FILE_NAME).read_bytes()
    # A directory where the temp file must go makes the save fail, as a full disk would, even for
    # root (its random part made known for the test).
    monkeypatch.setattr(secrets, "token_hex", lambda _n: "known")
    blocker = tmp_path / f"{atomic.TMP_PREFIX}{FILE_NAME}.{os.getpid()}.known"
    original_cleanup = atomic.remove_stale_temp_files
    try:
        atomic.remove_stale_temp_files = lambda directory, name: None
        blocker.mkdir()
        with pytest.raises(StoreError, match="previous file is intact"):
            store.add_contact(_alice(name="Bob", emails=("bob@example.org",)))
    finally:
        atomic.remove_stale_temp_files = original_cleanup
        blocker.rmdir()
    assert (tmp_path / FILE_NAME).read_bytes() == before
    assert [c.name for c in store.contacts()] == ["Alice Example"]
    store.add_contact(_alice(name="Bob", emails=("bob@example.org",)))
    assert len(Store(tmp_path).contacts()) == 2


def test_group_cadences(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.set_group_cadence("friends", 21)
    store.set_group_cadence("work", 60)
    store.set_group_cadence("friends", 14)
    store.set_group_cadence("work", None)
    assert Store(tmp_path).group_cadences() == {"friends": 14}


def test_cached_encoding_writes_exactly_what_a_fresh_encoding_would(tmp_path: Path) -> None:
    """The append-only tables reuse already-encoded records between saves; the file must be
    byte-for-byte what encoding everything afresh gives, across adds, undo-style removals and
    a reload by another handle."""
    store = Store(tmp_path)
    for batch in range(4):
        store.add_touches(
            Touch(
                f"p{i}@example.org", NOW + timedelta(minutes=batch), Direction.IN, message_id=f"m{batch}-{i}"
            )
            for i in range(5)
        )
        store.mark_seen([f"k{batch}"])
        assert (tmp_path / FILE_NAME).read_text() == atomic.dump_tables(
            json.loads((tmp_path / FILE_NAME).read_text())
        )
    assert store.remove_touches(["m1-0", "m1-1"]) == 2
    Store(tmp_path).add_touches([Touch("other@example.org", NOW, Direction.OUT, message_id="x")])
    store.add_touches([Touch("late@example.org", NOW, Direction.OUT, message_id="y")])
    text = (tmp_path / FILE_NAME).read_text()
    assert text == atomic.dump_tables(json.loads(text))
    assert {t.message_id for t in Store(tmp_path).touches()} >= {"x", "y", "m3-4"}
    assert len(Store(tmp_path).touches()) == 20 - 2 + 2


def test_alternating_handles_never_reuse_a_record_id(tmp_path: Path) -> None:
    """TinyDB caches each table's next id; after another process saved, a stale cache would give
    a new record the id the other process used, overwriting its record."""
    first, second = Store(tmp_path), Store(tmp_path)
    first.add_contact(_alice(name="A", emails=("a@example.org",)))
    second.add_contact(_alice(name="B", emails=("b@example.org",)))
    first.add_contact(_alice(name="C", emails=("c@example.org",)))
    second.add_contact(_alice(name="D", emails=("d@example.org",)))
    assert sorted(c.name for c in Store(tmp_path).contacts()) == ["A", "B", "C", "D"]


def test_contact_changes_reach_the_file_whatever_was_cached(tmp_path: Path) -> None:
    """Contacts' encoded records are reused between saves; every kind of change must still land."""
    store = Store(tmp_path)
    alice = store.add_contact(_alice())
    bob = store.add_contact(_alice(name="Bob", emails=("bob@example.org",)))
    store.add_touches([Touch("alice@example.org", NOW, Direction.IN)])  # a save that reuses both
    store.update_contact(alice.with_changes(cadence_days=14))
    store.remove_contact(bob.id)
    store.restore_contact(bob)
    store.update_contact(bob.with_changes(group="work"))
    text = (tmp_path / FILE_NAME).read_text()
    assert text == atomic.dump_tables(json.loads(text))
    reread = {c.name: c for c in Store(tmp_path).contacts()}
    assert reread["Alice Example"].cadence_days == 14
    assert reread["Bob"].group == "work"
    assert store.contacts() == list(Store(tmp_path).contacts())


def test_the_latest_own_touch_skips_mail_from_them_and_copied_is_kept(tmp_path: Path) -> None:
    store = Store(tmp_path)
    at = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    store.add_touches(
        [
            Touch("a@example.org", at, Direction.OUT, message_id="m1"),
            Touch("a@example.org", at + timedelta(days=3), Direction.IN, message_id="m2", copied=True),
            Touch("b@example.org", at, Direction.IN, message_id="m3"),
        ]
    )
    again = Store(tmp_path)  # read back from the file, not from the index kept in memory
    for s in (store, again):
        assert {a: t.message_id for a, t in s.last_touch_by_address().items()} == {
            "a@example.org": "m2",
            "b@example.org": "m3",
        }
        assert {a: t.message_id for a, t in s.last_touch_by_address(own=True).items()} == {
            "a@example.org": "m1"
        }
        assert s.last_touch_by_address()["a@example.org"].copied is True
        assert s.last_touch_by_address(own=True)["a@example.org"].copied is False
