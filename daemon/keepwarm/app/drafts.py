"""SAVE_DRAFTS: each reminder's draft also waits in the owner's Drafts folder, to her and in her
thread; the next reminder for her replaces it, and being in touch with her removes it.

``record`` notes the drafts of a reminder in the transaction that queues it; ``sync`` brings the
folder in line with the records once the reminder is sent, and after each poll. Intent is saved
before every APPEND and the folder is searched for the draft's Message-ID before appending again
(the outbox's exactly-once pattern), so a crash never leaves two. Only drafts keepwarm wrote are
removed, and only while they are exactly as it wrote them (``mail.drafts``). A Drafts folder that
cannot be found or written is one line in the log and in ``keepwarm status``; reminders go on.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from keepwarm.app.contacts import last_touches
from keepwarm.app.outbox import Letter
from keepwarm.app.settings import Settings
from keepwarm.domain.drafts import DraftRecord, DraftState, Step, marker_for, step
from keepwarm.domain.outbox import OutboxKind, OutboxState
from keepwarm.errors import KeepwarmError
from keepwarm.mail import compose
from keepwarm.ports import DraftPlace, DraftsFolder
from keepwarm.store import Store

if TYPE_CHECKING:
    from email.message import EmailMessage

log = logging.getLogger("keepwarm.drafts")
NO_FOLDER = "no Drafts folder found (no \\Drafts flag, no folder named Drafts, Entwürfe, Brouillons…)"


def record(store: Store, outbox_id: int, letter: Letter, owner_address: str, now: datetime) -> int:
    """Note the drafts of a queued reminder (one per person in it); how many."""
    people = [contact_id for _, contact_id in letter.about]
    if len(people) != len(letter.drafts):
        return 0
    domain = owner_address.rpartition("@")[2] or "keepwarm.invalid"
    for contact_id, draft in zip(people, letter.drafts, strict=True):
        message_id = f"<kw-draft-{secrets.token_hex(8)}@{domain}>"
        msg = compose.draft_message(draft, now, message_id=message_id, marker=marker_for(contact_id))
        store.drafts.add(DraftRecord(0, contact_id, outbox_id, message_id, msg.as_string(), now))
    return len(people)


def queue(
    store: Store, settings: Settings, kind: OutboxKind, now: datetime, write: Callable[[str], Letter]
) -> tuple[int, EmailMessage]:
    """Queue a reminder written around its token (every kind: cadence, birthday, dated, thanks)
    and, with SAVE_DRAFTS, note its drafts in the same transaction, so none is queued without."""
    written: list[Letter] = []

    def letter(token: str) -> Letter:
        written.append(write(token))
        return written[-1]

    with store.transaction():
        outbox_id, msg = settings.owner_mail().queue(store, kind, now, letter)
        if settings.save_drafts:
            record(store, outbox_id, written[-1], settings.owner_address, now)
    return outbox_id, msg


def _steps(store: Store) -> list[tuple[DraftRecord, Step]]:
    """What each record needs; records that never reached the server and are not wanted go."""
    records = store.drafts.all()
    if not records:
        return []
    newest = {r.contact_id: r.id for r in records}  # oldest first: the last one wins
    touched = {contact_id: t.at for contact_id, t in last_touches(store).items()}
    found = []
    for item in records:
        reminder = store.outbox.get(item.outbox_id)
        state = reminder.state if reminder is not None else OutboxState.CANCELLED
        todo = step(
            item,
            newest=newest[item.contact_id] == item.id,
            touched_at=touched.get(item.contact_id),
            reminder_sent=state is OutboxState.SENT,
            reminder_dead=state in (OutboxState.CANCELLED, OutboxState.FAILED),
        )
        if todo is Step.FORGET:
            store.drafts.forget(item.id)
        elif todo is not Step.WAIT:
            found.append((item, todo))
    # Replacing: the old draft goes before the new one comes.
    return sorted(found, key=lambda pair: (pair[1] is not Step.REMOVE, pair[0].id))


def sync(store: Store, open_box: Callable[[], DraftsFolder], now: datetime) -> int:
    """Place the drafts whose reminder went out, remove those replaced or answered by a touch;
    how many changed. Problems are logged and noted for ``keepwarm status``, never raised."""
    if not store.drafts.all():
        return 0  # the usual case, and every idle poll's: no lock, no save
    with store.transaction():
        todo = _steps(store)
    if not todo:
        return 0
    done = 0
    try:
        box = open_box()
        try:
            folder = box.find_folder()
            if folder is None:
                raise KeepwarmError(NO_FOLDER)
            for item, what in todo:
                done += (
                    _remove(store, box, item, folder)
                    if what is Step.REMOVE
                    else _place(store, box, item, folder)
                )
        finally:
            box.close()
    except KeepwarmError as exc:
        _tell(store, now, f"drafts not saved in your Drafts folder: {exc}")
    return done


def _place(store: Store, box: DraftsFolder, item: DraftRecord, folder: str) -> int:
    found = None
    if item.state is DraftState.APPENDING:  # an APPEND may have happened before a crash
        found = box.find_own(folder, item.message_id, item.marker)
    else:
        item = replace(item, state=DraftState.APPENDING, folder=folder)
        with store.transaction():
            store.drafts.update(item)
    place = found or box.append(folder, item.raw.encode(), item.message_id, item.marker, item.created_at)
    with store.transaction():
        store.drafts.update(item.placed(place.folder, place.uidvalidity, place.uid))
    log.info("draft for contact %s saved in %s", item.contact_id, place.folder)
    return 1


def _remove(store: Store, box: DraftsFolder, item: DraftRecord, folder: str) -> int:
    place: DraftPlace | None = DraftPlace(item.folder or folder, item.uidvalidity or 0, item.uid)
    if item.state is DraftState.APPENDING:
        place = box.find_own(item.folder or folder, item.message_id, item.marker)
    removed = place is not None and box.remove_own(place, item.message_id, item.marker)
    if not removed:
        log.info("draft for contact %s left alone: edited, sent or already gone", item.contact_id)
    with store.transaction():
        store.drafts.forget(item.id)
    return int(removed)


def _tell(store: Store, now: datetime, text: str) -> None:
    """One line in the log and in ``keepwarm status`` (not repeated while it stays the same)."""
    log.warning("%s", text)
    errors = store.runs.get().get("errors") or []
    if not errors or errors[-1].get("error") != text:
        store.runs.error(now, text)
