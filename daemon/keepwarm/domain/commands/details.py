"""The reply verbs that add to what keepwarm knows about the person: ``note <text>``, ``group
<name>``, ``birthday <date>``, ``date <name> <date>`` and ``priority high``. Pure."""

from __future__ import annotations

from keepwarm.domain.commands.base import SENTENCE_WORDS, Command, Planning, register, who
from keepwarm.domain.commands.contact import ContactVerb, entry_number
from keepwarm.domain.model import Contact, Note, Priority, YearlyDate, parse_birthday


class _Text(ContactVerb):
    """A verb followed by free text, kept as written. ``reads`` says whether the text is one for
    this verb, so that a sentence starting with its word stays a sentence."""

    def reads(self, words: list[str]) -> bool:
        return bool(words)

    def parse(self, word: str, rest: list[str], original_rest: list[str], line: str) -> Command:
        entry, rest, original_rest = entry_number(rest, original_rest)
        if not self.reads(rest):
            return super().parse(word, rest, original_rest, line)
        return Command(self.name, entry, text=" ".join(original_rest))


@register
class NoteVerb(_Text):
    """``note <text>``: remember something about the person."""

    names = ("note",)
    rank = 50
    usage = "note <text>"
    help = "remember something for next time"
    in_footer = True

    def reads(self, words: list[str]) -> bool:
        # "Note that I'm away" and "note to self" are sentences about notes, not notes.
        return bool(words) and words[0] not in ("that", "to", "how", "the", "this", "it", "it's")

    def change(self, contact: Contact, command: Command, planning: Planning) -> Contact:
        planning.changes.lines.append(f"noted for {who(contact)}: {command.text}")
        return contact.with_changes(notes=(*contact.notes, Note(planning.at, command.text)))


@register
class Group(_Text):
    """``group <name>``: move the person to a group."""

    names = ("group",)
    rank = 80
    usage = "group <name>"
    help = "move them to a group"

    def reads(self, words: list[str]) -> bool:
        # A group's name is a few words: "Group dinner was fun." is a sentence.
        text = " ".join(words)
        return (
            0 < len(words) <= 4 and not any(ch in text for ch in ".,;!?") and not SENTENCE_WORDS & set(words)
        )

    def change(self, contact: Contact, command: Command, planning: Planning) -> Contact:
        planning.changes.lines.append(f"moved {who(contact)} to group {command.text}")
        return contact.with_changes(group=command.text)


@register
class BirthdayVerb(ContactVerb):
    """``birthday 1990-05-17`` or ``birthday 05-17``."""

    names = ("birthday",)
    rank = 90
    usage = "birthday <date>"
    help = "their birthday: 1990-05-17, or 05-17"

    def parse(self, word: str, rest: list[str], original_rest: list[str], line: str) -> Command:
        entry, rest, original_rest = entry_number(rest, original_rest)
        if not rest:
            return super().parse(word, rest, original_rest, line)
        return Command("birthday", entry, birthday=parse_birthday(" ".join(original_rest)))

    def change(self, contact: Contact, command: Command, planning: Planning) -> Contact:
        assert command.birthday is not None
        planning.changes.lines.append(f"{who(contact)}'s birthday is {command.birthday.spoken()}")
        return contact.with_changes(birthday=command.birthday)


@register
class DateVerb(ContactVerb):
    """``date anniversary 06-12``, ``date "Mia's birthday" 2019-05-02``: a date that comes back
    every year, reminded like a birthday. The same name again replaces it."""

    names = ("date",)
    rank = 91
    usage = "date <name> <date>"
    help = "a yearly date: date anniversary 06-12"

    def parse(self, word: str, rest: list[str], original_rest: list[str], line: str) -> Command:
        entry, rest, original_rest = entry_number(rest, original_rest)
        if len(original_rest) < 2:
            return super().parse(word, rest, original_rest, line)
        label = " ".join(original_rest[:-1]).strip().strip("\"'“”").strip()
        if not label:
            raise ValueError("name the date: date anniversary 06-12")
        return Command("date", entry, text=label, birthday=parse_birthday(original_rest[-1]))

    def change(self, contact: Contact, command: Command, planning: Planning) -> Contact:
        assert command.birthday is not None
        label = command.text
        kept = tuple(d for d in contact.dates if d.label.casefold() != label.casefold())
        planning.changes.lines.append(f"{who(contact)}'s {label} is {command.birthday.spoken()}")
        return contact.with_changes(dates=(*kept, YearlyDate(label, command.birthday)))


@register
class PriorityVerb(ContactVerb):
    """``priority high``: who gets the day's reminder slots first when more are due than the cap."""

    names = ("priority",)
    rank = 31
    usage = "priority high"
    help = "high, normal or low: who is reminded first on a busy day"

    def parse(self, word: str, rest: list[str], original_rest: list[str], line: str) -> Command:
        entry, rest, _ = entry_number(rest, original_rest)
        if len(rest) != 1:
            return super().parse(word, rest, original_rest, line)
        if rest[0] not in {p.value for p in Priority}:
            raise ValueError(f"{rest[0]!r} is not a priority (high, normal or low)")
        return Command("priority", entry, text=rest[0])

    def change(self, contact: Contact, command: Command, planning: Planning) -> Contact:
        planning.changes.lines.append(f"{who(contact)} has {command.text} priority")
        return contact.with_changes(priority=Priority(command.text))
