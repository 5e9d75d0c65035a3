"""An email as the domain sees it: the header facts that decide whether it is a touch.

Built by ``keepwarm.mail.message`` from raw header bytes; everything here is already decoded,
lower-cased where it is an address, and time-zone aware where it is a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from keepwarm.domain.model import require_aware


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

    def __post_init__(self) -> None:
        require_aware(self.date, "InboundMail.date")
        require_aware(self.internal_date, "InboundMail.internal_date")

    @property
    def recipient_count(self) -> int:
        """To, Cc and Bcc together: a broadcast is not a touch."""
        return len(self.to) + len(self.cc) + len(self.bcc)
