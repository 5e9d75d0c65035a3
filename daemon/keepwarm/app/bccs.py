"""Saying so when a BCC to keepwarm starts tracking people: one short confirmation in the thread
of the owner's message, naming them, that ``undo`` in reply takes back.

Only for a BCC written lately: the first poll's backfill meets months of them, and a confirmation
for each would be a flood (the poll's summary names them instead).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from keepwarm.app.answers import Answer, Answers
from keepwarm.domain.classify import touch_time
from keepwarm.domain.inbound import InboundMail
from keepwarm.domain.model import Contact
from keepwarm.store import Store

log = logging.getLogger("keepwarm.bcc")

# A BCC older than this when it is read was not written just now: no confirmation for it.
RECENT = timedelta(days=2)


def confirm(store: Store, answers: Answers, mail: InboundMail, added: list[Contact], now: datetime) -> None:
    """Queue the confirmation of ``added`` (just stored, inside the poll's transaction), with an
    undo that removes them again."""
    names = ", ".join(c.label for c in added)
    log.info("a BCC on %s started tracking %s", mail.key, names)
    if not added or not mail.from_ or now - touch_time(mail, now) > RECENT:
        return
    before = store.undo.snapshot()
    for contact in added:  # what it was before this message: without them
        before["contacts"].pop(str(contact.id), None)
    change = store.undo.record(f"bcc:{mail.key}", now, before, [c.id for c in added], [])
    topic = f" \u201c{mail.subject}\u201d" if mail.subject else ""
    lines = [f"now tracking {c.label}" for c in added]
    lines.append(f"(you blind-copied keepwarm on{topic}; reply 'undo' to stop tracking them)")
    answer = Answer(lines=lines, about=tuple(enumerate((c.id for c in added), start=1)), change=change)
    answers.answer(mail, mail.from_[0].address, answer, now)
