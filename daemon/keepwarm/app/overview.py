"""The weekly overview email: gathered from the store, decided by ``domain.overview``, rendered
from ``overview.txt.j2`` and ``overview.html.j2`` (bars drawn with table cells, no images)."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from typing import Any

from keepwarm.app import contacts, outbox
from keepwarm.app.reminders import ReminderSettings
from keepwarm.domain.overview import GroupGlance, Overview, weekly
from keepwarm.mail import compose
from keepwarm.render import views
from keepwarm.render.engine import Renderer
from keepwarm.store import Store

BAR_WIDTH = 20


def _bar(glance: GroupGlance) -> dict[str, Any]:
    """Widths (in percent, and in characters for the text part) of each part of a group's bar."""
    total = max(1, glance.total)
    parts = [
        ("fine", glance.fine),
        ("upcoming", glance.upcoming),
        ("overdue", glance.overdue),
        ("paused", glance.paused),
    ]
    return {
        "name": glance.name,
        "total": glance.total,
        **dict(parts),
        "percent": {name: round(100 * count / total) for name, count in parts},
        "text": "".join(
            ch * round(BAR_WIDTH * count / total) for (_, count), ch in zip(parts, "=+!.", strict=True)
        ),
    }


def context(overview: Overview, now: datetime) -> dict[str, Any]:
    """Template variables of the overview (documented in templates/README.md)."""
    return {
        "week_ending": now.strftime("%-d %B %Y"),
        "touched": [
            {"name": c.name or c.primary_email, "email": c.primary_email, "count": n}
            for c, n in overview.touched
        ],
        "slipping": [
            {
                "name": s.contact.name or s.contact.primary_email,
                "days_since": s.days_since_last_touch,
                "cadence": views.contact_view(s.contact, s)["cadence"],
                "story": views.story(s, now),
            }
            for s in overview.slipping
        ],
        "birthdays": [
            {"name": c.name or c.primary_email, "date": d.strftime("%-d %B"), "age": age}
            for c, d, age in overview.birthdays
        ],
        "openers": [
            {"name": c.name or c.primary_email, "title": o.title, "id": o.id} for c, o in overview.openers
        ],
        "groups": [_bar(g) for g in overview.groups],
    }


def queue(store: Store, renderer: Renderer, settings: ReminderSettings, now: datetime) -> None:
    """Render the overview and put it in the outbox."""
    standings = contacts.due_list(store, settings.default_cadence_days, now)
    overview = weekly(standings, store.touches(), store.extras.openers(), now)
    variables = {
        **context(overview, now),
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
