"""The verbs of mail to the daemon address about the address book: ``add``, ``log``, ``due`` (or
``status``), ``list``, and ``help`` (which replies may use too). Pure."""

from __future__ import annotations

import re

from keepwarm.domain.addresses import normalize_address, parse_mailbox
from keepwarm.domain.book import ContactLookupError, check_addresses_free, find_contact
from keepwarm.domain.commands.base import Command, CommandError, Place, Planning, Verb, register
from keepwarm.domain.commands.contact import CHANNELS, manual_touch, touch_at
from keepwarm.domain.dates import trailing_date
from keepwarm.domain.durations import format_cadence, parse_cadence
from keepwarm.domain.model import Channel, Contact

_ADD = re.compile(
    r"^add\s+(?P<who>.+?)(?:\s+every\s+(?P<every>.+?))?(?:\s+group\s+(?P<group>.+?))?\s*$", re.IGNORECASE
)
_LOG = re.compile(r"^log\s+(?:(?P<channel>\w+)\s+)?with\s+(?P<who>.+)$", re.IGNORECASE)
# Questions and new contacts make sense in any message to keepwarm, replies included.
_ANYWHERE = frozenset({Place.REPLY, Place.DAEMON})


@register
class Add(Verb):
    """``add Name <address> [every 3w] [group friends]``: start tracking someone."""

    names = ("add",)
    rank = 110
    places = _ANYWHERE
    usage = "add Alice Example <alice@example.org> every 3w group friends"
    help = "start keeping in touch with someone"

    def parse(self, word: str, rest: list[str], original_rest: list[str], line: str) -> Command:
        match = _ADD.match(line)
        if not match:
            raise CommandError("write: add Name <address> [every 3w] [group friends]")
        name, address = parse_mailbox(match.group("who"))
        every = parse_cadence(match.group("every")) if match.group("every") else None
        group = " ".join(match.group("group").split()) if match.group("group") else None
        return Command("add", address=address, name=name, cadence_days=every, group=group)

    def plan(self, command: Command, planning: Planning) -> None:
        assert command.address is not None
        changes = planning.changes
        contact = Contact(
            name=command.name,
            emails=(command.address,),
            added_at=planning.at,
            group=command.group,
            cadence_days=command.cadence_days,
        )
        try:
            check_addresses_free(planning.contacts, contact.emails)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        twin = next((c for c in changes.added if set(contact.emails) & set(c.emails)), None)
        if twin is not None:
            raise CommandError(f"{command.address} already belongs to {twin.label}, added above")
        changes.added.append(contact)
        cadence = f", {format_cadence(command.cadence_days)}" if command.cadence_days else ""
        changes.lines.append(f"now tracking {contact.label}{cadence}")


@register
class Log(Verb):
    """``log coffee with alice@example.org [a note] [when]``, or with a name: ``log call with Alice
    yesterday``. A touch outside email, with someone tracked or not (by address)."""

    names = ("log",)
    rank = 120
    places = _ANYWHERE
    usage = "log call with Alice (a note) yesterday"
    help = "you were in touch outside email (an address or a name; when, if not today)"
    harmless = True

    def parse(self, word: str, rest: list[str], original_rest: list[str], line: str) -> Command:
        match = _LOG.match(line)
        if not match:
            raise CommandError("write: log call with alice@example.org [a note] [yesterday]")
        kind = (match.group("channel") or "other").lower()
        if kind not in CHANNELS:
            raise CommandError(f"{kind!r} is not a kind of contact (call, video, coffee, message, …)")
        words = match.group("who").split()
        kept, on = trailing_date([w.lower() for w in words])
        words = words[: len(kept)]
        if not words:
            raise CommandError("say with whom: log call with alice@example.org, or with Alice")
        first = words[0].strip("<>,")
        if "@" in first:
            address = normalize_address(first)
            return Command("log", channel=CHANNELS[kind], address=address, text=" ".join(words[1:]), on=on)
        return Command("log", channel=CHANNELS[kind], name=" ".join(words), on=on)

    def plan(self, command: Command, planning: Planning) -> None:
        known, note = self._who(command, planning)
        subject = known or Contact("", (command.address or "",), planning.at)
        channel = command.channel or Channel.OTHER
        at = touch_at(command, planning)
        planning.changes.touches.append(manual_touch(subject, channel, note, at, planning.touch_key))
        untracked = "" if known else " (not tracked yet: 'add' them to get reminders)"
        name = subject.name or subject.primary_email
        when = "" if at == planning.at else f" on {at:%A %-d %B}"
        planning.changes.lines.append(f"logged a {channel.value} with {name}{when}{untracked}")

    @staticmethod
    def _who(command: Command, planning: Planning) -> tuple[Contact | None, str]:
        """The contact logged with, and the note: the longest start of the words that names one
        contact is the name, the rest the note ("Alice about the move")."""
        if command.address is not None:
            known = next((c for c in planning.contacts if command.address in c.emails), None)
            return known, command.text
        words = command.name.split()
        for size in range(len(words), 0, -1):
            try:
                return find_contact(planning.contacts, " ".join(words[:size])), " ".join(words[size:])
            except ContactLookupError as exc:
                ambiguous = not str(exc).startswith("no contact")
                if size == 1 or ambiguous:  # several people answer to it: say which ones
                    raise CommandError(str(exc)) from None
        raise CommandError(f"no contact matches {command.name!r}")


class _Question(Verb):
    """A one-word question keepwarm answers by mail; ``answer`` names what the answer shows."""

    answer = ""
    places = _ANYWHERE
    harmless = True

    def parse(self, word: str, rest: list[str], original_rest: list[str], line: str) -> Command:
        if rest:
            return super().parse(word, rest, original_rest, line)
        return Command(word)

    def plan(self, command: Command, planning: Planning) -> None:
        planning.changes.answers.append(self.answer or self.name)


@register
class Due(_Question):
    """``due`` (or ``status``): who is due and coming up."""

    names = ("due", "status")
    rank = 160
    produces = ("due", "status")
    usage = "due"
    help = "who is due and coming up"
    answer = "due"


@register
class ListVerb(_Question):
    """``list``: everyone the owner keeps in touch with."""

    names = ("list",)
    rank = 170
    usage = "list"
    help = "everyone you keep in touch with"


@register
class Help(_Question):
    """``help``: the list of commands (in a reply, or to the daemon address)."""

    names = ("help",)
    rank = 199
    places = _ANYWHERE
    usage = "help"
    help = "all commands"
    in_footer = True

    def parse(self, word: str, rest: list[str], original_rest: list[str], line: str) -> Command:
        # "help 2" in a digest is still a request for help; the number says nothing more.
        if rest and rest[0].isascii() and rest[0].isdigit() and len(rest) == 1:
            return Command("help", int(rest[0]))
        return super().parse(word, rest, original_rest, line)
