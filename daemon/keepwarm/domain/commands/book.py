"""The verbs of mail to the daemon address about the address book: ``add``, ``log``, ``due`` (or
``status``), ``list``, and ``help`` (which replies may use too). Pure."""

from __future__ import annotations

import re

from keepwarm.domain.addresses import normalize_address, parse_mailbox
from keepwarm.domain.book import check_addresses_free
from keepwarm.domain.commands.base import Command, CommandError, Place, Planning, Verb, register
from keepwarm.domain.commands.contact import CHANNELS, manual_touch
from keepwarm.domain.durations import format_cadence, parse_cadence
from keepwarm.domain.model import Channel, Contact

_ADD = re.compile(
    r"^add\s+(?P<who>.+?)(?:\s+every\s+(?P<every>.+?))?(?:\s+group\s+(?P<group>.+?))?\s*$", re.IGNORECASE
)
_LOG = re.compile(r"^log\s+(?:(?P<channel>\w+)\s+)?with\s+(?P<addr>\S+)(?:\s+(?P<note>.*))?$", re.IGNORECASE)
_ANYWHERE = frozenset({Place.REPLY, Place.DAEMON})


@register
class Add(Verb):
    """``add Name <address> [every 3w] [group friends]``: start tracking someone."""

    names = ("add",)
    places = frozenset({Place.DAEMON})
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
    """``log call with alice@example.org [a note]``: a touch outside email, tracked or not."""

    names = ("log",)
    places = frozenset({Place.DAEMON})
    usage = "log call with alice@example.org (a note)"
    help = "you were in touch outside email"

    def parse(self, word: str, rest: list[str], original_rest: list[str], line: str) -> Command:
        match = _LOG.match(line)
        if not match:
            raise CommandError("write: log call with alice@example.org [a note]")
        kind = (match.group("channel") or "other").lower()
        if kind not in CHANNELS:
            raise CommandError(f"{kind!r} is not a kind of contact (call, video, coffee, message, …)")
        address = normalize_address(match.group("addr").strip("<>"))
        note = (match.group("note") or "").strip()
        return Command("log", channel=CHANNELS[kind], address=address, text=note)

    def plan(self, command: Command, planning: Planning) -> None:
        assert command.address is not None
        known = next((c for c in planning.contacts if command.address in c.emails), None)
        subject = known or Contact("", (command.address,), planning.at)
        channel = command.channel or Channel.OTHER
        planning.changes.touches.append(
            manual_touch(subject, channel, command.text, planning.at, planning.touch_key)
        )
        untracked = "" if known else " (not tracked yet: 'add' them to get reminders)"
        name = subject.name or subject.primary_email
        planning.changes.lines.append(f"logged a {channel.value} with {name}{untracked}")


class _Question(Verb):
    """A one-word question keepwarm answers by mail; ``answer`` names what the answer shows."""

    answer = ""
    places = frozenset({Place.DAEMON})

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
    produces = ("due", "status")
    usage = "due"
    help = "who is due and coming up"
    answer = "due"


@register
class ListVerb(_Question):
    """``list``: everyone the owner keeps in touch with."""

    names = ("list",)
    usage = "list"
    help = "everyone you keep in touch with"


@register
class Help(_Question):
    """``help``: the list of commands (in a reply, or to the daemon address)."""

    names = ("help",)
    places = _ANYWHERE
    usage = "help"
    help = "all commands"
    in_footer = True

    def parse(self, word: str, rest: list[str], original_rest: list[str], line: str) -> Command:
        # "help 2" in a digest is still a request for help; the number says nothing more.
        if rest and rest[0].isascii() and rest[0].isdigit() and len(rest) == 1:
            return Command("help", int(rest[0]))
        return super().parse(word, rest, original_rest, line)
