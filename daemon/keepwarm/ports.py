"""The ports: what the application needs from the outside world, as Protocols.

Adapters (``keepwarm.mail.imap`` …) implement them; the sync and runtime code sees only these,
so it can be driven by a real server in tests and in production alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from typing import Protocol


@dataclass(frozen=True)
class FolderInfo:
    """A folder of the mailbox: its name, its flags, and its SPECIAL-USE role if any."""

    name: str
    flags: tuple[str, ...]
    special_use: str | None


@dataclass(frozen=True)
class FolderStatus:
    """A selected folder's identity and size."""

    uidvalidity: int
    uidnext: int
    exists: int


@dataclass(frozen=True)
class RawMail:
    """One message's header block as fetched, with the server's arrival time."""

    uid: int
    headers: bytes
    internal_date: datetime | None


@dataclass(frozen=True)
class SendResult:
    """What the server said about one outgoing message: sent, retry later, or failed for good."""

    item_id: int
    sent: bool
    permanent: bool = False
    error: str | None = None


class MailSender(Protocol):
    """Delivery of keepwarm's messages to the owner."""

    def send(
        self, batch: Sequence[tuple[int, EmailMessage]], on_result: Callable[[SendResult], None]
    ) -> list[SendResult]:
        """Send each message over one connection, reporting each result as soon as it is known."""
        ...


class MailSource(Protocol):
    """Read-only access to the owner's mailbox."""

    def folders(self) -> list[FolderInfo]:
        """Every folder, with its flags."""
        ...

    def watched_folders(self, setting: Sequence[str]) -> list[str]:
        """The folders to watch: ``("auto",)`` finds them, otherwise the names given."""
        ...

    def status(self, folder: str) -> FolderStatus:
        """A folder's UIDVALIDITY, UIDNEXT and size without selecting it (cheap: an idle check)."""
        ...

    def open(self, folder: str) -> FolderStatus:
        """Select a folder read-only (nothing in it can change through us)."""
        ...

    def uids_after(self, last_uid: int, since: date | None) -> list[int]:
        """UIDs above ``last_uid`` (arrived on or after ``since``, if given), ascending."""
        ...

    def fetch_headers(self, uids: Sequence[int]) -> Iterator[RawMail]:
        """The header fields keepwarm reads, for these UIDs, without setting \\Seen."""
        ...

    def fetch_message(self, uid: int, max_bytes: int) -> bytes:
        """The first ``max_bytes`` of a whole message (for commands), without setting \\Seen."""
        ...

    def invitations(self, uids: Sequence[int]) -> dict[int, list[bytes]]:
        """The text/calendar parts (decoded) of those of these messages that have one."""
        ...

    def has_message(self, folder: str, message_id: str) -> bool:
        """Whether ``folder`` holds a message with this Message-ID (was it delivered?)."""
        ...

    def close(self) -> None:
        """Log out; safe to call twice."""
        ...


@dataclass(frozen=True)
class DraftPlace:
    """Where a draft keepwarm wrote sits: its folder, the folder's UIDVALIDITY, its UID."""

    folder: str
    uidvalidity: int
    uid: int | None


class DraftsFolder(Protocol):
    """keepwarm's own drafts in the owner's Drafts folder: the one place it writes to her mailbox,
    and only messages carrying its draft header."""

    def find_folder(self) -> str | None:
        """The Drafts folder (SPECIAL-USE ``\\Drafts``, else a usual name), or None."""
        ...

    def find_own(self, folder: str, message_id: str, marker: str) -> DraftPlace | None:
        """The draft with this Message-ID and keepwarm's header ``marker``, if the folder holds it."""
        ...

    def append(self, folder: str, raw: bytes, message_id: str, marker: str, when: datetime) -> DraftPlace:
        """APPEND the draft flagged ``\\Draft``; where it went."""
        ...

    def remove_own(self, place: DraftPlace, message_id: str, marker: str) -> bool:
        """Delete the draft at ``place`` if it still carries this Message-ID and header (UID STORE
        \\Deleted, then UID EXPUNGE of it alone, or only the mark without UIDPLUS); False if it is
        not there as keepwarm wrote it (edited, sent, or gone)."""
        ...

    def close(self) -> None:
        """Log out; safe to call twice."""
        ...
