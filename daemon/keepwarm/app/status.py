"""What ``keepwarm status`` reports: when things last ran, the counts, the outbox, recent errors.

The same facts for people and for scripts (``--json``): the CLI only lays them out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from keepwarm.app.answers import hold_until
from keepwarm.app.settings import Settings
from keepwarm.domain.outbox import OutboxState
from keepwarm.store import Store
from keepwarm.store.runs import REAUTHORISATION

RECENT_ERRORS = 5


def report(store: Store, settings: Settings, now: datetime) -> dict[str, Any]:
    """The status as plain data (times as ISO 8601 text, or None)."""
    runs = store.runs.get()
    held = store.outbox.held()
    release = hold_until(store, settings, now) if held else None
    errors = runs.get("errors", [])
    items = store.outbox.items()
    return {
        "last_poll": runs.get("last_poll"),
        "last_reminder_run": runs.get("last_reminder_run"),
        "contacts": store.count("contacts"),
        "touches": store.count("touches"),
        "skipped": store.counts("skipped"),
        "outbox_pending": sum(1 for i in items if i.state is OutboxState.PENDING),
        "outbox_failed": [
            {"id": i.id, "subject": i.subject, "error": i.last_error}
            for i in items
            if i.state is OutboxState.FAILED
        ],
        "recent_errors": [{"at": e["at"], "error": e["error"]} for e in errors[-RECENT_ERRORS:]],
        # Only the latest few: once a later attempt failed for another reason, or none did, the
        # owner has presumably acted.
        "reauthorisation_needed": any(e.get("kind") == REAUTHORISATION for e in errors[-3:]),
        # Answers the hourly cap holds back: they go out together at this time (or the next poll).
        "answers_held": len(held),
        "answers_released_at": (release or now).isoformat() if held else None,
    }
