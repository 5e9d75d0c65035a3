"""The language of someone's drafts: ``language de`` in a reply about her (``language 2 fr`` in a
digest), ``language de for Alice`` or ``language fr for group friends`` in any mail to keepwarm,
and ``default`` instead of a language to follow her group's (or the group, DRAFT_LANGUAGE) again.
Only the draft changes language: the reminder around it is the owner's, in English. Pure."""

from __future__ import annotations

from keepwarm.domain.commands.base import Command, CommandError, Place, Planning, register, who
from keepwarm.domain.commands.contact import ContactVerb, entry_number
from keepwarm.domain.commands.share import named
from keepwarm.domain.languages import NAMES, LanguageError, available, parse_language
from keepwarm.domain.model import Contact

# What takes the contact's own language away, so her group's (or the default) applies again.
DEFAULT_WORDS = frozenset({"default", "none", "clear"})


def _language(command: Command) -> str | None:
    """The code the command names, None for ``default``; CommandError naming the ones there are."""
    if command.text in DEFAULT_WORDS:
        return None
    try:
        return parse_language(command.text)
    except LanguageError as exc:
        raise CommandError(str(exc)) from None


def _group(planning: Planning, name: str) -> str:
    """The group a command names, as its members spell it (any case)."""
    groups = sorted({c.group for c in planning.by_id().values() if c.group}, key=str.casefold)
    found = next((g for g in groups if g.casefold() == name.casefold()), None)
    if found is None:
        known = f" (your groups: {', '.join(groups)})" if groups else " (nobody is in a group yet)"
        raise CommandError(f"there is no group {name!r}{known}")
    return found


@register
class LanguageVerb(ContactVerb):
    """``language de``: the language of the drafts to this person (or, named, to a group)."""

    names = ("language",)
    rank = 92
    places = frozenset({Place.REPLY, Place.DAEMON})
    usage = "language de"
    help = (
        f"write their drafts in another language ({available()}; default: their group's); "
        "to keepwarm: language de for Alice, language fr for group friends"
    )

    def parse(self, word: str, rest: list[str], original_rest: list[str], line: str) -> Command:
        entry, rest, original_rest = entry_number(rest, original_rest, every=True)
        if not rest:
            raise CommandError(f"say which: language de (available: {available()})")
        code, more, written = rest[0], rest[1:], original_rest[2:]
        if not more:
            return Command("language", entry, text=code)
        if more[0] != "for" or not written or entry is not None:
            return super().parse(word, rest, original_rest, line)
        if written[0].casefold() == "group" and len(written) > 1:
            return Command("language", text=code, group=" ".join(written[1:]))
        return Command("language", text=code, name=" ".join(written))

    def plan(self, command: Command, planning: Planning) -> None:
        language = _language(command)  # a language without drafts changes nothing at all
        if command.group is not None:
            group = _group(planning, command.group)
            planning.changes.group_languages[group] = language
            said = f"in {NAMES[language]} now" if language else "in the default language again"
            planning.changes.lines.append(
                f"drafts to group {group} are {said} (a member's own language still wins)"
            )
            return
        if command.name:
            contact = named(planning, command.name)
            planning.changes.updated[contact.id] = self.change(contact, command, planning)
            return
        if not planning.entries:
            raise CommandError(
                f"'language {command.text}' needs to know who: write language {command.text} for Alice, "
                "or for group friends (or reply to a reminder about the person)"
            )
        super().plan(command, planning)

    def change(self, contact: Contact, command: Command, planning: Planning) -> Contact:
        language = _language(command)
        if language is None:
            planning.changes.lines.append(
                f"drafts to {who(contact)} follow their group's language again (else the default)"
            )
        else:
            planning.changes.lines.append(f"drafts to {who(contact)} are in {NAMES[language]} now")
        return contact.with_changes(language=language)
