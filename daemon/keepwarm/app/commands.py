"""Commands by email: authenticate, parse, plan, apply, and answer. Runs inside the poll's
transaction, so a command's effects and the record that its message was handled land together.

Loop safety: automatic mail (Auto-Submitted, empty Return-Path, list or bulk headers, keepwarm's
own header) is never answered; answers are capped per hour; a stranger is never answered at all —
the owner gets at most one "rejected a command" notice a day instead.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32

from keepwarm.app import contacts
from keepwarm.app.outbox import Letter
from keepwarm.app.settings import Settings
from keepwarm.domain.authn import Verdict, authenticate, looks_like_reply
from keepwarm.domain.commands import (
    Changes,
    CommandError,
    parse_daemon_mail,
    parse_reply,
    plan_daemon_mail,
    plan_reply,
)
from keepwarm.domain.durations import ago
from keepwarm.domain.extras import for_whom
from keepwarm.domain.inbound import COMMAND_BYTES, InboundMail
from keepwarm.domain.outbox import OutboxKind
from keepwarm.errors import KeepwarmError
from keepwarm.mail.reply import body_text, new_text
from keepwarm.render import views
from keepwarm.render.engine import Renderer
from keepwarm.store import Store

log = logging.getLogger("keepwarm.commands")


def _auth_results(raw: bytes) -> list[str]:
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw[:COMMAND_BYTES])
    return [str(v) for v in headers.get_all("Authentication-Results") or []]


class CommandHandler:
    """Handles the command messages one poll finds."""

    def __init__(self, store: Store, renderer: Renderer, settings: Settings) -> None:
        self.store = store
        self.renderer = renderer
        self.settings = settings
        self.mail = settings.owner_mail()

    def handle(self, mail: InboundMail, raw: bytes, now: datetime) -> str:
        """Act on one message to the daemon; returns what happened (for the poll report).

        Never raises for a message, whatever it holds: it runs inside the poll's transaction, and
        one message that kept failing would stop every later poll. A bug is logged with its
        traceback and the message counted as "failed"; what it had written is rolled back (the
        message runs in a savepoint of its own).
        """
        try:
            with self.store.transaction():
                return self._handle(mail, raw, now)
        except (KeepwarmError, OSError):
            raise  # the store or the network: the poll must fail and retry, not skip the message
        except Exception:
            log.exception("command message %s could not be handled", mail.key)
            return "failed"

    def _handle(self, mail: InboundMail, raw: bytes, now: datetime) -> str:
        if mail.automatic:
            log.info("not answering automatic mail %s", mail.key)
            return "ignored-automatic"
        who = self.settings.who
        reply = looks_like_reply(mail, who)
        verdict = authenticate(
            mail,
            _auth_results(raw),
            who,
            self.mail.secret,
            servid=self.settings.servid,
            now=now,
            needs_token=reply,
        )
        if not verdict.accepted:
            sender = mail.from_[0].address if mail.from_ else "nobody"
            log.warning("rejected a command from %s: %s", sender, verdict.reason)
            self._notify_rejection(mail, sender, verdict.reason, now)
            return "rejected"
        try:
            changes = self._plan(mail, raw, verdict, reply, now)
            # A savepoint: a command that fails half-way leaves nothing of the message behind.
            with self.store.transaction():
                lines = self._apply(changes, mail.key, now)
        except CommandError as exc:
            log.info("command error in %s: %s", mail.key, exc)
            self._answer(mail, verdict, now, error=str(exc))
            return "command-error"
        if self.settings.confirmations == "all" or changes.answers:
            self._answer(mail, verdict, now, lines=lines, answers=changes.answers)
        return "applied"

    # -- planning and applying -----------------------------------------------------------------

    def _plan(self, mail: InboundMail, raw: bytes, verdict: Verdict, reply: bool, now: datetime) -> Changes:
        text = new_text(raw)
        if reply:
            assert verdict.token is not None
            entries = {
                e.number: e.contact_id
                for e in self.store.reminders.entries()
                if e.outbox_id == verdict.token.reminder_id
            }
            if not entries:
                raise CommandError("that reminder is no longer known; write to the daemon address instead")
            contacts = {c.id: c for c in self.store.contacts()}
            return plan_reply(parse_reply(text), entries, contacts, now, mail.key)
        full = body_text(raw, links=True)
        first_line = next((line for line in full.splitlines() if line.strip()), "")
        if for_whom(mail.subject) is not None or for_whom(first_line) is not None:
            text = full  # something shared: the forwarded part is the point, keep it
        return plan_daemon_mail(parse_daemon_mail(mail.subject, text), self.store.contacts(), now, mail.key)

    def _apply(self, changes: Changes, key: str, now: datetime) -> list[str]:
        store = self.store
        lines = list(changes.lines)
        for contact_id in changes.undo:
            lines.append(self._undo(contact_id))
        touches_by_address: dict[str, list[str]] = {}
        for touch in changes.touches:
            touches_by_address.setdefault(touch.address, []).append(touch.message_id or "")
        for contact_id in changes.touched_contacts:
            before = store.get_contact(contact_id)
            keys = [k for a in (before.emails if before else ()) for k in touches_by_address.get(a, [])]
            store.undo.save(contact_id, before, keys, now)
        for contact in changes.updated.values():
            store.update_contact(contact)
        for contact_id in changes.removed:
            store.remove_contact(contact_id)
        for contact in changes.added:
            added = store.add_contact(contact)
            store.undo.save(added.id, None, [], now)
        store.add_touches(changes.touches)
        self._apply_extras(changes, now, lines)
        return lines

    def _apply_extras(self, changes: Changes, now: datetime, lines: list[str]) -> None:
        extras = self.store.extras
        for opener in changes.openers:
            stored = extras.add_opener(opener)
            lines.append(f"(opener number {stored.id}: 'drop opener {stored.id}' removes it)")
        for opener_id in changes.drop_openers:
            if not extras.drop_opener(opener_id):
                raise CommandError(f"there is no opener {opener_id}")
        if changes.clear_news:
            extras.set_news(None)
        if changes.news is not None:
            extras.set_news(changes.news)
        for contact_id, what in changes.thanks:
            extras.add_thanks(contact_id, what, now)

    def _undo(self, contact_id: int) -> str:
        snapshot = self.store.undo.pop(contact_id)
        if snapshot is None:
            raise CommandError("there is nothing to undo for that contact")
        self.store.remove_touches(snapshot.touch_keys)
        if snapshot.before is None:
            self.store.remove_contact(contact_id)
            return "undone: the contact is no longer tracked"
        self.store.restore_contact(snapshot.before)
        return f"undone: {snapshot.before.label} is back as before the last command"

    # -- answering -----------------------------------------------------------------------------

    def _answer(
        self,
        mail: InboundMail,
        verdict: Verdict,
        now: datetime,
        *,
        lines: list[str] | None = None,
        answers: list[str] | None = None,
        error: str | None = None,
    ) -> None:
        answered = self.store.outbox.count({OutboxKind.CONFIRMATION}, now - timedelta(hours=1))
        if answered >= self.settings.max_replies_per_hour:
            log.warning("not answering %s: MAX_REPLIES_PER_HOUR reached", mail.key)
            return
        context = {
            "owner": views.owner_view(self.settings.owner_name, verdict.owner_address),
            "lines": lines or [],
            "error": error,
            "help": error is not None or "help" in (answers or []),
            "commands": views.commands_view(),
            "all_commands": views.help_view(),
            "daemon_address": self.mail.daemon_address,
            "due": self._due_lines(now) if "due" in (answers or []) else None,
            "contacts": self._contact_lines() if "list" in (answers or []) else None,
            "news": self._news_line(now) if "news" in (answers or []) else None,
        }
        text = self.renderer.render("confirmation.txt.j2", context).text
        subject = mail.subject if mail.subject.lower().startswith("re:") else f"Re: {mail.subject}"
        letter = Letter(subject, text, in_reply_to=mail.message_id, references=mail.references)
        self.mail.queue(self.store, OutboxKind.CONFIRMATION, now, letter, to=verdict.owner_address)

    def _notify_rejection(self, mail: InboundMail, sender: str, reason: str, now: datetime) -> None:
        """Tell the owner (never the sender), at most once a day."""
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

    def _due_lines(self, now: datetime) -> list[str]:
        items = contacts.due_list(self.store, self.settings.default_cadence_days, now)
        shown = [s for s in items if s.status.value in ("overdue", "due", "upcoming")]
        return [f"{ago(s.days_since_last_touch):>14}  {s.contact.label}  ({s.status.value})" for s in shown]

    def _news_line(self, now: datetime) -> str:
        news = self.store.extras.news(now)
        if news is None:
            return "You have no current news. Write 'news: …' to set some."
        return f"Your news, until {news.until:%Y-%m-%d}: {news.text}"

    def _contact_lines(self) -> list[str]:
        return [c.label + (f"  [{c.group}]" if c.group else "") for c in self.store.contacts()]
