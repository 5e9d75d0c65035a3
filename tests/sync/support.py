"""Helpers for the sync tests: server configs, message builders, a counting MailSource, snapshots."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from email.utils import format_datetime
from pathlib import Path

from keepwarm.config import PasswordSource, Secret, ServerConfig
from keepwarm.domain.classify import Identity
from keepwarm.mail.imap import ImapMailbox
from keepwarm.ports import FolderInfo, FolderStatus, MailSource, RawMail
from keepwarm.store import Store
from tests.sync.mailgen import GeneratedMailbox
from tests.testbed.fixtures import Account, Testbed

Header = tuple[str, str | bytes]
FlagMap = dict[str, dict[int, frozenset[bytes]]]


def server_config(
    testbed: Testbed,
    account: Account,
    *,
    security: str = "ssl",
    password: str | None = None,
    ca_file: Path | bool | None = True,
) -> ServerConfig:
    """The ServerConfig keepwarm would build for this account (``ca_file=False``: system CAs only)."""
    port = testbed.imaps_port if security == "ssl" else testbed.imap_port
    secret = Secret(account.password if password is None else password)
    return ServerConfig(
        proto="imap",
        host=testbed.host,
        port=port,
        security=security,
        user=account.user,
        password=PasswordSource("value", "KEEPWARM_IMAP_PASSWORD", value=secret),
        ca_file=testbed.ca_file if ca_file is True else (ca_file or None),
    )


def open_mailbox(testbed: Testbed, account: Account) -> ImapMailbox:
    """A logged-in ImapMailbox over IMAPS that trusts the test CA."""
    return ImapMailbox(server_config(testbed, account), connect_timeout=5, read_timeout=10)


def identity(account: Account, *extra_owner: str, daemon: str | None = None) -> Identity:
    """The owner is the account (plus ``extra_owner`` aliases); the daemon its +keepwarm address."""
    return Identity(frozenset({account.address, *extra_owner}), daemon or account.plus("keepwarm"))


def rfc_date(when: dt.datetime) -> str:
    """An RFC 5322 Date value."""
    return format_datetime(when)


def build(headers: Sequence[Header], body: bytes = b"Hello.\r\n") -> bytes:
    """A raw message from (name, value) pairs; bytes values are written unchanged (8-bit headers)."""
    lines = [
        name.encode("ascii") + b": " + (value if isinstance(value, bytes) else value.encode("utf-8"))
        for name, value in headers
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def mail(
    frm: str,
    to: str,
    subject: str,
    msgid: str | None,
    when: dt.datetime,
    *extra: Header,
    body: bytes = b"Hello.\r\n",
) -> bytes:
    """A plain message: From, To, Subject, Date, Message-ID (when given) and extra headers."""
    headers: list[Header] = [("From", frm), ("To", to), ("Subject", subject), ("Date", rfc_date(when))]
    if msgid is not None:
        headers.append(("Message-ID", f"<{msgid}>"))
    return build([*headers, *extra], body)


def flag_snapshot(testbed: Testbed, account: Account, folders: Iterable[str] | None = None) -> FlagMap:
    """Folder -> UID -> flags (without the session-only \\Recent), read in EXAMINE mode."""
    found: FlagMap = {}
    with testbed.imap_client(account) as client:
        names = list(folders) if folders is not None else [str(f[2]) for f in client.list_folders()]
        for name in names:
            client.select_folder(name, readonly=True)
            uids = client.search("ALL")
            flags = client.get_flags(uids) if uids else {}
            found[name] = {int(u): frozenset(f) - {b"\\Recent"} for u, f in flags.items()}
    return found


def gained_flags(before: FlagMap, after: FlagMap) -> dict[str, dict[int, frozenset[bytes]]]:
    """Flags each message has now and did not have before (empty when nothing changed)."""
    gained: dict[str, dict[int, frozenset[bytes]]] = {}
    for folder, messages in after.items():
        for uid, flags in messages.items():
            extra = flags - before.get(folder, {}).get(uid, frozenset())
            if extra:
                gained.setdefault(folder, {})[uid] = extra
    return gained


@dataclass
class CountingSource:
    """A MailSource proxy that records every fetch: (folder, UIDs) per call, and what came back."""

    inner: MailSource
    fetches: list[tuple[str, list[int]]] = field(default_factory=list)
    returned: list[tuple[str, RawMail]] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)
    messages: list[tuple[str, int]] = field(default_factory=list)  # whole-message fetches
    _folder: str = ""

    def folders(self) -> list[FolderInfo]:
        return self.inner.folders()

    def watched_folders(self, setting: Sequence[str]) -> list[str]:
        return self.inner.watched_folders(setting)

    def status(self, folder: str) -> FolderStatus:
        return self.inner.status(folder)

    def open(self, folder: str) -> FolderStatus:
        self._folder = folder
        self.opened.append(folder)
        return self.inner.open(folder)

    def uids_after(self, last_uid: int, since: dt.date | None) -> list[int]:
        return self.inner.uids_after(last_uid, since)

    def has_message(self, folder: str, message_id: str) -> bool:
        return self.inner.has_message(folder, message_id)

    def fetch_headers(self, uids: Sequence[int]) -> Iterator[RawMail]:
        self.fetches.append((self._folder, list(uids)))
        return self._tap(self._folder, self.inner.fetch_headers(uids))

    def _tap(self, folder: str, raws: Iterator[RawMail]) -> Iterator[RawMail]:
        for raw in raws:
            self.returned.append((folder, raw))
            yield raw

    def fetch_message(self, uid: int, max_bytes: int) -> bytes:
        self.messages.append((self._folder, uid))
        return self.inner.fetch_message(uid, max_bytes)

    def invitations(self, uids: Sequence[int]) -> dict[int, list[bytes]]:
        return self.inner.invitations(uids)

    def close(self) -> None:
        self.inner.close()

    @property
    def fetched_uids(self) -> list[tuple[str, int]]:
        """Every (folder, UID) asked for, in order."""
        return [(folder, uid) for folder, uids in self.fetches for uid in uids]

    def reset(self) -> None:
        self.fetches.clear()
        self.returned.clear()
        self.opened.clear()
        self.messages.clear()


@dataclass(frozen=True)
class Realistic:
    """The session's realistic mailbox: its account, ground truth, and flags right after filling."""

    account: Account
    box: GeneratedMailbox
    flags: FlagMap
    fill_seconds: float


TouchRow = tuple[str, str, str, dt.datetime, str, str, str]


@dataclass(frozen=True)
class StoreState:
    """Everything a poll writes, in comparable form."""

    touches: tuple[TouchRow, ...]
    seen: frozenset[str]
    contacts: tuple[tuple[str, tuple[str, ...], int | None], ...]
    folders: dict[str, tuple[int, int]]
    skipped: dict[str, int]


def store_state(store: Store) -> StoreState:
    """A snapshot of the store (touches sorted, duplicates kept so that doubles show)."""
    rows = sorted(
        (t.message_id or "", t.address, t.direction.value, t.at, t.source, t.subject, t.name)
        for t in store.touches()
    )
    return StoreState(
        touches=tuple(rows),
        seen=frozenset(store.seen_keys()),
        contacts=tuple(sorted((c.name, c.emails, c.cadence_days) for c in store.contacts())),
        folders=store.folder_states(),
        skipped=store.counts("skipped"),
    )


def append_all(
    testbed: Testbed,
    account: Account,
    messages: Iterable[tuple[str, bytes, Sequence[bytes], dt.datetime | None]],
) -> int:
    """APPEND (folder, raw, flags, internal date) over one connection; returns how many."""
    count = 0
    with testbed.imap_client(account) as client:
        for folder, raw, flags, when in messages:
            client.append(folder, raw, flags=tuple(flags), msg_time=when)
            count += 1
    return count
