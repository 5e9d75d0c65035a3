"""What ``keepwarm status`` reports: when things last ran, the counts, the outbox, recent errors.

The same facts for people and for scripts (``--json``): the CLI only lays them out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from keepwarm.app import contacts
from keepwarm.app.answers import hold_until
from keepwarm.app.settings import Mailbox, Settings
from keepwarm.domain.authres import servid_label
from keepwarm.domain.events import seeing
from keepwarm.domain.outbox import OutboxState
from keepwarm.domain.records import iso
from keepwarm.store import Store
from keepwarm.store.runs import REAUTHORISATION

RECENT_ERRORS = 5


def sender_check(store: Store | None, settings: Settings) -> dict[str, Any]:
    """How keepwarm knows mail "from the owner" is hers: the authserv-id whose stamp it checks
    (set as AUTH_SERVID, or learned from her first reply), else whether she trusts From. (No
    store yet: nothing learned yet.)"""
    configured = settings.who.servid
    learned = None if configured or store is None else store.runs.learned_servid()
    return {
        "servid": configured or learned,
        "learned_at": store.runs.get().get("servid_learned_at") if store and learned else None,
        "trust_from": settings.who.trust_from,
    }


def describe_sender_check(check: dict[str, Any]) -> str:
    """The sender check in one line, for ``status`` and ``check``."""
    if check["servid"]:
        whose = f"the stamp of {servid_label(check['servid'])}"
        if check["learned_at"]:
            return f"{whose} (learned {check['learned_at'][:10]} from your reply)"
        return f"{whose} (AUTH_SERVID)"
    if check["trust_from"]:
        return "none: the From header is trusted as it is (TRUST_FROM=yes)"
    return (
        "none yet: adding people and sharing by mail wait for a reply to keepwarm's mail, "
        "from which it learns your provider's stamp (or set AUTH_SERVID)"
    )


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
        "recent_errors": [
            {"at": e["at"], "error": e["error"], "cleared": cleared(e, runs)} for e in errors[-RECENT_ERRORS:]
        ],
        # Only the latest few: once a later attempt failed for another reason, or none did, the
        # owner has presumably acted.
        "reauthorisation_needed": any(e.get("kind") == REAUTHORISATION for e in errors[-3:]),
        # Answers the hourly cap holds back: they go out together at this time (or the next poll).
        "answers_held": len(held),
        "answers_released_at": (release or now).isoformat() if held else None,
        "sender_check": sender_check(store, settings),
        "mailboxes": mailboxes(store, settings, errors),
        "addressbooks": [
            {"name": b.name, "synced_at": iso(b.synced_at), "error": b.error, "gone": list(b.gone)}
            for b in store.books.books()
        ],
        "calendars": [
            {
                "name": c.name,
                "synced_at": iso(c.synced_at),
                "error": c.error,
                "problems": list(c.problems),
                "upcoming": len(c.upcoming),
            }
            for c in store.calendars.calendars()
        ],
        "seeing": seeing_soon(store, settings, now),
    }


# An error of a step is over once the same step has succeeded after it.
_SUCCESS_OF = {"poll": "last_poll", "remind": "last_reminder_run"}


def cleared(error: dict[str, Any], runs: dict[str, Any]) -> bool:
    """Whether a later attempt of the step that failed has succeeded (``status`` then stops
    showing the error as current)."""
    step = error["error"].split(":", 1)[0]
    done = runs.get(_SUCCESS_OF.get(step, ""))
    return isinstance(done, str) and datetime.fromisoformat(done) > datetime.fromisoformat(error["at"])


def mailboxes(store: Store, settings: Settings, errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per mailbox: the folders read so far (their last UID) and its latest error, if any."""
    states = store.folder_states()
    found = []
    for box in (Mailbox(settings.mailbox_name), *settings.more_mailboxes):
        if box.first:
            folders = {
                f: uid
                for f, (_, uid) in states.items()
                if not any(f.startswith(m.prefix) for m in settings.more_mailboxes)
            }
        else:
            folders = {
                f.removeprefix(box.prefix): uid for f, (_, uid) in states.items() if f.startswith(box.prefix)
            }
        mine = [e for e in errors if f"mailbox {box.name}:" in e["error"]]
        found.append(
            {"name": box.name, "folders": folders, "last_error": mine[-1]["error"] if mine else None}
        )
    return found


def seeing_soon(store: Store, settings: Settings, now: datetime) -> list[str]:
    """ "you're seeing Alice on Friday" for each contact whose meeting holds her reminder."""
    if not store.calendars.upcoming():
        return []
    items = contacts.due_list(
        store, settings.default_cadence_days, now, unanswered_counts=settings.unanswered_counts
    )
    held = contacts.meetings_ahead(store, items, now)
    who = {s.contact.id: s.contact for s in items}
    return [seeing(who[i], m, now) for i, m in sorted(held.items(), key=lambda x: x[1].start)]
