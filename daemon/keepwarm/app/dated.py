"""Dated reminders (``remind 2027-03-11 ask how the move went``): on their day, one reminder each,
outside the cadence and the daily cap, with the owner's words and the usual draft; one that asked
to be dropped if the person wrote first is settled by their mail instead."""

from __future__ import annotations

import logging
from datetime import datetime
from email.message import EmailMessage

from keepwarm.app import contacts, drafts
from keepwarm.app.outbox import Letter
from keepwarm.app.settings import Settings
from keepwarm.domain.dates import DateError, future_day, parse_date
from keepwarm.domain.extras import Dated
from keepwarm.domain.model import Contact, Direction
from keepwarm.domain.outbox import OutboxKind
from keepwarm.errors import UsageError
from keepwarm.mail import compose
from keepwarm.render import views
from keepwarm.render.engine import Renderer
from keepwarm.store import Store

log = logging.getLogger("keepwarm.dated")


def write(
    store: Store,
    renderer: Renderer,
    settings: Settings,
    dated: Dated,
    contact: Contact,
    *,
    token: str,
    now: datetime,
) -> Letter:
    """One dated reminder: the reminder templates, the owner's words as its story."""
    owner = views.owner_view(settings.owner_name, settings.owner_address)
    item = contacts.standing_of(
        store, contact, settings.default_cadence_days, now, unanswered_counts=settings.unanswered_counts
    )
    language = contacts.language_of(store, contact, settings.draft_language)
    context, notes = views.entry_view(
        renderer, item, number=1, rotation=now.toordinal(), now=now, owner=owner, language=language
    )
    asked = f": {dated.text}" if dated.text else ""
    context["story"] = f"You asked on {dated.created_at:%-d %B} to be reminded about them today{asked}."
    context["dated"] = {"text": dated.text, "asked_on": f"{dated.created_at:%-d %B %Y}"}
    text, html = views.single_letter_parts(renderer, context, notes, owner, token)
    name = contact.name or contact.primary_email
    subject = compose.one_line(f"Reminder about {name}{asked}")
    return Letter(subject, text, html, about=((1, contact.id),), drafts=(views.draft_text(context),))


def add(
    store: Store, term: str, when: str, text: str, now: datetime, *, unless_answered: bool = False
) -> Dated:
    """``keepwarm remind add Alice 2027-03-11 ask how the move went``."""
    contact = contacts.resolve(store, term)
    try:
        spec = parse_date(when)
    except DateError as exc:
        raise UsageError(f"remind add: {exc}") from None
    try:
        on = future_day(spec, now.date(), "remind on")
    except DateError as exc:
        raise UsageError(str(exc)) from None
    return store.extras.add_dated(Dated(contact.id, on, text.strip(), now, unless_answered))


def _answered(store: Store, dated: Dated, contact: Contact) -> bool:
    return dated.unless_answered and any(
        t.direction is Direction.IN and t.at > dated.created_at for t in store.touches_for(contact.emails)
    )


def queue(store: Store, renderer: Renderer, settings: Settings, now: datetime) -> list[EmailMessage]:
    """Queue the dated reminders whose day has come (each once); settle those answered first."""
    due = store.extras.dated(now.date())
    if not due:
        return []
    people = {c.id: c for c in store.contacts()}
    messages, closed = [], []
    with store.transaction():
        for dated in due:
            contact = people.get(dated.contact_id)
            if contact is not None and contact.paused:
                continue  # waits for ``resume``
            closed.append(dated.id)
            if contact is None or _answered(store, dated, contact):
                continue  # closed without a word: gone, or they wrote first

            def letter(token: str, dated: Dated = dated, contact: Contact = contact) -> Letter:
                return write(store, renderer, settings, dated, contact, token=token, now=now)

            messages.append(drafts.queue(store, settings, OutboxKind.REMINDER, now, letter)[1])
            log.info("queued the dated reminder %s", dated.id)
        store.extras.close_dated(closed, now)
    return messages
