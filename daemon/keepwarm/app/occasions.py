"""Birthday and yearly-date reminders: on the day, and ``BIRTHDAY_NOTICE`` days ahead.

``domain.occasions`` decides which fall today; this module renders each as a reminder of its own
(the reminder templates, with the occasion named and a draft from ``drafts/birthday.txt.j2``, or
``drafts/date.txt.j2`` for other dates, per contact or group like every draft), queues it outside
the daily cap, and remembers its key so a second run that day sends nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from email.message import EmailMessage

from keepwarm.app import contacts, drafts
from keepwarm.app.outbox import Letter
from keepwarm.app.settings import Settings
from keepwarm.domain.occasions import Occasion, missed, occasions
from keepwarm.domain.outbox import OutboxKind
from keepwarm.mail import compose
from keepwarm.render import views
from keepwarm.render.engine import Renderer
from keepwarm.store import Store

log = logging.getLogger("keepwarm.occasions")


def due_occasions(store: Store, settings: Settings, now: datetime) -> list[Occasion]:
    """The occasions of today not yet reminded of."""
    sent = store.runs.sent_occasions()
    found = occasions(store.contacts(), now.date(), settings.birthday_notice)
    return [o for o in found if o.key not in sent]


def subject_for(occasion: Occasion) -> str:
    """``Alice Example's birthday is today, 4 December (turning 36)``."""
    name = occasion.contact.name or occasion.contact.primary_email
    return compose.one_line(f"{name}'s {occasion.describe()}")


def missed_while_away(store: Store, now: datetime) -> list[str]:
    """For the catch-up digest: the birthdays and dates that fell while the owner was away, whose
    own reminders were held back ("Alice's birthday was on Saturday 3 January (turned 36)")."""
    since = store.runs.away_since()
    if since is None or not store.runs.catch_up_due():
        return []
    return [
        f"{views.first_name(o.contact.name, o.contact.primary_email)}'s {o.describe_past()}."
        for o in missed(store.contacts(), since, now.date())
    ]


def write(
    store: Store, renderer: Renderer, settings: Settings, occasion: Occasion, *, token: str, now: datetime
) -> Letter:
    """One occasion's reminder: the reminder templates, the occasion's own draft."""
    person = occasion.contact
    owner = views.owner_view(settings.owner_name, settings.owner_address)
    item = contacts.standing_of(
        store, person, settings.default_cadence_days, now, unanswered_counts=settings.unanswered_counts
    )
    context, notes = views.entry_view(
        renderer,
        item,
        number=1,
        rotation=now.year,
        now=now,
        owner=owner,
        occasion=occasion,
        language=contacts.language_of(store, person, settings.draft_language),
    )
    context["story"] = f"{views.first_name(person.name, person.primary_email)}'s {occasion.describe()}."
    text, html = views.single_letter_parts(renderer, context, notes, owner, token)
    return Letter(
        subject_for(occasion), text, html, about=((1, person.id),), drafts=(views.draft_text(context),)
    )


def queue(store: Store, renderer: Renderer, settings: Settings, now: datetime) -> list[EmailMessage]:
    """Queue today's birthday and date reminders (outside the daily cap), each once."""
    found = due_occasions(store, settings, now)
    if not found:
        return []
    messages = []
    with store.transaction():
        for occasion in found:

            def letter(token: str, occasion: Occasion = occasion) -> Letter:
                return write(store, renderer, settings, occasion, token=token, now=now)

            _, msg = drafts.queue(store, settings, OutboxKind.REMINDER, now, letter)
            messages.append(msg)
            log.info("queued %s", msg["Subject"])
        store.runs.mark_occasions([o.key for o in found], now)
    return messages


def preview(store: Store, renderer: Renderer, settings: Settings, now: datetime) -> list[EmailMessage]:
    """What ``queue`` would send now (dry runs), with a token that authenticates nothing."""
    from keepwarm.render import samples

    mail = settings.owner_mail()
    return [
        mail.build(
            OutboxKind.REMINDER,
            write(store, renderer, settings, o, token=samples.DRY_RUN_TOKEN, now=now),
            samples.DRY_RUN_TOKEN,
            now,
        )
        for o in due_occasions(store, settings, now)
    ]
