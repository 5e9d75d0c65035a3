"""keepwarm's own messages to the owner, as records: what kind each is, where it stands, and when
a put-off message is tried again. Pure."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from keepwarm.domain.backoff import doubling

FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=1)


class OutboxKind(StrEnum):
    """What a message to the owner is."""

    REMINDER = "reminder"
    DIGEST = "digest"
    THANKS = "thanks"
    OVERVIEW = "overview"
    CONFIRMATION = "confirmation"
    REJECTION = "rejection"
    NOTICE = "notice"


class OutboxState(StrEnum):
    """Where a message stands: waiting, accepted by the server, refused for good, or not needed."""

    PENDING = "pending"
    # An answer kept back by MAX_REPLIES_PER_HOUR: it goes out, with the others held, once the
    # hour allows (never dropped).
    HELD = "held"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class OutboxItem:
    """A message keepwarm owes the owner. ``raw`` is dropped some time after it was sent."""

    id: int
    kind: OutboxKind
    state: OutboxState
    created_at: datetime
    raw: str
    subject: str = ""
    token: str = ""
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
    # When a send of it began: the server may have taken it before a crash stopped us hearing so.
    attempted_at: datetime | None = None
    # What a reply to this message is about: entry number -> contact id ("done 2").
    about: tuple[tuple[int, int], ...] = ()
    # The change a confirmation reports, for "undo" in reply to it.
    change: int | None = None
    # The message's distinctive lines, to find where a reply's quote of it begins.
    quote: tuple[str, ...] = ()

    def with_changes(self, **changes: Any) -> OutboxItem:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def sendable(self, now: datetime) -> bool:
        """Pending, and its next attempt (if it was put off) is due."""
        return self.state is OutboxState.PENDING and (
            self.next_attempt_at is None or self.next_attempt_at <= now
        )


def retry_after(attempts: int) -> timedelta:
    """The pause before attempt ``attempts + 1``: 1, 2, 4 … minutes, at most an hour."""
    return doubling(FIRST_RETRY, attempts, MAX_RETRY)
