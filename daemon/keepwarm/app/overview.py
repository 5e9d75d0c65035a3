"""The weekly overview email: gathered from the store, decided by ``domain.overview``, rendered
from ``overview.txt.j2`` and ``overview.html.j2`` (bars drawn with table cells, no images)."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

from keepwarm.app import contacts, outbox
from keepwarm.app.reminders import ReminderSettings
from keepwarm.domain.overview import weekly
from keepwarm.mail import compose
from keepwarm.render import views
from keepwarm.render.engine import Renderer
from keepwarm.store import Store


def queue(store: Store, renderer: Renderer, settings: ReminderSettings, now: datetime) -> None:
    """Render the overview and put it in the outbox."""
    standings = contacts.due_list(store, settings.default_cadence_days, now)
    overview = weekly(standings, store.touches(), store.extras.openers(), now)
    variables = {
        **views.overview_view(overview, now),
        "owner": views.owner_view(settings.owner_name, settings.owner_address),
    }

    def build(token: str) -> EmailMessage:
        return compose.build(
            kind="overview",
            daemon_address=settings.daemon_address,
            owner_address=settings.owner_address,
            subject=f"Your week in touch — {variables['week_ending']}",
            text=renderer.render("overview.txt.j2", variables).text,
            html=renderer.render("overview.html.j2", variables).text,
            token=token,
            now=now,
            plus_addressing=settings.plus_addressing,
        )

    with store.transaction():
        outbox.enqueue(store, "overview", settings.secret, now, build)
        store.reminders.note_run("last_overview_run", now)
