"""keepwarm's answers to the owner's commands: the confirmation in the command's thread, the
facts asked for (due, list, news), the daily notice of a rejected stranger, and the answers the
hourly cap holds back, sent together once the hour allows. Nothing is ever silently dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_string, policy
from email.message import EmailMessage

from keepwarm.app import contacts
from keepwarm.app.outbox import Letter
from keepwarm.app.settings import Settings
from keepwarm.domain.due import UPCOMING_DAYS, Standing
from keepwarm.domain.durations import ago, format_cadence
from keepwarm.domain.inbound import InboundMail
from keepwarm.domain.outbox import OutboxItem, OutboxKind, OutboxState
from keepwarm.mail import compose
from keepwarm.render import views
from keepwarm.render.engine import Renderer
from keepwarm.store import Store

log = logging.getLogger("keepwarm.commands")

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Answer:
    """What one answer says: the changes, an error, the facts asked for, and what a reply to it
    acts on (entry number -> contact id) and undoes (a change id)."""

    lines: Sequence[str] = ()
    error: str | None = None
    asked: Sequence[str] = ()
    no_command: bool = False
    about: tuple[tuple[int, int], ...] = ()
    change: int | None = None
    extra: dict[str, str] = field(default_factory=dict)
    # Something keepwarm learned from this message, said above the rest.
    notice: str | None = None
    # One-tap answers to it: (label, command), each a mailto: link to this answer's reply address.
    taps: tuple[tuple[str, str], ...] = ()


def hold_until(store: Store, settings: Settings, now: datetime) -> datetime | None:
    """When the hourly cap next lets an answer through, or None when it does now."""
    answered = sorted(
        i.created_at
        for i in store.outbox.items({OutboxKind.CONFIRMATION})
        if i.state is not OutboxState.HELD and i.created_at >= now - HOUR
    )
    if len(answered) < settings.max_replies_per_hour:
        return None
    return answered[-settings.max_replies_per_hour] + HOUR


class Answers:
    """Writes and queues the answers of one store and settings."""

    def __init__(self, store: Store, renderer: Renderer, settings: Settings) -> None:
        self.store = store
        self.renderer = renderer
        self.settings = settings
        self.mail = settings.owner_mail()

    def answer(self, mail: InboundMail, to: str, answer: Answer, now: datetime) -> int:
        """Queue the answer in the command's thread (held back if the hourly cap is reached)."""
        held = hold_until(self.store, self.settings, now) is not None
        if held:
            log.warning("holding the answer to %s: MAX_REPLIES_PER_HOUR reached", mail.key)
        subject = mail.subject if mail.subject.lower().startswith("re:") else f"Re: {mail.subject}"

        def letter(token: str) -> Letter:
            return Letter(
                subject,
                self._text(answer, now, token, subject),
                in_reply_to=mail.message_id,
                references=mail.references,
                about=answer.about,
                change=answer.change,
            )

        item_id, _ = self.mail.queue(self.store, OutboxKind.CONFIRMATION, now, letter, to=to, held=held)
        return item_id

    def summary(self, subject: str, answer: Answer, now: datetime) -> EmailMessage:
        """Queue an answer of its own (in no thread): the daily summary of what BCCs did. Once a
        day, so never held back by the hourly cap; a reply to it acts on its numbered entries."""

        def letter(token: str) -> Letter:
            text = self._text(answer, now, token, f"Re: {subject}")
            return Letter(subject, text, about=answer.about, change=answer.change)

        return self.mail.queue(self.store, OutboxKind.CONFIRMATION, now, letter)[1]

    def _text(self, answer: Answer, now: datetime, token: str, reply_subject: str) -> str:
        """The answer's text, its one-tap links going to its own reply address (with its token)."""
        reply_to = self.mail.reply_to(token)
        context = self._context(answer, now) | {
            "taps": [
                {"label": label, "mailto": compose.mailto(reply_to, compose.one_line(reply_subject), command)}
                for label, command in answer.taps
            ]
        }
        return self.renderer.render("confirmation.txt.j2", context).text

    def _context(self, answer: Answer, now: datetime) -> dict[str, object]:
        return {
            "owner": views.owner_view(self.settings.owner_name, self.mail.owner_address),
            "lines": list(answer.lines),
            "notice": answer.notice,
            "error": answer.error,
            "no_command": answer.no_command,
            "help": "help" in answer.asked,
            "commands": views.commands_view(),
            "all_commands": views.help_view(),
            "daemon_address": self.mail.daemon_address,
            "due": self._due_lines(now) if "due" in answer.asked else None,
            "contacts": self._contact_lines(now) if "list" in answer.asked else None,
            "news": self._news_line(now) if "news" in answer.asked else None,
        }

    def reject(self, mail: InboundMail, sender: str, reason: str, now: datetime) -> None:
        """Tell the owner (never the sender) that a command was refused, at most once a day."""
        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        if self.store.outbox.count({OutboxKind.REJECTION}, day_start) >= 1:
            return
        context = {
            "sender": sender,
            "reason": reason,
            "subject": mail.subject,
            "at": now.strftime("%Y-%m-%d %H:%M"),
        }
        text = self.renderer.render("rejection.txt.j2", context).text
        self.mail.queue(self.store, OutboxKind.REJECTION, now, Letter("keepwarm rejected a command", text))

    def _standings(self, now: datetime) -> list[Standing]:
        return contacts.due_list(
            self.store,
            self.settings.default_cadence_days,
            now,
            unanswered_counts=self.settings.unanswered_counts,
        )

    def _due_lines(self, now: datetime) -> list[str]:
        items = self._standings(now)
        shown = [s for s in items if s.status.value in ("overdue", "due", "upcoming")]
        why = contacts.reasons(self.store, shown, now, UPCOMING_DAYS, self.settings.owed_after)
        return [
            f"{s.contact.label}: {when_due(s, now)}; last in touch {ago(s.days_since_last_touch)}"
            + (f" ({', '.join(why[s.contact.id])})" if why.get(s.contact.id) else "")
            for s in shown
        ]

    def _news_line(self, now: datetime) -> str:
        news = self.store.extras.news(now)
        if news is None:
            return "You have no current news. Write 'news: …' to set some."
        return f"Your news, until {news.until:%Y-%m-%d}: {news.text}"

    def _contact_lines(self, now: datetime) -> list[str]:
        items = self._standings(now)
        items.sort(key=lambda s: s.contact.name.casefold() or s.contact.primary_email)
        return [
            s.contact.label
            + (f" [{s.contact.group}]" if s.contact.group else "")
            + f": {format_cadence(s.cadence_days)}, {when_due(s, now)}"
            for s in items
        ]


def when_due(item: Standing, now: datetime) -> str:
    """``overdue since 10 November``, ``due today``, ``next due Friday 4 December``, ``paused``."""
    if item.next_due is None:
        return "paused"
    due = item.next_due.astimezone(now.tzinfo).date()
    today = now.date()
    day = f"{due:%-d %B}" + (f" {due.year}" if due.year != today.year else "")
    if due < today:
        return f"overdue since {day}"
    if due == today:
        return "due today"
    return f"next due {due:%A} {day}" if (due - today).days < 7 else f"next due {day}"


def _text_of(item: OutboxItem) -> str:
    msg = message_from_string(item.raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    part = msg.get_body(("plain",))
    return part.get_content().strip() if isinstance(part, EmailMessage) else item.subject


def release_held(store: Store, settings: Settings, now: datetime) -> int | None:
    """Once the hour allows, send every held answer together in one message; returns its id."""
    if settings.mail is None:
        return None
    with store.transaction():
        held = store.outbox.held()
        if not held or hold_until(store, settings, now) is not None:
            return None
        sections = [f"{i.subject} ({i.created_at:%H:%M})\n\n{_text_of(i)}" for i in held]
        text = (
            f"These {len(held)} answers waited for the hourly limit (MAX_REPLIES_PER_HOUR = "
            f"{settings.max_replies_per_hour}); every command in them was applied when it arrived.\n\n"
            + "\n\n------------------------------------------------------------------------\n\n".join(
                sections
            )
            + "\n"
        )
        plural = "s" if len(held) != 1 else ""
        subject = f"keepwarm: {len(held)} answer{plural} held back by the hourly limit"
        item_id, _ = settings.mail.queue(store, OutboxKind.CONFIRMATION, now, Letter(subject, text))
        for item in held:
            store.outbox.update(
                item.with_changes(state=OutboxState.CANCELLED, last_error=f"sent in message {item_id}")
            )
    log.info("sent %d held answers together (message %s)", len(held), item_id)
    return item_id
