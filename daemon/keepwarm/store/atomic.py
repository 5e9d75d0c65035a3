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


def _appended(table: str, docs: dict[str, Any], cache: dict[str, Any]) -> list[bytes]:
    """Chunks of encoded records; only records added since the last save are encoded now."""
    count, last_id, chunks = cache.get(table, (0, None, []))
    if count and (count > len(docs) or list(itertools.islice(docs, count - 1, count)) != [last_id]):
        count, chunks = 0, []  # records were removed or reordered: encode afresh
    new = itertools.islice(docs.items(), count, None)
    fresh = ",\n".join(_encode(doc_id, doc) for doc_id, doc in new).encode()
    chunks = [*chunks, fresh] if fresh else chunks
    if docs:
        cache[table] = (len(docs), next(reversed(docs)), chunks)
    return chunks


def _rows(table: str, docs: dict[str, Any], cache: dict[str, Any] | None) -> list[bytes]:
    """A table's records, one per line, as UTF-8 chunks to be joined with ",\n"."""
    if cache is not None and table in APPEND_ONLY:
        return _appended(table, docs, cache)
    if cache is not None and table in PER_RECORD:
        lines = cache.setdefault(table, {})
        for doc_id in [d for d in lines if d not in docs]:
            del lines[doc_id]
        rows = (lines.get(i) or lines.setdefault(i, _encode(i, doc)) for i, doc in docs.items())
        return [",\n".join(rows).encode()]
    return [",\n".join(_encode(doc_id, doc) for doc_id, doc in docs.items()).encode()]


def dump_parts(tables: dict[str, dict[str, Any]], cache: dict[str, Any] | None = None) -> list[bytes]:
    """The file as a list of UTF-8 pieces, written one after the other: a 50 MB store is neither
    joined into one string nor re-encoded at every save. One record per line: readable, diffable,
    and compact (fully indented JSON would nearly double a store of 200,000 touches)."""
    parts = [b"{\n"]
    for t_index, (table, docs) in enumerate(sorted(tables.items())):
        parts.append(f" {json.dumps(table)}: {{\n".encode())
        chunks = [c for c in _rows(table, docs, cache) if c]
        for c_index, chunk in enumerate(chunks):
            parts.append(chunk)
            parts.append(b",\n" if c_index < len(chunks) - 1 else b"\n")
        parts.append(b" }" + (b",\n" if t_index < len(tables) - 1 else b"\n"))
    parts.append(b"}\n")
    return parts


def dump_tables(tables: dict[str, dict[str, Any]], cache: dict[str, Any] | None = None) -> str:
    """The file's text in one string (see dump_parts)."""
    return b"".join(dump_parts(tables, cache)).decode()


def write_atomically(path: Path, text: str | list[bytes]) -> None:
    """Replace ``path`` with ``text`` so that readers and crashes see the old or the new file only."""
    # An unpredictable name, created new and never through a link: nobody can plant a file or a
    # link there to be written through.
    tmp = path.with_name(f"{TMP_PREFIX}{path.name}.{os.getpid()}.{secrets.token_hex(8)}")
    try:
        # 0600: the store holds who the owner talks to; nobody else needs to read it.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.writelines([text.encode()] if isinstance(text, str) else text)
            handle.flush()
            os.fsync(handle.fileno())
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


def read_tables(path: Path) -> dict[str, dict[str, Any]] | None:
    """Load the file; None if it does not exist. Empty, unreadable or non-object files are errors."""
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
    return data


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
