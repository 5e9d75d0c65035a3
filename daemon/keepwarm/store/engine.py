"""The store's engine: the file's tables in memory (TinyDB), transactions with savepoints, and the
typed base every part of the store shares.

Every change happens inside ``transaction()``: the outermost one takes the inter-process lock,
picks up changes another process saved meanwhile, and on success saves the whole file once (one
rewrite per batch, not per record); an exception discards every change of the batch. A nested
transaction is a savepoint: if it raises, its own writes are rolled back and the outer one goes on,
so "applied whole or not at all" holds for any block, not only for the whole batch.

Parts keep derived caches (indexes, decoded records); ``generation`` changes whenever the tables
are replaced (another process saved, a savepoint rolled back), and a part rebuilds its cache then.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar, cast

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from keepwarm.domain.records import RecordError
from keepwarm.errors import StoreError
from keepwarm.store import atomic

# 2: the seen table holds one record per batch, {"keys": [...]} (schema 1 files, one record per
# key, {"key": ...}, are read as they are and become 2 with the first batch added).
SCHEMA_VERSION = 2
META_ID = "1"
T = TypeVar("T")
# A savepoint's record of a table as it was: its records; None if it did not exist; or, for a
# table that has only been appended to since, how many records it had.
Frame = dict[str, dict[str, Any] | int | None]


class _MemoryStorage(Storage):
    """TinyDB storage that keeps the tables in memory; the engine decides when they reach disk."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}
        self.dirty = False
        # What the last save wrote (atomic.Cache), so that the next re-encodes only what is new.
        self.lines: atomic.Cache = {}

    def read(self) -> dict[str, dict[str, Any]]:
        return self.data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self.data = data
        self.dirty = True


class Tables:
    """The tables of one store file, in memory, with the file's lock and transactions."""

    def __init__(self, path: Path, lock_timeout: float) -> None:
        self.path = path
        self._lock_path = path.with_name(f"{path.name}.lock")
        self._lock_timeout = lock_timeout
        self._stamp: tuple[int, int, int] | None = None
        self._in_transaction = False
        # One frame per open savepoint: each table as it was when the savepoint first touched it.
        self._savepoints: list[Frame] = []
        self.generation = 0
        self.next_ids: dict[str, int] = {}
        self._db = TinyDB(storage=_MemoryStorage)
        self._storage = cast(_MemoryStorage, self._db.storage)
        self.load()

    # -- the file ------------------------------------------------------------------------------

    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def load(self) -> None:
        """Read the file (or start an empty store) and drop every derived cache."""
        stamp = self._file_stamp()
        loaded = atomic.read_tables(self.path)
        spans: atomic.Cache = {}
        if loaded is None:
            data = {"meta": {META_ID: {"app": "keepwarm", "schema": SCHEMA_VERSION}}}
        else:
            data, spans = loaded
            self._check_meta(data)
        self._reset(data)
        # Valid while the file is the one read: a save checks the stamp (refresh) before using them.
        self._storage.lines = spans
        self._stamp = stamp

    def _reset(self, data: dict[str, dict[str, Any]]) -> None:
        # A fresh TinyDB each time: its Table objects cache the next document id, and a stale one
        # would hand out an id another process has just used, overwriting that record.
        self._db = TinyDB(storage=_MemoryStorage)
        self._storage = cast(_MemoryStorage, self._db.storage)
        self._storage.data = data
        self._storage.dirty = False
        self._storage.lines = {}
        self.next_ids = {}
        self.generation += 1

    def _check_meta(self, data: dict[str, dict[str, Any]]) -> None:
        meta = data.get("meta", {}).get(META_ID)
        if not isinstance(meta, dict) or meta.get("app") != "keepwarm":
            raise StoreError(f"{self.path} is not a keepwarm store (no keepwarm meta record)")
        schema = meta.get("schema")
        if not isinstance(schema, int) or schema > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema {schema!r}, newer than this keepwarm understands "
                f"({SCHEMA_VERSION}); upgrade keepwarm"
            )

    def require_schema(self, version: int) -> None:
        """The file is about to hold what schema ``version`` introduced: say so in its meta record,
        so that an older keepwarm refuses it rather than misreads it."""
        meta = self._storage.data.get("meta", {}).get(META_ID, {})
        if int(meta.get("schema", 0)) < version:
            self.table("meta").update({"schema": version}, doc_ids=[int(META_ID)])

    def refresh(self) -> None:
        """Outside a transaction: reload if another process saved since we last read (one stat)."""
        if not self._in_transaction and self._file_stamp() != self._stamp:
            self.load()

    # -- transactions --------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All of the block's changes, or none of them (a savepoint when nested)."""
        if self._in_transaction:
            with self._savepoint():
                yield
            return
        with atomic.exclusive_lock(self._lock_path, self._lock_timeout, str(self.path)):
            atomic.remove_stale_temp_files(self.path.parent, self.path.name)
            self.refresh()
            self._in_transaction = True
            try:
                yield
                if self._storage.dirty:
                    parts, after = atomic.dump_parts(self._storage.data, self._storage.lines)
                    atomic.write_atomically(self.path, parts)
                    self._storage.lines = after  # valid for the file just written, and only for it
                    self._storage.dirty = False
                    self._stamp = self._file_stamp()
            except BaseException:
                self.load()
                raise
            finally:
                self._in_transaction = False
                self._savepoints = []

    @contextlib.contextmanager
    def _savepoint(self) -> Iterator[None]:
        frame: Frame = {}
        self._savepoints.append(frame)
        try:
            yield
        except BaseException:
            self._savepoints.pop()
            self._roll_back(frame)
            raise
        self._savepoints.pop()
        if self._savepoints:
            # The enclosing savepoint keeps the oldest state of each table: the one from before both.
            for name, before in frame.items():
                self._savepoints[-1].setdefault(name, before)

    def _roll_back(self, frame: Frame) -> None:
        if not frame:
            return
        data = self._storage.data
        for name, before in frame.items():
            if before is None:
                data.pop(name, None)
            elif isinstance(before, int):
                docs = data[name]
                while len(docs) > before:  # only appended to since: drop what was added
                    docs.popitem()
            else:
                data[name] = before
        dirty = self._storage.dirty
        self._reset(data)
        self._storage.dirty = dirty

    def _before_write(self, name: str) -> None:
        """Inside savepoints, keep a copy of the table the first time it may change."""
        if not self._savepoints:
            return
        docs = self._storage.data.get(name)
        for frame in self._savepoints:
            before = frame.get(name, ...)
            if isinstance(before, int) and docs is not None:
                # That savepoint saw only appends so far; now records may change: keep them as they were.
                frame[name] = dict(itertools.islice(docs.items(), before))
        if name in self._savepoints[-1]:
            return
        if docs is None:
            self._savepoints[-1][name] = None
        elif name in atomic.APPEND_ONLY:
            # Their records are never changed in place, only added or removed: a shallow copy will do.
            self._savepoints[-1][name] = dict(docs)
        else:
            self._savepoints[-1][name] = copy.deepcopy(docs)

    def _before_append(self, name: str) -> None:
        """Inside a savepoint, note how many records an append-only table had the first time it
        grows: rolling back drops the ones added since, and a batch costs no copy of the table."""
        if not self._savepoints or name in self._savepoints[-1]:
            return
        docs = self._storage.data.get(name)
        self._savepoints[-1][name] = None if docs is None else len(docs)

    # -- access, for the parts -----------------------------------------------------------------

    def table(self, name: str) -> Table:
        """A TinyDB table to read or change (changes only inside a transaction)."""
        self.refresh()
        self._before_write(name)
        # No query cache: the data under the table is swapped whenever another process saves.
        return self._db.table(name, cache_size=0)

    def raw(self, name: str) -> dict[str, dict[str, Any]]:
        """A table's stored records by id, read directly (no copies): for the big tables."""
        self.refresh()
        return self._storage.data.get(name, {})

    def append(self, name: str, docs: list[dict[str, Any]]) -> list[str]:
        """Add records to an append-only table; returns their ids.

        Straight into the table TinyDB keeps: its own insert rebuilds the whole table on every
        call, which for 200,000 touches was most of the time a poll took.
        """
        self._before_append(name)
        raw = self._storage.data.setdefault(name, {})
        next_id = self.next_ids.get(name) or max((int(i) for i in raw), default=0) + 1
        ids = [str(n) for n in range(next_id, next_id + len(docs))]
        raw.update(zip(ids, docs, strict=True))
        self.next_ids[name] = next_id + len(docs)
        self._storage.dirty = True
        return ids

    def raw_data(self) -> dict[str, dict[str, Any]]:
        """Every table's stored records, read directly (for the backup)."""
        self.refresh()
        return self._storage.data

    def replace_all(self, data: dict[str, dict[str, Any]]) -> None:
        """Put ``data`` in place of every table (a restore), written whole by the transaction."""
        if not self._in_transaction or self._savepoints:
            raise RuntimeError("replace_all needs an outermost transaction")
        self._reset(data)
        self._storage.dirty = True

    def uncache(self, name: str, doc_id: int | None = None) -> None:
        """A record (or with None, any record) of ``name`` changed: encode it afresh when saving."""
        if doc_id is None:
            self._storage.lines.pop(name, None)
        else:
            self._storage.lines.get(name, {}).pop(str(doc_id), None)

    def forget_caches(self) -> None:
        """Records were put back by hand (undo): every part rebuilds what it derived from them."""
        self.generation += 1

    def count(self, name: str) -> int:
        """Number of records in a table."""
        return len(self.raw(name))

    def decode(self, build: Callable[[], T]) -> T:
        """Decode stored records; a damaged one is a StoreError naming it (never auto-fixed)."""
        try:
            return build()
        except RecordError as exc:
            raise StoreError(str(exc)) from exc


class Part:
    """The typed base of the store's parts: each works on the one Tables it is given."""

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """See ``Tables.transaction``."""
        return self._tables.transaction()

    def _put_named(self, table_name: str, doc: dict[str, Any]) -> None:
        """Replace the record of ``table_name`` with ``doc``'s name, or add it."""
        with self.transaction():
            table = self._tables.table(table_name)
            found = [d.doc_id for d in table.all() if d.get("name") == doc["name"]]
            if found:
                table.update(doc, doc_ids=found)
                self._tables.uncache(table_name, found[0])
            else:
                table.insert(doc)
