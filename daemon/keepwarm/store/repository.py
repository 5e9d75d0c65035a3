"""The Store: keepwarm's state in one TinyDB JSON file.

Every change happens inside ``transaction()``: it takes the inter-process lock, picks up changes
another process saved meanwhile, and on success saves the whole file once (one rewrite per batch,
not per record). An exception inside discards every change of the batch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any, cast

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

from keepwarm.domain.model import Contact
from keepwarm.errors import StoreError
from keepwarm.store import atomic
from keepwarm.store.codec import contact_to_doc, doc_to_contact
from keepwarm.store.extras import ExtrasTables
from keepwarm.store.reminders import ReminderTables
from keepwarm.store.touches import TouchesMixin
from keepwarm.store.undo import UndoTable

SCHEMA_VERSION = 1
FILE_NAME = "keepwarm.json"
_META_ID = "1"


class _MemoryStorage(Storage):
    """TinyDB storage that keeps the tables in memory; the Store decides when they reach disk."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}
        self.dirty = False
        # Encoded records of the append-only tables, so a save re-encodes only what is new.
        self.lines: dict[str, Any] = {}

    def read(self) -> dict[str, dict[str, Any]]:
        return self.data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self.data = data
        self.dirty = True


class Store(TouchesMixin):
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
        # A fresh TinyDB each load: its Table objects cache the next document id, and a stale one
        # would hand out an id another process has just used, overwriting that record.
        self._db = TinyDB(storage=_MemoryStorage)
        self._storage = cast(_MemoryStorage, self._db.storage)
        self._storage.data = data
        self._storage.dirty = False
        self._storage.lines = {}
        self._stamp = stamp
        self._forget_indexes()

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
                    parts = atomic.dump_parts(self._storage.data, self._storage.lines)
                    atomic.write_atomically(self.path, parts)
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

    def _raw(self, name: str) -> dict[str, dict[str, Any]]:
        """A table's stored records by id, read directly (no copies): for the big tables."""
        return self._storage.data.get(name, {})

    def _uncache(self, table: str, doc_id: int | None = None) -> None:
        """A record (or with None, any record) of ``table`` changed: encode it afresh when saving."""
        if doc_id is None:
            self._storage.lines.pop(table, None)
        else:
            self._storage.lines.get(table, {}).pop(str(doc_id), None)
        if table == "contacts":
            self._contacts = None

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
        """All contacts, in the order they were added (decoded once per change, then reused)."""
        if not self._in_transaction:
            self._refresh()
        if self._contacts is None:
            self._contacts = [doc_to_contact(int(i), doc) for i, doc in self._raw("contacts").items()]
        return list(self._contacts)

    def get_contact(self, contact_id: int) -> Contact | None:
        """One contact by id, or None if it was removed."""
        doc = self._table("contacts").get(doc_id=contact_id)
        return None if doc is None else doc_to_contact(contact_id, doc)

    def add_contact(self, contact: Contact) -> Contact:
        """Insert and return the contact with its new id."""
        with self.transaction():
            doc_id = self._table("contacts").insert(contact_to_doc(contact))
            self._uncache("contacts", doc_id)
        return contact.with_changes(id=doc_id)

    def update_contact(self, contact: Contact) -> None:
        """Replace the stored contact with the same id."""
        with self.transaction():
            table = self._table("contacts")
            if not table.contains(doc_id=contact.id):
                raise StoreError(f"contact {contact.id} no longer exists")
            table.update(contact_to_doc(contact), doc_ids=[contact.id])
            self._uncache("contacts", contact.id)

    def restore_contact(self, contact: Contact) -> None:
        """Put a contact back exactly as it was, under its old id (for undo)."""
        with self.transaction():
            table = self._table("contacts")
            if table.contains(doc_id=contact.id):
                table.update(contact_to_doc(contact), doc_ids=[contact.id])
            else:
                table.insert(Document(contact_to_doc(contact), doc_id=contact.id))
            self._uncache("contacts", contact.id)

    def remove_contact(self, contact_id: int) -> None:
        """Forget the contact. Its touches stay, keyed by address, in case it is added again."""
        with self.transaction():
            self._table("contacts").remove(doc_ids=[contact_id])
            self._uncache("contacts", contact_id)

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
