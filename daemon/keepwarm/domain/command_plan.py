"""What a command message changes: new contact states, manual touches, and a summary. Pure.

Every command of a message is planned against the state left by the ones before it; one bad
command makes the whole message fail (CommandError) so nothing is half-applied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time

from keepwarm.domain.book import ContactLookupError, check_addresses_free, find_contact
from keepwarm.domain.commands import Command, CommandError
from keepwarm.domain.durations import format_cadence
from keepwarm.domain.extras import ExtrasError, News, Opener, parse_news
from keepwarm.domain.model import Channel, Contact, Direction, Note, Touch

ANSWERS = frozenset({"help", "due", "status", "list"})


@dataclass
class Changes:
    """The planned effects of one command message."""

    updated: dict[int, Contact] = field(default_factory=dict)
    removed: set[int] = field(default_factory=set)
    added: list[Contact] = field(default_factory=list)
    touches: list[Touch] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    undo: list[int] = field(default_factory=list)
    openers: list[Opener] = field(default_factory=list)
    drop_openers: list[int] = field(default_factory=list)
    news: News | None = None
    clear_news: bool = False
    thanks: list[tuple[int, str]] = field(default_factory=list)

    @property
    def touched_contacts(self) -> set[int]:
        """Contacts whose state this message changes (their undo snapshot is taken first)."""
        return set(self.updated) | self.removed


def _who(contact: Contact) -> str:
    return contact.name or contact.primary_email


def _manual_touch(contact: Contact, channel: Channel, note: str, now: datetime, key: str) -> Touch:
    return Touch(
        address=contact.primary_email,
        at=now,
        direction=Direction.MANUAL,
        channel=channel,
        subject=note,
        message_id=key,
        source="email-command",
    )


def _target(command: Command, entries: Mapping[int, int]) -> int:
    """The contact id a reply command is about: its digest entry number, or the only entry."""
    if command.entry is not None:
        if command.entry not in entries:
            raise CommandError(f"there is no entry {command.entry} in that reminder")
        return entries[command.entry]
    if len(entries) == 1:
        return next(iter(entries.values()))
    raise CommandError(f"that digest has {len(entries)} entries: say which, e.g. '{command.verb} 2'")


def _apply(contact: Contact, command: Command, now: datetime, changes: Changes, key: str) -> Contact:
    who = _who(contact)
    verb = command.verb
    if verb == "done":
        changes.touches.append(
            _manual_touch(contact, command.channel or Channel.OTHER, command.text, now, key)
        )
        kind = "" if command.channel in (None, Channel.OTHER) else f" ({command.channel.value})"
        changes.lines.append(f"logged that you were in touch with {who}{kind}")
        return contact.with_changes(snoozed_until=None)
    if verb == "snooze":
        if command.until is not None:
            until = datetime.combine(command.until, time(0), tzinfo=now.tzinfo)
            if until <= now:
                raise CommandError(f"snooze until {command.until}: that date has passed")
        else:
            assert command.snooze is not None
            until = now + command.snooze
        clamp = f" ({command.clamped})" if command.clamped else ""
        changes.lines.append(f"snoozed {who} until {until:%Y-%m-%d}{clamp}")
        return contact.with_changes(snoozed_until=until)
    if verb == "every":
        assert command.cadence_days is not None
        changes.lines.append(f"you want to be in touch with {who} {format_cadence(command.cadence_days)}")
        return contact.with_changes(cadence_days=command.cadence_days)
    if verb in ("pause", "resume"):
        changes.lines.append(f"{'paused' if verb == 'pause' else 'resumed'} reminders for {who}")
        return contact.with_changes(paused=verb == "pause")
    if verb == "note":
        changes.lines.append(f"noted for {who}: {command.text}")
        return contact.with_changes(notes=(*contact.notes, Note(now, command.text)))
    if verb == "group":
        changes.lines.append(f"moved {who} to group {command.text}")
        return contact.with_changes(group=command.text)
    if verb == "birthday":
        changes.lines.append(f"{who}'s birthday is {command.birthday}")
        return contact.with_changes(birthday=command.birthday)
    raise CommandError(f"{verb!r} cannot be used here")


def plan_reply(
    commands: Sequence[Command],
    entries: Mapping[int, int],
    contacts: Mapping[int, Contact],
    now: datetime,
    key: str,
) -> Changes:
    """Plan the commands of a reply to a reminder whose entries map numbers to contact ids."""
    changes = Changes()
    verbs = {c.verb for c in commands}
    if "undo" in verbs and len(commands) > 1:
        raise CommandError("write 'undo' on its own, in a reply of its own")
    for index, command in enumerate(commands):
        if command.verb == "help":
            changes.answers.append("help")
            continue
        contact_id = _target(command, entries)
        if contact_id in changes.removed or (
            contact_id not in contacts and contact_id not in changes.updated
        ):
            raise CommandError("that contact is no longer tracked (add them again to use commands)")
        if command.verb == "undo":
            changes.undo.append(contact_id)
            continue
        current = changes.updated.get(contact_id, contacts[contact_id])
        if command.verb == "stop":
            changes.removed.add(contact_id)
            changes.updated.pop(contact_id, None)
            changes.lines.append(f"stopped tracking {_who(current)} (history kept; reply 'undo' to revert)")
            continue
        changes.updated[contact_id] = _apply(current, command, now, changes, f"{key}#{index}")
    return changes


def _named(contacts: Sequence[Contact], who: str) -> Contact:
    try:
        return find_contact(contacts, who)
    except ContactLookupError as exc:
        raise CommandError(str(exc)) from None


def _extras(command: Command, contacts: Sequence[Contact], now: datetime, changes: Changes) -> bool:
    """Openers, news and thanks; False if the command is none of them."""
    if command.verb == "opener":
        contact = _named(contacts, command.name)
        changes.openers.append(Opener(contact.id, command.title, command.link, now))
        changes.lines.append(f"kept for {_who(contact)}, for the next check-in: {command.title}")
    elif command.verb == "drop-opener":
        assert command.entry is not None
        changes.drop_openers.append(command.entry)
        changes.lines.append(f"dropped opener {command.entry}")
    elif command.verb == "thanks":
        contact = _named(contacts, command.name)
        changes.thanks.append((contact.id, command.text))
        changes.lines.append(
            f"a thank-you draft to {_who(contact)} for {command.text} comes with the next reminders"
        )
    elif command.verb == "news":
        try:
            parsed = parse_news(command.text, now)
        except ExtrasError as exc:
            raise CommandError(str(exc)) from None
        if parsed == "ask":
            changes.answers.append("news")
        elif parsed == "clear":
            changes.clear_news = True
            changes.lines.append("your news is cleared")
        else:
            assert isinstance(parsed, News)
            changes.news = parsed
            changes.lines.append(f"your news until {parsed.until:%Y-%m-%d}: {parsed.text}")
    else:
        return False
    return True


def plan_daemon_mail(
    commands: Sequence[Command], contacts: Sequence[Contact], now: datetime, key: str
) -> Changes:
    """Plan commands sent to the daemon address: add, log, extras, and the questions."""
    changes = Changes()
    by_address = {a: c for c in contacts for a in c.emails}
    for index, command in enumerate(commands):
        if _extras(command, contacts, now, changes):
            continue
        if command.verb in ANSWERS:
            changes.answers.append("due" if command.verb == "status" else command.verb)
        elif command.verb == "add":
            assert command.address is not None
            contact = Contact(
                name=command.name,
                emails=(command.address,),
                added_at=now,
                group=command.group,
                cadence_days=command.cadence_days,
            )
            try:
                check_addresses_free(contacts, contact.emails)
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            twin = next((c for c in changes.added if set(contact.emails) & set(c.emails)), None)
            if twin is not None:
                raise CommandError(f"{command.address} already belongs to {twin.label}, added above")
            changes.added.append(contact)
            cadence = f", {format_cadence(command.cadence_days)}" if command.cadence_days else ""
            changes.lines.append(f"now tracking {contact.label}{cadence}")
        elif command.verb == "log":
            assert command.address is not None
            known = by_address.get(command.address)
            target = known or Contact("", (command.address,), now)
            channel = command.channel or Channel.OTHER
            changes.touches.append(_manual_touch(target, channel, command.text, now, f"{key}#{index}"))
            untracked = "" if known else " (not tracked yet: 'add' them to get reminders)"
            changes.lines.append(f"logged a {channel.value} with {_who(target)}{untracked}")
    return changes
