"""Saying so when a BCC to keepwarm starts tracking people (BCC_CONFIRMATIONS): one short
confirmation in the thread of the owner's message, naming them, that ``undo`` in reply takes back
(``each``); or one summary a day, with the reminders, listing everyone BCCs added, each with an
``undo N`` of its own (``daily``); or no mail, only the log line naming them (``off``).

Only for a BCC written lately: the first poll's backfill meets months of them, and a confirmation
for each would be a flood (the poll's summary names them instead).

The daily summary is exactly once: the people wait in the store, written in the poll's own
transaction, and the summary's outbox row is queued in the transaction that empties that list.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.message import EmailMessage

from keepwarm.app.answers import Answer, Answers
from keepwarm.app.settings import Settings
from keepwarm.domain.classify import touch_time
from keepwarm.domain.inbound import InboundMail
from keepwarm.domain.model import Contact
from keepwarm.domain.records import iso
from keepwarm.render.engine import Renderer
from keepwarm.store import Store

log = logging.getLogger("keepwarm.bcc")

# A BCC older than this when it is read was not written just now: no confirmation for it.
RECENT = timedelta(days=2)


def confirm(store: Store, answers: Answers, mail: InboundMail, added: list[Contact], now: datetime) -> None:
    """Queue the confirmation of ``added`` (just stored, inside the poll's transaction), with an
    undo that removes them again; or, with BCC_CONFIRMATIONS=daily, keep them for the summary."""
    names = ", ".join(c.label for c in added)
    log.info("a BCC on %s started tracking %s", mail.key, names)
    if not added or not mail.from_ or now - touch_time(mail, now) > RECENT:
        return
    mode = answers.settings.bcc_confirmations
    if mode == "off":
        return
    if mode == "daily":
        _keep_for_summary(store, mail, added, now)
        return
    change = _undo_of(store, mail, added, now)
    topic = f" \u201c{mail.subject}\u201d" if mail.subject else ""
    lines = [f"now tracking {c.label}" for c in added]
    lines.append(f"(you blind-copied keepwarm on{topic}; reply 'undo' to stop tracking them)")
    answer = Answer(
        lines=lines,
        about=tuple(enumerate((c.id for c in added), start=1)),
        change=change,
        taps=(("Stop tracking" if len(added) == 1 else "Stop tracking them", "undo"),),
    )
    answers.answer(mail, mail.from_[0].address, answer, now)


def _undo_of(store: Store, mail: InboundMail, added: list[Contact], now: datetime) -> int | None:
    """Record the change that takes ``added`` away again: what it was before, without them."""
    before = store.undo.snapshot()
    for contact in added:
        before["contacts"].pop(str(contact.id), None)
    return store.undo.record(f"bcc:{mail.key}", now, before, [c.id for c in added], [])


def _keep_for_summary(store: Store, mail: InboundMail, added: list[Contact], now: datetime) -> None:
    """One change per person, so that the summary's ``undo 2`` takes back that one alone."""
    entries = [
        {
            "contact": contact.id,
            "change": _undo_of(store, mail, [contact], now),
            "subject": mail.subject,
            "at": iso(touch_time(mail, now)),
        }
        for contact in added
    ]
    store.runs.add_bcc_pending(entries)


def queue_summary(store: Store, renderer: Renderer, settings: Settings, now: datetime) -> list[EmailMessage]:
    """The daily summary of the people BCCs added since the last one (with the reminder run);
    nothing when nobody was, or when they were all taken back already."""
    if settings.mail is None:
        return []
    with store.transaction():
        pending = store.runs.bcc_pending()
        if not pending:
            return []
        store.runs.summarised_bccs(now)
        if settings.bcc_confirmations == "off":
            log.info("BCC_CONFIRMATIONS=off: no summary of the %d people BCCs added", len(pending))
            return []
        contacts = {c.id: c for c in store.contacts()}
        still = [p for p in pending if p["contact"] in contacts and not _undone(store, p.get("change"))]
        if not still:
            return []
        lines = []
        for number, entry in enumerate(still, start=1):
            when = datetime.fromisoformat(entry["at"]).astimezone(now.tzinfo)
            topic = f"\u201c{entry['subject']}\u201d, " if entry["subject"] else ""
            lines.append(f"{number}. now tracking {contacts[entry['contact']].label} ({topic}{when:%-d %B})")
        lines.append(
            "(you blind-copied keepwarm on these; to stop tracking one, reply 'undo' and its number, "
            "e.g. 'undo 1', one per reply)"
        )
        about = tuple((n, int(entry["contact"])) for n, entry in enumerate(still, start=1))
        plural = "person" if len(still) == 1 else "people"
        subject = f"keepwarm: now tracking {len(still)} {plural} from your BCCs"
        taps = tuple((f"Stop tracking {n}", f"undo {n}") for n, _ in about)
        answer = Answer(lines=lines, about=about, taps=taps)
        message = Answers(store, renderer, settings).summary(subject, answer, now)
    log.info("queued the daily summary of %d people BCCs added", len(still))
    return [message]


def _undone(store: Store, change_id: int | None) -> bool:
    change = store.undo.get(change_id) if change_id is not None else None
    return change is not None and change.undone
