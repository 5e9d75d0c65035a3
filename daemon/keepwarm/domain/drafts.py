"""keepwarm's drafts in the owner's Drafts folder (SAVE_DRAFTS): what is kept about each, and
what to do with it next.

One record per draft, written before anything reaches the server: ``wanted`` when its reminder is
queued, ``appending`` just before the APPEND (after a crash the folder is searched for its
Message-ID before appending again, so a draft never lands twice), ``placed`` once the server has
it. A draft goes when a newer one for the same person comes, or when the owner is in touch with
her after it was written; only the message keepwarm appended (its UID, its Message-ID and its
header all still matching) is ever removed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


class DraftState(StrEnum):
    """Where one draft stands."""

    WANTED = "wanted"  # its reminder is queued: nothing has reached the server
    APPENDING = "appending"  # an APPEND began: the server may hold it
    PLACED = "placed"  # the server holds it, at the record's folder, UIDVALIDITY and UID


@dataclass(frozen=True)
class DraftRecord:
    """One draft keepwarm means to keep, or keeps, in the owner's Drafts folder."""

    id: int
    contact_id: int
    outbox_id: int  # the reminder it goes with: placed once that is sent
    message_id: str
    raw: str
    created_at: datetime
    state: DraftState = DraftState.WANTED
    folder: str | None = None
    uidvalidity: int | None = None
    uid: int | None = None

    @property
    def marker(self) -> str:
        """The value of keepwarm's draft header on this draft."""
        return marker_for(self.contact_id)

    def placed(self, folder: str, uidvalidity: int, uid: int | None) -> DraftRecord:
        """The record once the server holds the draft."""
        return replace(self, state=DraftState.PLACED, folder=folder, uidvalidity=uidvalidity, uid=uid)


def marker_for(contact_id: int) -> str:
    """``contact=12``: names whose draft it is, so a draft is only ever replaced by hers."""
    return f"contact={contact_id}"


class Step(StrEnum):
    """What a draft needs now."""

    WAIT = "wait"  # its reminder is not sent yet
    PLACE = "place"  # append it (after looking for it, if an append may have begun)
    REMOVE = "remove"  # take it out of the folder (if it is still there, unchanged)
    FORGET = "forget"  # never reached the server: drop the record


def step(
    record: DraftRecord,
    *,
    newest: bool,
    touched_at: datetime | None,
    reminder_sent: bool,
    reminder_dead: bool,
) -> Step:
    """The next step for ``record``: ``newest`` when it is its contact's latest draft,
    ``touched_at`` her last touch, and whether its reminder went out or never will."""
    stale = not newest or (touched_at is not None and touched_at > record.created_at) or reminder_dead
    if record.state is DraftState.WANTED:
        if stale:
            return Step.FORGET
        return Step.PLACE if reminder_sent else Step.WAIT
    if stale:
        return Step.REMOVE
    return Step.PLACE if record.state is DraftState.APPENDING else Step.WAIT
