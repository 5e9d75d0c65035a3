"""The weekly overview email: gathered from the store, decided by ``domain.overview``, rendered
from ``overview.txt.j2`` and ``overview.html.j2`` (bars drawn with table cells, no images)."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

from keepwarm.app import contacts
from keepwarm.app.outbox import Letter
from keepwarm.app.settings import Settings
from keepwarm.domain.outbox import OutboxKind
from keepwarm.domain.overview import weekly
from keepwarm.render import views
from keepwarm.render.engine import Renderer
from keepwarm.store import Store


def write(store: Store, renderer: Renderer, settings: Settings, now: datetime, token: str) -> Letter:
    """The overview around its token: each slipping person has one-tap links to this message's
    reply address, numbered as a reply to it reads them ("done 1", "snooze 2 2w")."""
    standings = contacts.due_list(
        store, settings.default_cadence_days, now, unanswered_counts=settings.unanswered_counts
    )
    overview = weekly(standings, store.touches(), store.extras.openers(), now)
    variables = {
        **views.overview_view(overview, now),
        "owner": views.owner_view(settings.owner_name, settings.owner_address),
    }
    subject = f"Your week in touch — {variables['week_ending']}"
    reply_to = settings.owner_mail().reply_to(token)
    for number, item in enumerate(variables["slipping"], start=1):
        item["actions"] = views.actions_view(reply_to, f"Re: {subject}", number)
    return Letter(
        subject,
        renderer.render("overview.txt.j2", variables).text,
        renderer.render("overview.html.j2", variables).text,
        # "done 1", "snooze 2 3w": a reply acts on the people numbered under "slipping".
        about=tuple((n, s.contact.id) for n, s in enumerate(overview.slipping, start=1)),
    )


def queue(store: Store, renderer: Renderer, settings: Settings, now: datetime) -> None:
    """Render the overview and put it in the outbox."""
    with store.transaction():
        settings.owner_mail().queue(
            store, OutboxKind.OVERVIEW, now, lambda token: write(store, renderer, settings, now, token)
        )
        store.runs.note("last_overview_run", now)


def preview(store: Store, renderer: Renderer, settings: Settings, now: datetime) -> EmailMessage:
    """The overview as it would go now (``keepwarm overview --preview``), changing nothing."""
    from keepwarm.render import samples

    token = samples.DRY_RUN_TOKEN
    letter = write(store, renderer, settings, now, token)
    return settings.owner_mail().build(OutboxKind.OVERVIEW, letter, token, now)
