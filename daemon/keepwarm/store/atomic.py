"""Crash-safe whole-file JSON persistence and the inter-process lock.

TinyDB's stock JSONStorage rewrites the file in place, so a process killed mid-write leaves a torn
file. Here every save goes to a temp file in the same directory, is fsynced, renamed over the old
file and the directory is fsynced: a crash at any instant leaves the old file or the new one.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import itertools
import json
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keepwarm.errors import StoreBusyError, StoreError, StoreWriteError

TMP_PREFIX = ".tmp-"


# One encoder for every record: json.dumps with these options builds a new one at every call.
_RECORD = json.JSONEncoder(ensure_ascii=False, sort_keys=True)
_KEY = json.JSONEncoder()


def _encode(doc_id: str, doc: Any) -> str:
    return f"  {_KEY.encode(doc_id)}: {_RECORD.encode(doc)}"


# Tables whose records are only ever added (undo's removals drop the table's cache), and tables
# whose records the Store re-encodes only when it changed them (it says which, see Store._uncache).
APPEND_ONLY = ("touches", "seen")
PER_RECORD = ("contacts",)


@dataclass(frozen=True)
class Span:
    """Bytes of the file being replaced, copied into the new one without being read: the records an
    append-only table already had at the last save, which nothing here keeps in memory."""

    offset: int
    length: int


Piece = bytes | Span
# What a save leaves for the next one (see dump_parts): per append-only table, how many records
# the file holds, the id of the last, and where they are; per per-record table, each encoded record.
Cache = dict[str, Any]


def _appended(table: str, docs: dict[str, Any], cache: Cache) -> list[Piece]:
    """A table's records as pieces; only records added since the last save are encoded now."""
    count, last_id, span = cache.get(table, (0, None, None))
    if count and (count > len(docs) or list(itertools.islice(docs, count - 1, count)) != [last_id]):
        count, span = 0, None  # records were removed or reordered: encode afresh
    new = itertools.islice(docs.items(), count, None)
    fresh = ",\n".join(_encode(doc_id, doc) for doc_id, doc in new).encode()
    return [p for p in (span, fresh) if p]


def _rows(table: str, docs: dict[str, Any], cache: Cache | None) -> list[Piece]:
    """A table's records, one per line, as pieces to be joined with ",\n"."""
    if cache is not None and table in APPEND_ONLY:
        return _appended(table, docs, cache)
    if cache is not None and table in PER_RECORD:
        lines = cache.setdefault(table, {})
        for doc_id in [d for d in lines if d not in docs]:
            del lines[doc_id]
        rows = (lines.get(i) or lines.setdefault(i, _encode(i, doc)) for i, doc in docs.items())
        return [",\n".join(rows).encode()]
    return [",\n".join(_encode(doc_id, doc) for doc_id, doc in docs.items()).encode()]


def _size(piece: Piece) -> int:
    return piece.length if isinstance(piece, Span) else len(piece)


def dump_parts(tables: dict[str, dict[str, Any]], cache: Cache | None = None) -> tuple[list[Piece], Cache]:
    """The file as pieces written one after the other (a 50 MB store is neither joined into one
    string nor re-encoded at every save), and the cache the next save may use once this file is
    written: the given one, with each append-only table's records found at their new place. One
    record per line: readable, diffable, and compact (fully indented JSON would nearly double a
    store of 200,000 touches)."""
    parts: list[Piece] = [b"{\n"]
    position = 2
    after: Cache = {}
    for t_index, (table, docs) in enumerate(sorted(tables.items())):
        head = f" {json.dumps(table)}: {{\n".encode()
        parts.append(head)
        position += len(head)
        start = position
        chunks = [c for c in _rows(table, docs, cache) if c]
        for c_index, chunk in enumerate(chunks):
            separator = b",\n" if c_index < len(chunks) - 1 else b"\n"
            parts += [chunk, separator]
            position += _size(chunk) + len(separator)
        if cache is not None and table in APPEND_ONLY and docs:
            # The records end before the line break that closes them.
            after[table] = (len(docs), next(reversed(docs)), Span(start, position - 1 - start))
        end = b" }" + (b",\n" if t_index < len(tables) - 1 else b"\n")
        parts.append(end)
        position += len(end)
    parts.append(b"}\n")
    # The per-record tables' encodings, made or kept while the rows were written, go on as they are.
    after.update((k, v) for k, v in (cache or {}).items() if k not in APPEND_ONLY)
    return parts, after


def dump_tables(tables: dict[str, dict[str, Any]]) -> str:
    """The file's text in one string (see dump_parts)."""
    return b"".join(p for p in dump_parts(tables)[0] if isinstance(p, bytes)).decode()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _copy(source: int, target: int, span: Span) -> None:
    """Copy a span of ``source`` to the end of ``target``: in the kernel where it can, else through
    a small buffer (never the whole span in memory)."""
    offset, left = span.offset, span.length
    with contextlib.suppress(OSError, AttributeError):  # no copy_file_range here: copy below
        while left:
            done = os.copy_file_range(source, target, left, offset)
            if not done:
                break
            offset, left = offset + done, left - done
    while left:
        data = os.pread(source, min(left, 1 << 20), offset)
        if not data:
            raise OSError(errno.EIO, "the store file is shorter than it was written")
        _write_all(target, data)
        offset, left = offset + len(data), left - len(data)


def _write_pieces(fd: int, path: Path, pieces: list[Piece]) -> None:
    """Write the pieces to ``fd``; spans come from the file at ``path`` (the one being replaced)."""
    spans = [p for p in pieces if isinstance(p, Span)]
    source = os.open(path, os.O_RDONLY | os.O_NOFOLLOW) if spans else -1
    try:
        if spans and os.fstat(source).st_size < max(s.offset + s.length for s in spans):
            raise OSError(errno.EIO, "the store file is shorter than it was written")
        for piece in pieces:  # each written as it is: joining them would copy the whole file
            if isinstance(piece, Span):
                _copy(source, fd, piece)
            else:
                _write_all(fd, piece)
    finally:
        if source >= 0:
            os.close(source)


def write_atomically(path: Path, text: str | list[Piece]) -> None:
    """Replace ``path`` with ``text`` so that readers and crashes see the old or the new file only."""
    # An unpredictable name, created new and never through a link: nobody can plant a file or a
    # link there to be written through.
    tmp = path.with_name(f"{TMP_PREFIX}{path.name}.{os.getpid()}.{secrets.token_hex(8)}")
    try:
        # 0600: the store holds who the owner talks to; nobody else needs to read it.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            _write_pieces(fd, path, [text.encode()] if isinstance(text, str) else text)
            os.fsync(fd)
        finally:
            os.close(fd)
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise StoreWriteError(
            f"cannot save {path}: {exc.strerror or exc}; the previous file is intact"
        ) from exc
    fsync_directory(path.parent)


def fsync_directory(directory: Path) -> None:
    """Make the rename itself durable: without this a power loss can undo it."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temp_files(directory: Path, name: str) -> None:
    """Delete temp files left by a process killed before its rename (they were never the store)."""
    for stale in directory.glob(f"{TMP_PREFIX}{name}.*"):
        with contextlib.suppress(OSError):
            stale.unlink()


def open_private(path: Path) -> int:
    """Open (or create, mode 0600) a file of keepwarm's own, refusing to follow a symbolic link
    planted in its place (it would make keepwarm truncate or write a file elsewhere)."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise StoreError(f"{path} is a symbolic link: keepwarm will not follow it; remove it") from None
        raise


def read_tables(path: Path) -> tuple[dict[str, dict[str, Any]], Cache] | None:
    """Load the file, and where it holds the append-only tables' records (``spans_in``); None if
    it does not exist. Empty, unreadable or non-object files are errors."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not raw.strip():
        raise StoreError(
            f"{path} is empty: keepwarm never writes an empty store, so something else truncated it; "
            "restore it from a backup, or move it away to start afresh"
        )
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StoreError(f"{path} is not valid JSON ({exc}); restore it from a backup") from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise StoreError(f"{path} is not a keepwarm store (not a JSON object of tables)")
    return data, spans_in(raw, data)


def spans_in(raw: bytes, tables: dict[str, dict[str, Any]]) -> Cache:
    """Where a file in keepwarm's own layout (dump_parts: the tables in order, one record per line)
    holds each append-only table's records, so that the first save after loading copies them
    rather than encoding them all again (0.7 s and 26 MB for a store of 100,000 messages). Each
    table's records end where the next table's line begins, so only the file's head is searched.
    A file laid out otherwise, as by a hand that edited it, gives nothing: it is encoded afresh."""
    heads: list[tuple[str, int, int]] = []  # each table: where its line starts, where its records do
    position = 0
    for name in sorted(tables):
        line = f"\n {json.dumps(name)}: {{\n".encode()
        at = raw.find(line, position)
        if at < 0:
            return {}
        heads.append((name, at, at + len(line)))
        position = at + len(line)
    found: Cache = {}
    for index, (name, _, start) in enumerate(heads):
        docs = tables[name]
        if name not in APPEND_ONLY or not docs:
            continue
        closing = b"\n }\n}\n" if index == len(heads) - 1 else b"\n },"
        end = len(raw) - len(closing) if index == len(heads) - 1 else heads[index + 1][1] - len(closing)
        last = raw.rfind(b"\n", start, end) + 1 or start
        if (
            end > start
            and raw[end : end + len(closing)] == closing
            and raw[end - 1 : end] == b"}"
            and raw.startswith(f"  {json.dumps(next(iter(docs)))}: {{".encode(), start)
            and raw.startswith(f"  {json.dumps(next(reversed(docs)))}: {{".encode(), last)
            and raw.count(b"\n", start, end) == len(docs) - 1
        ):
            found[name] = (len(docs), next(reversed(docs)), Span(start, end - start))
    return found


@contextlib.contextmanager
def exclusive_lock(lock_path: Path, timeout: float, holder: str) -> Iterator[None]:
    """Hold an flock on ``lock_path``, waiting up to ``timeout`` seconds for another holder.

    The lock lives in its own file because the store file is replaced by rename on every save:
    a lock on the old inode would not exclude a process that opened the new one.
    """
    fd = open_private(lock_path)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise StoreBusyError(
                        f"{holder} is busy: another keepwarm process holds {lock_path}"
                    ) from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
