"""Thank-you drafts: ``thanks Lena for The Overstory`` becomes an email with a draft from
``drafts/thanks.txt.j2``, delivered with the next reminder run whether or not Lena is due. Nothing
is logged as a touch until the owner actually writes to her."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from typing import Any

from keepwarm.app import drafts
from keepwarm.app.contacts import language_of, standing_of
from keepwarm.app.outbox import Letter
from keepwarm.app.settings import Settings
from keepwarm.domain.outbox import OutboxKind
from keepwarm.mail import compose
from keepwarm.render import views
from keepwarm.render.engine import Renderer
from keepwarm.render.names import draft_name
from keepwarm.store import Store

# Like reminders, thank-you drafts come a few a day, never as a flood (a message may ask for 10).
MAX_PER_DAY = 5


def queue_thanks(store: Store, renderer: Renderer, settings: Settings, now: datetime) -> list[EmailMessage]:
    """One email per pending thank-you, whether or not the person is due, at most MAX_PER_DAY a
    day (the rest wait for the next runs); logs no touch."""
    messages = []
    contacts = {c.id: c for c in store.contacts()}
    delivered = []
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    room = max(0, MAX_PER_DAY - store.outbox.count({OutboxKind.THANKS}, day_start))
    for thanks_id, contact_id, what in store.extras.pending_thanks()[:room]:
        contact = contacts.get(contact_id)
        delivered.append(thanks_id)
        if contact is None:
            continue  # removed since: nothing to thank them through
        item = standing_of(
            store, contact, settings.default_cadence_days, now, unanswered_counts=settings.unanswered_counts
        )
        owner = views.owner_view(settings.owner_name, settings.owner_address)
        language = language_of(store, contact, settings.draft_language)
        context, _ = views.entry_view(
            renderer, item, number=1, rotation=0, now=now, owner=owner, language=language
        )
        context["thanks"] = {"what": what}
        names = [draft_name("thanks.txt.j2", language)]
        draft = renderer.draft(contact.primary_email, contact.group, context, 0, names=names)
        context["draft"] = views.draft_view(draft, contact.primary_email)
        name = views.first_name(contact.name, contact.primary_email)
        context["story"] = f"You wanted to thank {name} for {what}."
        common = {
            "commands": views.commands_view(),
            "fallback_notes": [n for n in [draft.fallback_note] if n],
        }
        subject = compose.one_line(f"Say thanks to {contact.name or contact.primary_email} for {what}")

        def write(
            token: str,
            context: dict[str, Any] = context,
            common: dict[str, Any] = common,
            subject: str = subject,
            contact_id: int = contact.id,
        ) -> Letter:
            variables = {**context, **common, "token": token}
            return Letter(
                subject,
                renderer.render("reminder.txt.j2", variables).text,
                renderer.render("reminder.html.j2", variables).text,
                about=((1, contact_id),),
                drafts=(views.draft_text(variables),),
            )

        _, msg = drafts.queue(store, settings, OutboxKind.THANKS, now, write)
        messages.append(msg)
    store.extras.mark_thanks_delivered(delivered, now)
    return messages
