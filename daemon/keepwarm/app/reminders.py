"""The reminder job: settle open reminders, pick who is due, render, and queue in the outbox.

Decisions come from the domain (``reminders.pick``, ``reminders.settle``); this module gathers
what they need, renders each message, and records everything in one store transaction before
anything is sent. Delivery is ``outbox.deliver``'s job.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime
from email.message import EmailMessage

from keepwarm.app import contacts, dated, drafts, occasions
from keepwarm.app.contacts import last_touches
from keepwarm.app.outbox import Letter
from keepwarm.app.settings import Settings
from keepwarm.domain.due import DueStatus, Standing
from keepwarm.domain.model import Contact, Touch
from keepwarm.domain.outbox import OutboxKind, OutboxState
from keepwarm.domain.quiet import Quiet, quiet_of
from keepwarm.domain.reminders import Entry, EntryState, Pick, later_days, owes_reply, ranked, settle
from keepwarm.domain.rhythm import typical_gap_days
from keepwarm.mail import compose
from keepwarm.render import samples, views
from keepwarm.render.engine import Renderer
from keepwarm.store import Store

log = logging.getLogger("keepwarm.reminders")


def settle_open(store: Store, now: datetime) -> int:
    """Close open reminders whose contact was touched since, or removed, paused or snoozed."""
    entries = store.reminders.entries()
    if not any(e.state is EntryState.OPEN for e in entries):
        return 0
    contacts = store.contacts()
    last_at = {contact_id: touch.at for contact_id, touch in last_touches(store).items()}
    quiet = {c.id for c in contacts if c.paused or (c.snoozed_until is not None and c.snoozed_until > now)}
    settlements = settle(entries, last_at, {c.id for c in contacts}, quiet)
    if settlements:
        store.reminders.set_entry_states((s.entry_id, s.state) for s in settlements)
        _cancel_unsent(store, entries, {s.entry_id for s in settlements})
    return len(settlements)


def settle_openers(store: Store) -> int:
    """Openers are used once a touch with their contact follows them."""
    pending = store.extras.openers()
    if not pending:
        return 0
    latest = last_touches(store)
    used: dict[int, datetime] = {}
    for opener in pending:
        touch = latest.get(opener.contact_id)
        if touch is not None and touch.at > opener.added_at:
            used[opener.id] = touch.at
    for opener_id, at in used.items():
        store.extras.mark_used([opener_id], at)
    return len(used)


def _cancel_unsent(store: Store, entries: list[Entry], closed: set[int]) -> None:
    """An outbox message none of whose entries is still open need not be sent any more."""
    by_outbox: dict[int, list[Entry]] = {}
    for entry in entries:
        by_outbox.setdefault(entry.outbox_id, []).append(entry)
    for outbox_id, group in by_outbox.items():
        if all(e.id in closed or e.state is not EntryState.OPEN for e in group):
            item = store.outbox.get(outbox_id)
            if item is not None and item.state is OutboxState.PENDING:
                store.outbox.update(item.with_changes(state=OutboxState.CANCELLED))


def quiet_for(store: Store, item: Standing) -> Quiet:
    """How many times the owner has written to this contact since their last answer."""
    return quiet_of(store.touches_for(item.contact.emails))


def _waits_for_quiet(store: Store, item: Standing, quiet_after: int) -> bool:
    """Gone quiet: a due person's reminder waits two, four, eight cadences instead of one."""
    if item.status not in (DueStatus.DUE, DueStatus.OVERDUE) or item.days_since_last_touch is None:
        return False
    stretch = quiet_for(store, item).stretch(quiet_after)
    return stretch > 1 and item.days_since_last_touch < item.cadence_days * stretch


def _queue_order(store: Store, settings: Settings, now: datetime) -> tuple[list[Pick], int]:
    """Everyone due a reminder now, in the cap's order, and how many the cap still allows today."""
    standings = contacts.due_list(
        store, settings.default_cadence_days, now, unanswered_counts=settings.unanswered_counts
    )
    if settings.quiet_after:
        standings = [s for s in standings if not _waits_for_quiet(store, s, settings.quiet_after)]
    # A meeting to come within her cadence holds her reminder until after it.
    seeing = contacts.meetings_ahead(store, standings, now)
    standings = [s for s in standings if s.contact.id not in seeing]
    entries = store.reminders.entries()
    open_entries = {e.contact_id: e for e in entries if e.state is EntryState.OPEN}
    # The cap counts people reminded today, whether one email each or one digest for all.
    today = now.date()
    sent_today = sum(1 for e in entries if e.created_at.astimezone(now.tzinfo).date() == today)
    return ranked(standings, open_entries, now, owed_after=settings.owed_after), max(
        0, settings.cap - sent_today
    )


def choose(store: Store, settings: Settings, now: datetime) -> list[Pick]:
    """Who gets a reminder now, most overdue first, within today's cap."""
    order, room = _queue_order(store, settings, now)
    return order[:room]


def held_back(store: Store, settings: Settings, now: datetime) -> list[tuple[Standing, date]]:
    """Who is due but waits for the daily cap, with the day each would come if nobody else fell
    due meanwhile (``remind --dry-run`` and ``--now`` say so rather than "nobody is due")."""
    order, room = _queue_order(store, settings, now)
    waiting = [p.standing for p in order[room:]]
    days = later_days(len(waiting), settings.cap, now.date(), settings.reminder_days)
    return list(zip(waiting, days, strict=False))


def extras_for(store: Store, contact: Contact, now: datetime, history: list[Touch]) -> views.Extras:
    """The contact's pending openers, the owner's news if this contact has not heard it, and the
    rhythm of their past conversations (``history``: their touches, oldest first)."""
    news = store.extras.news(now)
    if news is not None and any(
        e.contact_id == contact.id and e.news_key == news.key for e in store.reminders.entries()
    ):
        news = None  # told once is enough
    times = [t.at for t in history]
    return views.Extras(tuple(store.extras.openers(contact.id)), news, typical_gap_days(times))


def subject_for(picks: list[Pick], owed_after: int = 0) -> str:
    """``Check in with Alice Example — 47 days``, ``Reply to Alice Example — 'Trip photos', 9 days
    ago``; a digest names up to three people; a catch-up digest with nobody due welcomes the owner back."""
    if not picks:
        return "Welcome back: what happened while you were away"
    if len(picks) == 1:
        item = picks[0].standing
        name = compose.one_line(item.contact.name or item.contact.primary_email)
        days = item.days_since_last_touch
        if owes_reply(item, owed_after) and item.last_touch is not None:
            topic = views.bare_subject(item.last_touch.subject)
            about = f" '{topic}'," if topic else ""
            return compose.one_line(f"Reply to {name} —{about} {days} days ago")
        return f"Check in with {name} — {days} days" if days is not None else f"Check in with {name}"
    names = [views.first_name(p.standing.contact.name, p.standing.contact.primary_email) for p in picks]
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return compose.one_line(f"Check in with {shown}")


def kind_of(settings: Settings) -> OutboxKind:
    """What the reminder job sends: one reminder per person, or one digest for everyone."""
    return OutboxKind.DIGEST if settings.digest else OutboxKind.REMINDER


def write(
    store: Store,
    renderer: Renderer,
    settings: Settings,
    picks: list[Pick],
    *,
    token: str,
    now: datetime,
) -> Letter:
    """Render one reminder (one pick) or one digest (several)."""
    owner = views.owner_view(settings.owner_name, settings.owner_address)
    entries, notes = [], []
    for number, chosen in enumerate(picks, start=1):
        # Each earlier reminder moves the draft on to its next variant.
        rotation = sum(1 for e in store.reminders.entries() if e.contact_id == chosen.standing.contact.id)
        history = store.touches_for(chosen.standing.contact.emails)  # read once: rhythm and quiet
        context, fallback = views.entry_view(
            renderer,
            chosen.standing,
            number=number,
            rotation=rotation,
            now=now,
            owner=owner,
            extras=extras_for(store, chosen.standing.contact, now, history),
            owed=owes_reply(chosen.standing, settings.owed_after),
            language=contacts.language_of(store, chosen.standing.contact, settings.draft_language),
        )
        quiet = quiet_of(history)
        if quiet.is_quiet(settings.quiet_after):
            said = quiet.describe()
            context["quiet"] = {"count": quiet.unanswered, "text": said}
            context["story"] = f"{context['story']} {said[:1].upper()}{said[1:]}"
        entries.append(context)
        notes.extend(fallback)
    subject = subject_for(picks, settings.owed_after)
    reply_to, reply_subject = settings.owner_mail().reply_to(token), compose.one_line(f"Re: {subject}")
    for entry in entries:
        entry["actions"] = views.actions_view(
            reply_to, reply_subject, entry["number"] if settings.digest else None
        )
    common = {"owner": owner, "commands": views.commands_view(), "token": token}
    if settings.digest:
        context = {**common, "entries": entries, "missed": occasions.missed_while_away(store, now)}
        names = ("digest.txt.j2", "digest.html.j2")
    else:
        context = {**common, **entries[0]}
        names = ("reminder.txt.j2", "reminder.html.j2")
    text = renderer.render(names[0], {**context, "fallback_notes": notes})
    html = renderer.render(names[1], {**context, "fallback_notes": notes})
    notes += [n for n in (text.fallback_note, html.fallback_note) if n and n not in notes]
    if notes and (text.fallback_note or html.fallback_note):
        text = renderer.render(names[0], {**context, "fallback_notes": notes})
        html = renderer.render(names[1], {**context, "fallback_notes": notes})
    about = tuple((n, p.standing.contact.id) for n, p in enumerate(picks, start=1))
    drafts = tuple(views.draft_text(entry) for entry in entries if entry.get("draft"))
    return Letter(subject, text.text, html.text, about=about, drafts=drafts)


def _grouped(store: Store, settings: Settings, picks: list[Pick], now: datetime) -> list[list[Pick]]:
    """One digest for all of them, or one reminder each. The catch-up digest comes even with
    nobody due when it has birthdays or dates missed while away to tell of."""
    if settings.digest and not picks and occasions.missed_while_away(store, now):
        return [[]]
    return [picks] if settings.digest and picks else [[p] for p in picks]


def run(
    store: Store, renderer: Renderer, settings: Settings, now: datetime, *, dry_run: bool = False
) -> list[EmailMessage]:
    """Queue today's reminders (or, with ``dry_run``, only render them). Returns the messages."""
    settings.owner_mail()  # refuse at once, naming the missing settings, rather than after the work
    away = store.runs.away_until()
    if away is not None and now.date() < away:
        if not dry_run:
            log.info("away until %s: no reminders", away)
            store.runs.note("last_reminder_run", now, last_reminder_count=0)  # the slot is taken
        return []
    if store.runs.catch_up_due():
        # Back from time away: one calm digest of today's share; the others follow day by day
        # within the cap, as they would have.
        settings = replace(settings, digest=True)
    if dry_run:
        groups = _grouped(store, settings, choose(store, settings, now), now)
        return [preview(store, renderer, settings, g, now) for g in groups] + occasions.preview(
            store, renderer, settings, now
        )
    messages = []
    # Whom to remind is chosen inside the transaction that queues them: a run in another process
    # (the daemon's, ``remind --now``) waits, then finds their reminders open, and none goes twice.
    with store.transaction():
        settle_open(store, now)
        picks = choose(store, settings, now)
        for group in _grouped(store, settings, picks, now):
            messages.append(_queue(store, renderer, settings, group, now))
        # Birthdays and yearly dates come whether or not the person is due, outside the cap.
        messages += occasions.queue(store, renderer, settings, now)
        messages += dated.queue(store, renderer, settings, now)
        store.runs.note("last_reminder_run", now, last_reminder_count=len(picks))
        if settings.digest and store.runs.catch_up_due():
            store.runs.caught_up()
    return messages


def preview(
    store: Store, renderer: Renderer, settings: Settings, picks: list[Pick], now: datetime
) -> EmailMessage:
    """The message these picks would get, with a token that authenticates nothing (dry runs)."""
    letter = write(store, renderer, settings, picks, token=samples.DRY_RUN_TOKEN, now=now)
    return settings.owner_mail().build(kind_of(settings), letter, samples.DRY_RUN_TOKEN, now)


def preview_for(
    store: Store, renderer: Renderer, settings: Settings, term: str, now: datetime
) -> EmailMessage:
    """Exactly what one contact's reminder would be now (``keepwarm templates render``)."""
    contact = contacts.resolve(store, term)
    item = contacts.standing_of(
        store, contact, settings.default_cadence_days, now, unanswered_counts=settings.unanswered_counts
    )
    return preview(store, renderer, settings, [Pick(item, 1, None)], now)


def _queue(
    store: Store, renderer: Renderer, settings: Settings, group: list[Pick], now: datetime
) -> EmailMessage:
    """Reserve an outbox row (its id is in the token), render, and record the entries."""

    def letter(token: str) -> Letter:
        return write(store, renderer, settings, group, token=token, now=now)

    outbox_id, msg = drafts.queue(store, settings, kind_of(settings), now, letter)
    store.reminders.set_entry_states(
        (p.supersedes, EntryState.SUPERSEDED) for p in group if p.supersedes is not None
    )
    news = store.extras.news(now)
    for number, chosen in enumerate(group, start=1):
        store.reminders.add_entry(
            Entry(
                0,
                chosen.standing.contact.id,
                now,
                chosen.nth,
                EntryState.OPEN,
                outbox_id,
                number,
                news_key=news.key if news else "",
            )
        )
    log.info("queued reminder %s: %s", outbox_id, msg["Subject"])
    return msg
