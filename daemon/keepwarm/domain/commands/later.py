"""Dated reminders by mail: ``remind 2027-03-11 ask how the move went`` in a reply about a person,
``remind Alice on 11 March: ask how the move went`` to the daemon address. Pure."""

from __future__ import annotations

import re

from keepwarm.domain.commands.base import Command, CommandError, Place, Planning, Verb, register, who
from keepwarm.domain.commands.contact import target
from keepwarm.domain.commands.share import named
from keepwarm.domain.dates import DateError, DateSpec, future_day, parse_date
from keepwarm.domain.extras import Dated

MAX_WORDS_OF_A_DATE = 4
# "remind Alice on 11 March: ask how the move went" (the daemon address's form).
_NAMED = re.compile(r"^(?P<name>.+?)\s+on\s+(?P<when>[^:]+):\s*(?P<text>.*)$", re.IGNORECASE)


def _leading_date(words: list[str]) -> tuple[DateSpec, int]:
    """The date the words start with (the longest reading, up to four words) and its length."""
    for size in range(min(MAX_WORDS_OF_A_DATE, len(words)), 0, -1):
        try:
            return parse_date(" ".join(words[:size])), size
        except DateError:
            continue
    raise DateError(
        f"{' '.join(words[:3])!r} does not start with a date (remind 2027-03-11 ask about the move)"
    )


@register
class Remind(Verb):
    """A reminder about one person on one day, outside the cadence and the daily cap."""

    names = ("remind",)
    rank = 95
    places = frozenset({Place.REPLY, Place.DAEMON})
    usage = "remind 2027-03-11 ask how the move went"
    help = "a reminder about them on that day (to keepwarm: remind Alice on 11 March: …)"

    def parse(self, word: str, rest: list[str], original_rest: list[str], line: str) -> Command:
        text = " ".join(original_rest)
        named = _NAMED.match(text)
        if named:
            when = parse_date(named.group("when"))
            return Command(
                "remind", name=named.group("name").strip(), on=when, text=named.group("text").strip()
            )
        if not rest:
            raise ValueError("say when, and what: remind 2027-03-11 ask how the move went")
        when, size = _leading_date(rest)
        return Command("remind", on=when, text=" ".join(original_rest[size:]).lstrip(":").strip())

    def plan(self, command: Command, planning: Planning) -> None:
        assert command.on is not None
        contact = named(planning, command.name) if command.name else target(command, planning)
        try:
            on = future_day(command.on, planning.at.date(), "remind on")
        except DateError as exc:
            raise CommandError(str(exc)) from None
        planning.changes.dated.append(Dated(contact.id, on, command.text, planning.at))
        about = f": {command.text}" if command.text else ""
        planning.changes.lines.append(
            f"you will be reminded about {who(contact)} on {on:%A %-d %B %Y}{about}"
        )
