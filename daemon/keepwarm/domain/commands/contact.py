"""The verbs of a reply to a reminder, each about the contact the reminder (or its entry) names:
``done``, ``snooze``/``later``, ``every``/``cadence``, ``pause``, ``resume``, ``stop``, ``note``,
``group``, ``birthday``, ``undo``. Pure."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta

from keepwarm.domain.commands.base import (
    Command,
    CommandError,
    Planning,
    Verb,
    register,
    who,
)
from keepwarm.domain.dates import DateError, parse_date, trailing_date
from keepwarm.domain.durations import format_cadence, format_days, parse_cadence, parse_duration
from keepwarm.domain.model import Channel, Contact, Direction, Touch

MAX_SNOOZE = timedelta(days=365)
DEFAULT_SNOOZE = timedelta(days=7)
LATER = timedelta(days=3)

# Words for how a manual touch happened, mapped to the channels touches record.
CHANNELS = {
    "call": Channel.CALL,
    "phone": Channel.CALL,
    "video": Channel.VIDEO,
    "zoom": Channel.VIDEO,
    "facetime": Channel.VIDEO,
    "coffee": Channel.MEETING,
    "lunch": Channel.MEETING,
    "dinner": Channel.MEETING,
    "drinks": Channel.MEETING,
    "meeting": Channel.MEETING,
    "visit": Channel.MEETING,
    "met": Channel.MEETING,
    "message": Channel.MESSAGE,
    "text": Channel.MESSAGE,
    "chat": Channel.MESSAGE,
    "sms": Channel.MESSAGE,
    "whatsapp": Channel.MESSAGE,
    "signal": Channel.MESSAGE,
    "email": Channel.EMAIL,
    "mail": Channel.EMAIL,
    "other": Channel.OTHER,
}
__all__ = ["CHANNELS", "DEFAULT_SNOOZE", "LATER", "MAX_SNOOZE", "manual_touch", "target", "touch_at"]


def manual_touch(contact: Contact, channel: Channel, note: str, at: datetime, key: str) -> Touch:
    """A touch the owner reports (``done call``, ``log coffee with …``)."""
    return Touch(
        address=contact.primary_email,
        at=at,
        direction=Direction.MANUAL,
        channel=channel,
        subject=note,
        message_id=key,
        source="email-command",
    )


def touch_at(command: Command, planning: Planning) -> datetime:
    """When a reported touch happened: now, or noon (the owner's time) on the day the command
    names, refused when that day is still to come."""
    if command.on is None:
        return planning.at
    now = planning.at
    day = command.on.resolve(now.date(), ahead=False)
    if day > now.date():
        raise CommandError(f"{day:%-d %B %Y} is still to come: a touch is logged once it happened")
    if day == now.date():
        return now
    return datetime.combine(day, time(12), tzinfo=now.tzinfo)


# The entry number of "all" (digest entries count from 1).
ALL_ENTRIES = 0


def target(command: Command, planning: Planning) -> Contact:
    """The contact a reply command is about: its digest entry number, or the only entry."""
    entries = planning.entries
    if command.entry is not None:
        if command.entry not in entries:
            raise CommandError(f"there is no entry {command.entry} in that reminder")
        contact_id = entries[command.entry]
    elif len(entries) == 1:
        contact_id = next(iter(entries.values()))
    elif not entries:
        raise CommandError(
            f"'{command.verb}' needs to know who: reply to a reminder or a confirmation about the person"
        )
    else:
        raise CommandError(f"that digest has {len(entries)} entries: say which, e.g. '{command.verb} 2'")
    current = planning.by_id()
    if contact_id in planning.changes.removed or contact_id not in current:
        raise CommandError("that contact is no longer tracked (add them again to use commands)")
    return current[contact_id]


class ContactVerb(Verb):
    """A verb that changes one contact: subclasses say how, in ``change``."""

    def plan(self, command: Command, planning: Planning) -> None:
        if command.entry == ALL_ENTRIES:  # "snooze all 2w", "done all": each entry of the digest
            if not planning.entries:
                raise CommandError(f"'{command.verb} all' is for a reply to a digest")
            for number in sorted(planning.entries):
                self.plan(replace(command, entry=number), planning)
            return
        contact = target(command, planning)
        planning.changes.updated[contact.id] = self.change(contact, command, planning)

    def change(self, contact: Contact, command: Command, planning: Planning) -> Contact:
        """The contact after the command; the confirmation line goes to ``planning.changes``."""
        raise NotImplementedError


@register
class Done(ContactVerb):
    """``done [call|video|coffee|…] [note]``: log a touch the owner had outside email."""

    names = ("done", "did", "talked")
    rank = 10
    usage = "done"
    help = "you were in touch; add call, video, coffee... a note, and when (done call yesterday)"
    in_footer = True
    harmless = True

    def parse(self, word: str, rest: list[str], original_rest: list[str], line: str) -> Command:
        entry, rest, original_rest = entry_number(rest, original_rest, every=True)
        channel, skip = Channel.OTHER, 0
        if rest and rest[0] in CHANNELS:
            channel, skip = CHANNELS[rest[0]], 1
        kept, on = trailing_date(rest[skip:])
        # The note keeps the owner's own case: "done coffee Met Bob at the Museum".
        note = " ".join(original_rest[skip : skip + len(kept)])
        return Command("done", entry, channel=channel, text=note, on=on)

    def change(self, contact: Contact, command: Command, planning: Planning) -> Contact:
        channel = command.channel or Channel.OTHER
        at = touch_at(command, planning)
        planning.changes.touches.append(manual_touch(contact, channel, command.text, at, planning.touch_key))
        kind = "" if command.channel in (None, Channel.OTHER) else f" ({command.channel.value})"
        when = "" if at == planning.at else f" on {at:%A %-d %B}"
        planning.changes.lines.append(f"logged that you were in touch with {who(contact)}{kind}{when}")
        return contact.with_changes(snoozed_until=None)


@register
class Snooze(ContactVerb):
    """``snooze 2w``, ``snooze until 2027-01-10``, ``snooze`` (a week), ``later`` (three days)."""

    names = ("snooze", "later")
    rank = 20
    usage = "snooze 2w"
    help = "remind me again in two weeks (or: snooze until 10 January)"
    in_footer = True

    def parse(self, word: str, rest: list[str], original_rest: list[str], line: str) -> Command:
        # "later 3" is entry 3: only a snooze can be followed by a duration.
        entry, rest, _ = entry_number(rest, original_rest, duration=word != "later", every=True)
        if word == "later":
            if rest:  # "later" takes nothing more: "Later this week maybe" is a sentence
                return super().parse(word, rest, original_rest, line)
            return Command("snooze", entry, snooze=LATER)
        if not rest:
            return Command("snooze", entry, snooze=DEFAULT_SNOOZE)
        if rest[0] == "until":
            text = " ".join(rest[1:])
            try:
                spec = parse_date(text)
            except DateError:
                raise CommandError(
                    f"snooze until {text!r}: write the date as 2027-01-10 or 10 January"
                ) from None
            if spec.absolute is not None:
                return Command("snooze", entry, until=spec.absolute)
            return Command("snooze", entry, on=spec)
        amount = parse_duration(" ".join(rest).removeprefix("for "))
        if amount > MAX_SNOOZE:
            return Command("snooze", entry, snooze=MAX_SNOOZE, clamped="a snooze lasts at most a year")
        return Command("snooze", entry, snooze=amount)

    def change(self, contact: Contact, command: Command, planning: Planning) -> Contact:
        now = planning.at
        day = command.until or (command.on.resolve(now.date(), ahead=True) if command.on else None)
        if day is not None:
            until = datetime.combine(day, time(0), tzinfo=now.tzinfo)
            if until <= now:
                raise CommandError(f"snooze until {day}: that date has passed")
        else:
            assert command.snooze is not None
            until = now + command.snooze
        clamp = f" ({command.clamped})" if command.clamped else ""
        planning.changes.lines.append(f"snoozed {who(contact)} until {until:%Y-%m-%d}{clamp}")
        return contact.with_changes(snoozed_until=until)


@register
class Every(ContactVerb):
    """``every 3 weeks``, ``cadence monthly``: how often the owner wants to be in touch."""

    names = ("every", "cadence")
    rank = 30
    usage = "every 3 weeks"
    help = "change how often you want to be in touch"
    in_footer = True
    destructive = True

    def parse(self, word: str, rest: list[str], original_rest: list[str], line: str) -> Command:
        entry, rest, _ = entry_number(rest, original_rest, duration=True)
        if not rest:
            return super().parse(word, rest, original_rest, line)
        # "every 4w max 6w": due (soft) at four weeks, overdue at six.
        cadence, _, longest = " ".join(rest).partition(" max ")
        days = parse_cadence(cadence)
        max_days = parse_cadence(longest) if longest.strip() else None
        if max_days is not None and max_days < days:
            raise ValueError(f"max {longest.strip()} is shorter than every {cadence.strip()}")
        return Command("every", entry, cadence_days=days, max_days=max_days)

    def change(self, contact: Contact, command: Command, planning: Planning) -> Contact:
        assert command.cadence_days is not None
        longest = f", at most {format_days(command.max_days)}" if command.max_days else ""
        planning.changes.lines.append(
            f"you want to be in touch with {who(contact)} {format_cadence(command.cadence_days)}{longest}"
        )
        return contact.with_changes(cadence_days=command.cadence_days, max_days=command.max_days)


class _Bare(ContactVerb):
    """A verb that takes nothing but an optional entry number."""

    def parse(self, word: str, rest: list[str], original_rest: list[str], line: str) -> Command:
        entry, rest, _ = entry_number(rest, original_rest)
        if rest:
            return super().parse(word, rest, original_rest, line)
        return Command(self.name, entry)


@register
class Pause(_Bare):
    """``pause``: no reminders for this person until ``resume``."""

    names = ("pause",)
    rank = 40
    usage = "pause"
    help = "no reminders for this person until you say resume"
    in_footer = True
    destructive = True

    def change(self, contact: Contact, command: Command, planning: Planning) -> Contact:
        planning.changes.lines.append(f"paused reminders for {who(contact)}")
        return contact.with_changes(paused=True)


@register
class Resume(_Bare):
    """``resume``: reminders again."""

    names = ("resume",)
    rank = 45
    usage = "resume"
    help = "reminders again after a pause"

    def change(self, contact: Contact, command: Command, planning: Planning) -> Contact:
        planning.changes.lines.append(f"resumed reminders for {who(contact)}")
        return contact.with_changes(paused=False)


@register
class Stop(_Bare):
    """``stop``: stop tracking the person (history kept)."""

    names = ("stop",)
    rank = 60
    usage = "stop"
    help = "stop tracking this person (history kept)"
    in_footer = True
    destructive = True

    def plan(self, command: Command, planning: Planning) -> None:
        contact = target(command, planning)
        planning.changes.removed.add(contact.id)
        planning.changes.updated.pop(contact.id, None)
        planning.changes.lines.append(
            f"stopped tracking {who(contact)} (history kept; reply 'undo' to revert)"
        )


@register
class Undo(_Bare):
    """``undo``: revert the last command on that contact (alone, in a reply of its own)."""

    names = ("undo",)
    rank = 70
    usage = "undo"
    help = "revert the last change to that contact (or, to a confirmation, the change it reports)"

    def plan(self, command: Command, planning: Planning) -> None:
        if planning.change is not None and command.entry is None:
            planning.changes.undo_change = planning.change  # in answer to a confirmation: that change
            return
        planning.changes.undo.append(target(command, planning).id)


def entry_number(
    rest: list[str], original_rest: list[str], *, duration: bool = False, every: bool = False
) -> tuple[int | None, list[str], list[str]]:
    """Split off a digest entry number (or, with ``every``, ``all``: ALL_ENTRIES). For durations,
    "every 3 weeks" means three weeks, not entry 3: the number is an entry only if what follows
    it is a duration on its own."""
    if every and rest[:1] == ["all"]:
        return ALL_ENTRIES, rest[1:], original_rest[1:]
    if not (rest and rest[0].isascii() and rest[0].isdigit() and len(rest[0]) <= 3):
        return None, rest, original_rest
    if len(rest) > 1 and rest[1] == "until":
        return int(rest[0]), rest[1:], original_rest[1:]  # "snooze 2 until 2027-01-10"
    if duration and (len(rest) == 1 or _is_duration(" ".join(rest)) or not _is_duration(" ".join(rest[1:]))):
        return None, rest, original_rest
    return int(rest[0]), rest[1:], original_rest[1:]


def _is_duration(text: str) -> bool:
    try:
        parse_duration(text)
    except ValueError:
        return False
    return True
