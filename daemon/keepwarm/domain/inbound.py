"""An email as the domain sees it: the header facts that decide whether it is a touch.

Built by ``keepwarm.mail.message`` from raw header bytes; everything here is already decoded,
lower-cased where it is an address, and time-zone aware where it is a time.

What every decision reads (the addresses and the marks of automatic mail) is read at once. What
only some decisions read (the Date and Subject of a touch, the threading and authentication
headers of a command) is read when first asked for, through ``details``: a backfill skips most
of it for the mailing lists and notifications it never counts, and every message's References.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from keepwarm.domain.model import require_aware

# How much of a message to the daemon is read (fetched, parsed, searched for commands): commands
# are short, and a hostile message must not cost more than this.
COMMAND_BYTES = 256 * 1024


@dataclass(frozen=True)
class Mailbox:
    """A display name and an address (lower case)."""

    name: str
    address: str


class Details(Protocol):
    """The header facts only some decisions need. An implementation may read each when first
    asked for, but must give the same answer every time and never raise on content."""

    @property
    def date(self) -> datetime | None:
        """The Date header, time-zone aware; None if missing or unreadable."""

    @property
    def subject(self) -> str:
        """The Subject, decoded, on one line, at most 300 characters."""

    @property
    def in_reply_to(self) -> str | None:
        """The Message-ID this answers."""

    @property
    def references(self) -> tuple[str, ...]:
        """The Message-IDs of the thread, oldest first."""

    @property
    def auth_results(self) -> tuple[str, ...]:
        """The topmost Authentication-Results headers, as written."""


@dataclass(frozen=True)
class GivenDetails:
    """Details given outright (no header left to read)."""

    date: datetime | None = None
    subject: str = ""
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    auth_results: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        require_aware(self.date, "InboundMail.date")


@dataclass(frozen=True)
class InboundMail:
    """The headers of one message, parsed. ``key`` identifies it across folders and resyncs."""

    key: str
    message_id: str | None
    internal_date: datetime | None
    from_: tuple[Mailbox, ...]
    to: tuple[Mailbox, ...] = ()
    cc: tuple[Mailbox, ...] = ()
    bcc: tuple[Mailbox, ...] = ()
    delivered_to: tuple[str, ...] = ()
    list_id: bool = False
    precedence: str = ""
    auto_submitted: str = ""
    autoreply: bool = False
    return_path_empty: bool = False
    keepwarm_mark: bool = False
    content_type: str = ""  # the top-level type, lower-case, without parameters
    details: Details = field(default=GivenDetails(), repr=False, compare=False)

    def __post_init__(self) -> None:
        require_aware(self.internal_date, "InboundMail.internal_date")

    @property
    def date(self) -> datetime | None:
        """The Date header (see ``Details``)."""
        return self.details.date

    @property
    def subject(self) -> str:
        """The Subject (see ``Details``)."""
        return self.details.subject

    @property
    def in_reply_to(self) -> str | None:
        """The Message-ID this answers (see ``Details``)."""
        return self.details.in_reply_to

    @property
    def references(self) -> tuple[str, ...]:
        """The thread's Message-IDs (see ``Details``)."""
        return self.details.references

    @property
    def auth_results(self) -> tuple[str, ...]:
        """The topmost Authentication-Results (see ``Details``)."""
        return self.details.auth_results

    @property
    def automatic(self) -> bool:
        """Mail no program should ever answer (RFC 3834), keepwarm's own included."""
        return automatic_reason(self) is not None

    @property
    def recipient_count(self) -> int:
        """To, Cc and Bcc together: a broadcast is not a touch."""
        return len(self.to) + len(self.cc) + len(self.bcc)


_BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})


def automatic_reason(mail: InboundMail) -> str | None:
    """Why the mail was written by a program, not a person (keepwarm's own mark, a list, bulk,
    Auto-Submitted, an autoresponder, an empty Return-Path), or None for a person's mail."""
    if mail.keepwarm_mark:
        return "keepwarm-own"
    if mail.list_id:
        return "mailing-list"
    if mail.precedence in _BULK_PRECEDENCE:
        return "bulk"
    if mail.auto_submitted not in ("", "no") or mail.autoreply or mail.return_path_empty:
        return "auto-generated"
    return None
