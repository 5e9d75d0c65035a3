"""The weekly overview email: gathered from the store, decided by ``domain.overview``, rendered
from ``overview.txt.j2`` and ``overview.html.j2`` (bars drawn with table cells, no images)."""

from __future__ import annotations

from datetime import datetime

from keepwarm.app import contacts
from keepwarm.app.outbox import Letter
from keepwarm.app.settings import Settings
from keepwarm.domain.outbox import OutboxKind
from keepwarm.domain.overview import weekly
from keepwarm.render import views
from keepwarm.render.engine import Renderer
from keepwarm.store import Store


def queue(store: Store, renderer: Renderer, settings: Settings, now: datetime) -> None:
    """Render the overview and put it in the outbox."""
    standings = contacts.due_list(
        store, settings.default_cadence_days, now, unanswered_counts=settings.unanswered_counts
    )
    overview = weekly(standings, store.touches(), store.extras.openers(), now)
    variables = {
        **views.overview_view(overview, now),
        "owner": views.owner_view(settings.owner_name, settings.owner_address),
    }

    letter = Letter(
        f"Your week in touch — {variables['week_ending']}",
        renderer.render("overview.txt.j2", variables).text,
        renderer.render("overview.html.j2", variables).text,
        # "done 1", "snooze 2 3w": a reply acts on the people numbered under "slipping".
        about=tuple((n, s.contact.id) for n, s in enumerate(overview.slipping, start=1)),
    )
    with store.transaction():
        settings.owner_mail().queue(store, OutboxKind.OVERVIEW, now, letter)
        store.runs.note("last_overview_run", now)
