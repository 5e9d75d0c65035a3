"""The verbs that give a check-in something to say, written to the daemon address: ``for Priya``
(on something to share), ``news: …``, ``thanks Lena for …`` and ``drop opener 3``. Pure."""

from __future__ import annotations

from keepwarm.domain.book import ContactLookupError, find_contact
from keepwarm.domain.commands.base import Command, CommandError, Place, Planning, Verb, register, who
from keepwarm.domain.extras import (
    ExtrasError,
    News,
    Opener,
    first_link,
    opener_title,
    parse_news,
    parse_thanks,
)
from keepwarm.domain.model import Contact

_DAEMON = frozenset({Place.DAEMON})
# Each thank-you becomes an email to the owner: a message may ask for a few, not a flood.
MAX_THANKS_PER_MESSAGE = 10


def _named(planning: Planning, name: str) -> Contact:
    try:
        return find_contact(planning.contacts, name)
    except ContactLookupError as exc:
        raise CommandError(str(exc)) from None


@register
class ForSomeone(Verb):
    """``for Priya`` as the subject or first line of a forwarded mail or a few lines with a link:
    keep it to share at her next check-in. Read from the whole mail, not from one line."""

    names = ("for",)
    rank = 130
    places = _DAEMON
    usage = "for Priya"
    help = "on a forwarded mail or a link: keep it to share at the next check-in"
    produces = ("opener",)

    @staticmethod
    def from_mail(name: str, subject: str, body: str) -> Command:
        """The opener a mail ``for`` someone carries: its subject or link, and the first link."""
        link, link_text = first_link(body)
        title = opener_title(subject, link_text, body)
        if not title and not link:
            raise CommandError(f"for {name}: there is nothing to share (forward a mail, or add a link)")
        return Command("opener", name=name, title=title or link, link=link)

    def plan(self, command: Command, planning: Planning) -> None:
        contact = _named(planning, command.name)
        planning.changes.openers.append(Opener(contact.id, command.title, command.link, planning.at))
        planning.changes.lines.append(f"kept for {who(contact)}, for the next check-in: {command.title}")


@register
class NewsVerb(Verb):
    """``news: we moved to Lisbon [for 3 months]``; ``news`` alone asks; ``news clear``."""

    names = ("news",)
    rank = 140
    places = _DAEMON
    usage = "news: …"
    help = "your news, for drafts to mention (news … for 3 months; news clear)"

    def parse(self, word: str, rest: list[str], original_rest: list[str], line: str) -> Command:
        return Command("news", text=line.strip())

    def plan(self, command: Command, planning: Planning) -> None:
        changes = planning.changes
        try:
            parsed = parse_news(command.text, planning.at)
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


@register
class Thanks(Verb):
    """``thanks Lena for The Overstory``: a thank-you draft with the next reminders."""

    names = ("thanks", "thank")
    rank = 150
    places = _DAEMON
    usage = "thanks Lena for The Overstory"
    help = "a thank-you draft with the next reminders"

    def parse(self, word: str, rest: list[str], original_rest: list[str], line: str) -> Command:
        parsed = parse_thanks(line)
        if parsed is None:
            raise CommandError("write 'thanks Lena for The Overstory'")
        return Command("thanks", name=parsed[0], text=parsed[1])

    def plan(self, command: Command, planning: Planning) -> None:
        if len(planning.changes.thanks) >= MAX_THANKS_PER_MESSAGE:
            raise CommandError(f"at most {MAX_THANKS_PER_MESSAGE} thank-yous in one message")
        contact = _named(planning, command.name)
        planning.changes.thanks.append((contact.id, command.text))
        planning.changes.lines.append(
            f"a thank-you draft to {who(contact)} for {command.text} comes with the next reminders"
        )


@register
class DropOpener(Verb):
    """``drop opener 3``: forget something kept to share."""

    names = ("drop",)
    rank = 155
    places = _DAEMON
    usage = "drop opener 3"
    help = "forget something kept to share"
    produces = ("drop-opener",)

    def parse(self, word: str, rest: list[str], original_rest: list[str], line: str) -> Command:
        if not rest or rest[0] != "opener":
            return super().parse(word, rest, original_rest, line)
        if len(rest) != 2 or not (rest[1].isascii() and rest[1].isdigit()):
            raise CommandError("write 'drop opener 3' (the number keepwarm showed)")
        return Command("drop-opener", entry=int(rest[1]))

    def plan(self, command: Command, planning: Planning) -> None:
        assert command.entry is not None
        planning.changes.drop_openers.append(command.entry)
        planning.changes.lines.append(f"dropped opener {command.entry}")
