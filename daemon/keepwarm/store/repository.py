"""The Store: keepwarm's state in one TinyDB JSON file.

Every change happens inside ``transaction()``: it takes the inter-process lock, picks up changes
another process saved meanwhile, and on success saves the whole file once (one rewrite per batch,
not per record). An exception inside discards every change of the batch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from functools import cached_property
from pathlib import Path
from typing import Any, cast

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

from keepwarm.domain.ingest import TouchKey, touch_key
from keepwarm.domain.model import Contact, Touch
from keepwarm.errors import StoreError
from keepwarm.store import atomic
from keepwarm.store.codec import contact_to_doc, doc_to_contact, doc_to_touch, touch_to_doc
from keepwarm.store.extras import ExtrasTables
from keepwarm.store.reminders import ReminderTables
from keepwarm.store.undo import UndoTable

SCHEMA_VERSION = 1
FILE_NAME = "keepwarm.json"
_META_ID = "1"


class _MemoryStorage(Storage):
    """TinyDB storage that keeps the tables in memory; the Store decides when they reach disk."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}
        self.dirty = False

    def read(self) -> dict[str, dict[str, Any]]:
        return self.data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self.data = data
        self.dirty = True


class Store:
    """Contacts, touches and groups, persisted crash-safely in ``STATE_DIR/keepwarm.json``."""

    def __init__(self, state_dir: Path, lock_timeout: float = 10.0) -> None:
        self.path = state_dir / FILE_NAME
        self._lock_path = state_dir / f"{FILE_NAME}.lock"
        self._lock_timeout = lock_timeout
        self._db = TinyDB(storage=_MemoryStorage)
        self._storage = cast(_MemoryStorage, self._db.storage)
        self._stamp: tuple[int, int, int] | None = None
        self._in_transaction = False
        try:
            state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise StoreError(f"cannot create state directory {state_dir}: {exc.strerror}") from exc
        self._load()

    # -- persistence ---------------------------------------------------------------------------

    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _load(self) -> None:
        stamp = self._file_stamp()
        data = atomic.read_tables(self.path)
        if data is None:
            data = {"meta": {_META_ID: {"app": "keepwarm", "schema": SCHEMA_VERSION}}}
        else:
            self._check_meta(data)
        self._storage.data = data
        self._storage.dirty = False
        self._stamp = stamp
        # Indexes derived from the tables; rebuilt lazily after every (re)load.
        self._seen: set[str] | None = None
        self._touch_keys: set[TouchKey] | None = None

    def _check_meta(self, data: dict[str, dict[str, Any]]) -> None:
        meta = data.get("meta", {}).get(_META_ID)
        if not isinstance(meta, dict) or meta.get("app") != "keepwarm":
            raise StoreError(f"{self.path} is not a keepwarm store (no keepwarm meta record)")
        schema = meta.get("schema")
        if not isinstance(schema, int) or schema > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema {schema!r}, newer than this keepwarm understands "
                f"({SCHEMA_VERSION}); upgrade keepwarm"
            )

    def _refresh(self) -> None:
        """Reload if another process saved since we last read (cheap: one stat)."""
        if self._file_stamp() != self._stamp:
            self._load()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Apply a batch of changes all together, or none of them. Nested calls join the outer one."""
        if self._in_transaction:
            yield
            return
        with atomic.exclusive_lock(self._lock_path, self._lock_timeout, str(self.path)):
            atomic.remove_stale_temp_files(self.path.parent, self.path.name)
            self._refresh()
            self._in_transaction = True
            try:
                yield
                if self._storage.dirty:
                    atomic.write_atomically(self.path, atomic.dump_tables(self._storage.data))
                    self._storage.dirty = False
                    self._stamp = self._file_stamp()
            except BaseException:
                self._load()
                raise
            finally:
                self._in_transaction = False

    def _table(self, name: str) -> Table:
        if not self._in_transaction:
            self._refresh()
        # No query cache: the data under the table is swapped whenever another process saves.
        return self._db.table(name, cache_size=0)

    def table(self, name: str) -> Table:
        """A TinyDB table, for the store's own companion modules (store.reminders)."""
        return self._table(name)

    @cached_property
    def extras(self) -> ExtrasTables:
        """Openers, the owner's news, and thank-yous."""
        return ExtrasTables(self)

    @cached_property
    def undo(self) -> UndoTable:
        """Snapshots that let ``undo`` revert the last command on a contact."""
        return UndoTable(self)

    @cached_property
    def reminders(self) -> ReminderTables:
        """Outbox, reminder entries and run bookkeeping."""
        return ReminderTables(self)

    # -- contacts ------------------------------------------------------------------------------

    def contacts(self) -> list[Contact]:
        """All contacts, in the order they were added."""
        return [doc_to_contact(doc.doc_id, doc) for doc in self._table("contacts").all()]

    def get_contact(self, contact_id: int) -> Contact | None:
        """One contact by id, or None if it was removed."""
        doc = self._table("contacts").get(doc_id=contact_id)
        return None if doc is None else doc_to_contact(contact_id, doc)

    def add_contact(self, contact: Contact) -> Contact:
        """Insert and return the contact with its new id."""
        with self.transaction():
            doc_id = self._table("contacts").insert(contact_to_doc(contact))
        return contact.with_changes(id=doc_id)

    def update_contact(self, contact: Contact) -> None:
        """Replace the stored contact with the same id."""
        with self.transaction():
            table = self._table("contacts")
            if not table.contains(doc_id=contact.id):
                raise StoreError(f"contact {contact.id} no longer exists")
            table.update(contact_to_doc(contact), doc_ids=[contact.id])

    def restore_contact(self, contact: Contact) -> None:
        """Put a contact back exactly as it was, under its old id (for undo)."""
        with self.transaction():
            table = self._table("contacts")
            if table.contains(doc_id=contact.id):
                table.update(contact_to_doc(contact), doc_ids=[contact.id])
            else:
                table.insert(Document(contact_to_doc(contact), doc_id=contact.id))

    def remove_touches(self, message_ids: Iterable[str]) -> int:
        """Delete the touches recorded under these message keys (for undo); returns how many."""
        wanted = set(message_ids)
        with self.transaction():
            removed = self._table("touches").remove(lambda d: d.get("message_id") in wanted)
            self._touch_keys = None
        return len(removed)

    def remove_contact(self, contact_id: int) -> None:
        """Forget the contact. Its touches stay, keyed by address, in case it is added again."""
        with self.transaction():
            self._table("contacts").remove(doc_ids=[contact_id])

    # -- touches -------------------------------------------------------------------------------

    def add_touches(self, touches: Iterable[Touch]) -> int:
        """Record touches in one batch; returns how many were added."""
        batch = list(touches)
        if batch:
            with self.transaction():
                keys = self.touch_keys()
                self._table("touches").insert_multiple(touch_to_doc(t) for t in batch)
                keys.update(touch_key(t) for t in batch)
        return len(batch)

    def touch_keys(self) -> set[TouchKey]:
        """(message key, address, direction) of every touch: what makes a touch a duplicate."""
        if not self._in_transaction:
            self._refresh()
        if self._touch_keys is None:
            self._touch_keys = {
                (str(d.get("message_id") or ""), str(d["address"]), str(d["direction"]))
                for d in self._table("touches").all()
            }
        return self._touch_keys

    def touches(self) -> list[Touch]:
        """Every touch, in the order recorded."""
        return [doc_to_touch(doc.doc_id, doc) for doc in self._table("touches").all()]

    def touches_for(self, addresses: Iterable[str]) -> list[Touch]:
        """Every touch with any of these addresses, oldest first."""
        wanted = set(addresses)
        found = [
            doc_to_touch(doc.doc_id, doc)
            for doc in self._table("touches").all()
            if doc.get("address") in wanted
        ]
        return sorted(found, key=lambda t: t.at)

    def last_touch_by_address(self) -> dict[str, Touch]:
        """The latest touch per address, in one pass over the table."""
        latest: dict[str, Touch] = {}
        for doc in self._table("touches").all():
            touch = doc_to_touch(doc.doc_id, doc)
            current = latest.get(touch.address)
            if current is None or touch.at > current.at:
                latest[touch.address] = touch
        return latest

    def count(self, table: str) -> int:
        """Number of records in a table."""
        return len(self._table(table))

    # -- mail sync -----------------------------------------------------------------------------

    def seen_keys(self) -> set[str]:
        """Keys of every message already processed (Message-ID, or a header hash)."""
        if not self._in_transaction:
            self._refresh()
        if self._seen is None:
            self._seen = {str(d["key"]) for d in self._table("seen").all()}
        return self._seen

    def mark_seen(self, keys: Iterable[str]) -> None:
        """Remember processed messages, so no copy or replay of them counts again."""
        batch = list(keys)
        if batch:
            with self.transaction():
                seen = self.seen_keys()
                self._table("seen").insert_multiple({"key": k} for k in batch)
                seen.update(batch)

    def folder_state(self, folder: str) -> tuple[int, int] | None:
        """(UIDVALIDITY, highest UID processed) of a folder, or None if never synced."""
        doc = self._table("folders").get(lambda d: d.get("name") == folder)
        if not isinstance(doc, dict):
            return None
        return int(doc["uidvalidity"]), int(doc["last_uid"])

    def set_folder_state(self, folder: str, uidvalidity: int, last_uid: int) -> None:
        """Record how far a folder has been processed (in the same transaction as its touches)."""
        with self.transaction():
            table = self._table("folders")
            table.remove(lambda d: d.get("name") == folder)
            table.insert({"name": folder, "uidvalidity": uidvalidity, "last_uid": last_uid})

    def folder_states(self) -> dict[str, tuple[int, int]]:
        """Every synced folder's (UIDVALIDITY, highest UID processed)."""
        return {
            str(d["name"]): (int(d["uidvalidity"]), int(d["last_uid"])) for d in self._table("folders").all()
        }

    def add_counts(self, name: str, counts: dict[str, int]) -> None:
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

    def counts(self, name: str) -> dict[str, int]:
        """A named set of running totals."""
        doc = self._table("counters").get(lambda d: d.get("name") == name)
        return {str(k): int(v) for k, v in doc["counts"].items()} if isinstance(doc, dict) else {}

    # -- groups --------------------------------------------------------------------------------

    def group_cadences(self) -> dict[str, int]:
        """Cadence in days per group name, for groups that have one."""
        return {str(doc["name"]): int(doc["cadence_days"]) for doc in self._table("groups").all()}

    def set_group_cadence(self, name: str, cadence_days: int | None) -> None:
        """Set (or with None, clear) a group's cadence."""
        with self.transaction():
            table = self._table("groups")
            table.remove(lambda doc: doc.get("name") == name)
            if cadence_days is not None:
                table.insert({"name": name, "cadence_days": cadence_days})
