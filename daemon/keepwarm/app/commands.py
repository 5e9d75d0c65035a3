"""Commands by email: authenticate, read, plan, apply, and answer. Runs inside the poll's
transaction, in a savepoint of its own, so a message's effects and the record that it was
handled land together, and a message is applied whole or not at all.

Every message keepwarm sends can be answered: its token names the outbox row, which says what a
reply acts on (a reminder's or an overview's numbered people, the contacts a confirmation was
about) and which change a confirmation reported (so ``undo`` undoes exactly that). ``explain``
shows all of it for one message without applying anything.

Loop safety: automatic mail is never answered; a stranger is never answered at all (the owner
gets at most one "rejected a command" notice a day); answers over the hourly cap are held back
and sent together later.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from functools import cached_property

from keepwarm.app.answers import Answer, Answers
from keepwarm.app.settings import Settings, checked_identity
from keepwarm.domain.authn import Verdict, authenticate, looks_like_reply
from keepwarm.domain.authres import learnable_servid, servid_label
from keepwarm.domain.classify import Identity
from keepwarm.domain.commands import (
    Changes,
    Command,
    CommandError,
    NoCommandError,
    Place,
    best_of,
    parse_daemon_mail,
    plan_daemon_mail,
    plan_reply,
    read,
)
from keepwarm.domain.extras import for_whom
from keepwarm.domain.inbound import COMMAND_BYTES, InboundMail
from keepwarm.domain.outbox import OutboxKind
from keepwarm.errors import KeepwarmError
from keepwarm.render.engine import Renderer
from keepwarm.store import Store
from keepwarm.store.undo import Change

log = logging.getLogger("keepwarm.commands")

# Said when mail to the daemon address asks for what needs proof of the sender, and nothing
# checks the From header: no authserv-id set or learned, and TRUST_FROM not chosen.
UNPROVEN = (
    "adding people, 'for …', 'news:' and 'thanks …' need proof that this mail is yours (anyone "
    "can write your address as the sender), and keepwarm does not know your provider's "
    "authentication stamp yet. Answer this message with 'ok': an answer to keepwarm's own mail "
    "proves it is you, and keepwarm learns the stamp from it. Then send your mail again. (Or set "
    "KEEPWARM_AUTH_SERVID; or KEEPWARM_TRUST_FROM=yes to trust the sender line as it is.)"
)
CANNOT_LEARN = (
    "keepwarm could not learn your provider's authentication stamp from this message: it carries "
    "no Authentication-Results that pass for your domain. To add people or share by mail to "
    "keepwarm, set KEEPWARM_AUTH_SERVID to your provider's authserv-id, or KEEPWARM_TRUST_FROM=yes "
    "to trust the sender line as it is (anyone could then write it)."
)


def needs_proof(changes: Changes) -> bool:
    """Changes that add people or put words into what the owner will send her friends."""
    return bool(
        changes.added
        or changes.openers
        or changes.news is not None
        or changes.thanks
        # Silencing every reminder for months is steering too.
        or changes.away_until is not None
    )


def _auth_results(raw: bytes) -> list[str]:
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw[:COMMAND_BYTES])
    return [str(v) for v in headers.get_all("Authentication-Results") or []]


@dataclass(frozen=True)
class Context:
    """The keepwarm message a reply answers: what it acts on, the change it reported, its lines."""

    reply: bool = False
    about: dict[int, int] = field(default_factory=dict)
    change: int | None = None
    quote: tuple[str, ...] = ()


@dataclass
class Reading:
    """A message read: its new text, its commands, the planned changes (or why there are none)."""

    context: Context
    text: str = ""
    commands: list[Command] = field(default_factory=list)
    changes: Changes | None = None
    error: str | None = None
    no_command: bool = False
    prose: list[str] = field(default_factory=list)


def _replay_key(mail: InboundMail, verdict: Verdict, text: str) -> str | None:
    """What makes a reply the same reply: the message it answers, its Date and what it says. A
    copy sent again under a new Message-ID (the token stays valid for 90 days) is recognised by
    it; a second, different reply to the same reminder is not."""
    if verdict.token is None:
        return None
    written = mail.date.isoformat() if mail.date is not None else ""
    said = " ".join(text.split()).casefold()
    digest = hashlib.sha256(f"{verdict.token.reminder_id}|{written}|{said}".encode()).hexdigest()
    return f"replay:{digest[:32]}"


class CommandHandler:
    """Handles the command messages one poll finds."""

    def __init__(self, store: Store, renderer: Renderer, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.renderer = renderer
        self.who: Identity = checked_identity(settings.who, store.runs.learned_servid())

    @cached_property
    def answers(self) -> Answers:
        """The answers go by mail: only a handler that answers needs the mail settings."""
        return Answers(self.store, self.renderer, self.settings)

    # -- the way in -----------------------------------------------------------------------------

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

    def verdict(self, mail: InboundMail, raw: bytes, now: datetime) -> Verdict:
        """Whether the message comes from the owner, and the token it carries."""
        return authenticate(
            mail,
            _auth_results(raw),
            self.who,
            # Without SECRET no token can be checked: a reply is then refused, and said why.
            self.settings.mail.secret if self.settings.mail is not None else b"",
            servid=self.who.servid,
            now=now,
            needs_token=looks_like_reply(mail, self.who),
        )

    def learn(self, mail: InboundMail, raw: bytes, verdict: Verdict, now: datetime) -> str | None:
        """With no authserv-id known, learn it from a reply its token proves the owner's; then
        her provider's stamp is checked from now on. Returns the notice for the answer."""
        if self.who.servid is not None or verdict.token is None:
            return None
        servid = learnable_servid(_auth_results(raw), verdict.owner_address.rpartition("@")[2])
        if servid is None:
            return None
        self.store.runs.learn_servid(servid, now)
        self.who = checked_identity(self.who, servid)
        log.info(
            "learned the authserv-id %s from %s: mail from the owner must pass its check", servid, mail.key
        )
        return (
            f"keepwarm now checks your provider's authentication stamp ({servid_label(servid)}) on mail from "
            "you: commands that add people or reach friends work from any new mail to keepwarm."
        )

    def _handle(self, mail: InboundMail, raw: bytes, now: datetime) -> str:
        if mail.automatic:
            log.info("not answering automatic mail %s", mail.key)
            return "ignored-automatic"
        verdict = self.verdict(mail, raw, now)
        if not verdict.accepted:
            sender = mail.from_[0].address if mail.from_ else "nobody"
            log.warning("rejected a command from %s: %s", sender, verdict.reason)
            self.answers.reject(mail, sender, verdict.reason, now)
            return "rejected"
        notice = self.learn(mail, raw, verdict, now)
        reading = self.read(mail, raw, verdict, now)
        replay = _replay_key(mail, verdict, reading.text)
        if replay is not None and replay in self.store.seen_keys():
            log.warning("ignoring %s: the same reply to the same message was applied before", mail.key)
            return "replayed"
        if replay is not None:
            self.store.mark_seen([replay])
        if reading.changes is None:
            log.info("no command applied from %s: %s", mail.key, reading.error)
            about = tuple(reading.context.about.items())
            if reading.no_command and verdict.token is not None and self.who.unverified:
                notice = CANNOT_LEARN  # most likely the "ok" that UNPROVEN asked for
            answer = Answer(error=reading.error, no_command=reading.no_command, about=about, notice=notice)
            self.answers.answer(mail, verdict.owner_address, answer, now)
            return "no-command" if reading.no_command else "command-error"
        if self.unproven(verdict, reading):
            log.warning("not applying %s: it needs proof of the sender, and nothing checks it", mail.key)
            self.answers.answer(mail, verdict.owner_address, Answer(error=UNPROVEN), now)
            return "needs-proof"
        try:
            # A savepoint: a command that fails half-way leaves nothing of the message behind.
            with self.store.transaction():
                answer = self._apply(reading.changes, mail.key, now)
        except CommandError as exc:
            log.info("command error in %s: %s", mail.key, exc)
            about = tuple(reading.context.about.items())
            answer = Answer(error=str(exc), about=about, notice=notice)
            self.answers.answer(mail, verdict.owner_address, answer, now)
            return "command-error"
        if self.settings.confirmations == "all" or answer.asked or notice:
            self.answers.answer(mail, verdict.owner_address, replace(answer, notice=notice), now)
        return "applied"

    # -- reading --------------------------------------------------------------------------------

    def unproven(self, verdict: Verdict, reading: Reading) -> bool:
        """Whether the reading asks for what needs proof of the sender, with none to be had: no
        token, and nothing that checks the From header (see UNPROVEN)."""
        changes = reading.changes
        return changes is not None and verdict.token is None and self.who.unverified and needs_proof(changes)

    def context(self, verdict: Verdict, *, reply: bool = False) -> Context:
        """What the message answers, from the token it carries (none: a message of its own, or
        with ``reply``, a reply whose token did not hold)."""
        if verdict.token is None:
            return Context(reply=reply)
        item = self.store.outbox.get(verdict.token.reminder_id)
        if item is None:
            return Context(reply=True)
        about = dict(item.about)
        if not about and item.kind in (OutboxKind.REMINDER, OutboxKind.DIGEST):
            # Written before messages kept what they were about: the reminder entries say it.
            about = {e.number: e.contact_id for e in self.store.reminders.entries() if e.outbox_id == item.id}
        return Context(reply=True, about=about, change=item.change, quote=item.quote)

    def read(self, mail: InboundMail, raw: bytes, verdict: Verdict, now: datetime) -> Reading:
        """The message's new text, commands and planned changes; applies nothing."""
        context = self.context(verdict, reply=looks_like_reply(mail, self.who))
        # bs4 and html2text: loaded only when a command is read, not by every poll and CLI call.
        from keepwarm.mail.reply import body_text, new_text, new_texts

        reading = Reading(context, text=new_text(raw, context.quote))
        try:
            if context.reply:
                texts = new_texts(raw, context.quote)
                readings = [read(text, Place.REPLY) for text in texts]
                chosen = best_of(readings)
                reading.text, found = texts[chosen], readings[chosen]
                reading.prose = found.prose
                reading.commands = found.result(Place.REPLY)
                contacts = {c.id: c for c in self.store.contacts()}
                reading.changes = plan_reply(
                    reading.commands, context.about, contacts, now, mail.key, change=context.change
                )
            else:
                full = body_text(raw, links=True)
                first_line = next((line for line in full.splitlines() if line.strip()), "")
                shared = for_whom(mail.subject) is not None or for_whom(first_line) is not None
                text = full if shared else reading.text  # something shared: the forwarded part is the point
                reading.prose = read(text, Place.DAEMON).prose
                # Reply commands written to the daemon address are refused, but still shown as read.
                reading.commands = read(text, Place.REPLY).commands
                reading.commands = parse_daemon_mail(mail.subject, text)
                reading.changes = plan_daemon_mail(reading.commands, self.store.contacts(), now, mail.key)
        except NoCommandError as exc:
            reading.error, reading.no_command = str(exc), True
        except CommandError as exc:
            reading.error, reading.changes = str(exc), None
        return reading

    # -- applying -------------------------------------------------------------------------------

    def _apply(self, changes: Changes, key: str, now: datetime) -> Answer:
        store = self.store
        lines = list(changes.lines)
        undoing = bool(changes.undo or changes.undo_change is not None)
        before = store.undo.snapshot()
        for contact_id in changes.undo:
            latest = store.undo.latest_for(contact_id)
            if latest is None:
                raise CommandError("there is nothing to undo for that contact")
            lines += self._undo(latest, now)
        if changes.undo_change is not None:
            lines += self._undo(store.undo.get(changes.undo_change), now)
        for contact in changes.updated.values():
            store.update_contact(contact)
        for contact_id in changes.removed:
            store.remove_contact(contact_id)
        added = [store.add_contact(contact).id for contact in changes.added]
        store.add_touches(changes.touches)
        self._apply_extras(changes, now, lines)
        by_address = {a: c.id for c in store.contacts() for a in c.emails}
        about_ids = [*changes.updated, *changes.removed, *added, *(d.contact_id for d in changes.dated)]
        about_ids += [by_address[t.address] for t in changes.touches if t.address in by_address]
        about_ids = list(dict.fromkeys(about_ids))
        change = None
        if not undoing:  # undo is not itself undone
            keys = [t.message_id or "" for t in changes.touches]
            change = store.undo.record(key, now, before, about_ids, keys)
        about = tuple(enumerate(about_ids, start=1))
        return Answer(lines=lines, asked=changes.answers, about=about, change=change)

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
        if changes.away_until is not None:
            self.store.runs.set_away(changes.away_until, now.date())
        for dated in changes.dated:
            extras.add_dated(dated)
        for group, language in changes.group_languages.items():
            self.store.set_group_language(group, language)

    def _undo(self, change: Change | None, now: datetime) -> list[str]:
        """Put back what a change replaced; the lines that say what came back."""
        if change is None:
            raise CommandError("there is nothing to undo there")
        if change.undone:
            raise CommandError("that change was undone already")
        later = self.store.undo.blocking(change)
        if later:
            raise CommandError(
                f"a later change ({later[-1].at:%-d %B %H:%M}) touched the same people or things: "
                "undo that one first, by answering its confirmation with 'undo'"
            )
        described = _describe(self.store, change)
        self.store.undo.revert(change, now)
        self.store.remove_touches(change.touch_keys)
        return described


def _describe(store: Store, change: Change) -> list[str]:
    """What undoing ``change`` will bring back, in words."""
    now_by_id = {str(c.id): c for c in store.contacts()}
    lines = []
    for doc_id, doc in change.before.get("contacts", {}).items():
        current = now_by_id.get(doc_id)
        if doc is None:
            lines.append(f"undone: {current.label if current else 'the new contact'} is no longer tracked")
        elif current is None:
            lines.append(f"undone: {doc.get('name') or doc['emails'][0]} is tracked again")
        else:
            lines.append(f"undone: {current.label} is back as before the last command")
    if change.touch_keys:
        count = len(change.touch_keys)
        lines.append(f"undone: the {'touch' if count == 1 else f'{count} touches'} it logged")
    for table, what in (
        ("openers", "something kept to share"),
        ("news", "your news"),
        ("thanks", "a thank-you"),
        ("groups", "a group's settings"),
    ):
        if change.before.get(table):
            lines.append(f"undone: {what}, as it was before")
    return lines or ["undone: nothing needed changing back"]
