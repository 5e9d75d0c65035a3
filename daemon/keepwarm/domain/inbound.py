"""An email as the domain sees it: the header facts that decide whether it is a touch.

Built by ``keepwarm.mail.message`` from raw header bytes; everything here is already decoded,
lower-cased where it is an address, and time-zone aware where it is a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from keepwarm.domain.model import require_aware

# How much of a message to the daemon is read (fetched, parsed, searched for commands): commands
# are short, and a hostile message must not cost more than this.
COMMAND_BYTES = 256 * 1024


@dataclass(frozen=True)
class Mailbox:
    """A display name and an address (lower case)."""

    name: str
    address: str


@dataclass(frozen=True)
class InboundMail:
    """The headers of one message, parsed. ``key`` identifies it across folders and resyncs."""

    key: str
    message_id: str | None
    date: datetime | None
    internal_date: datetime | None
    from_: tuple[Mailbox, ...]
    to: tuple[Mailbox, ...] = ()
    cc: tuple[Mailbox, ...] = ()
    bcc: tuple[Mailbox, ...] = ()
    delivered_to: tuple[str, ...] = ()
    subject: str = ""
    list_id: bool = False
    precedence: str = ""
    auto_submitted: str = ""
    autoreply: bool = False
    return_path_empty: bool = False
    keepwarm_mark: bool = False
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    auth_results: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        require_aware(self.date, "InboundMail.date")
        require_aware(self.internal_date, "InboundMail.internal_date")

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
