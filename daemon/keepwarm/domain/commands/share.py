"""The verbs that give a check-in something to say, written to the daemon address: ``for Priya``
(on something to share), ``news: …``, ``thanks Lena for …`` and ``drop opener 3``; and ``away
until …`` / ``back``, which hold every reminder back for a while. Pure."""

from __future__ import annotations

from datetime import timedelta

from keepwarm.domain.book import ContactLookupError, find_contact
from keepwarm.domain.commands.base import (
    Command,
    CommandError,
    NotACommandError,
    Place,
    Planning,
    Verb,
    register,
    who,
)
from keepwarm.domain.dates import DateError, future_day, parse_date
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
MAX_AWAY = timedelta(days=366)


def named(planning: Planning, name: str) -> Contact:
    """The tracked contact a command names (its name or an address), or CommandError."""
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
        contact = named(planning, command.name)
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
        contact = named(planning, command.name)
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


@register
class Away(Verb):
    """``away until 2027-01-05`` (or ``away until 5 January``): no reminders until that day,
    commands still work; then one calm catch-up digest. ``back`` (or ``away off``) ends it."""

    names = ("away", "back")
    rank = 160
    places = _DAEMON
    usage = "away until 2027-01-05"
    help = "no reminders until then, one catch-up digest after (back ends it)"

    def parse(self, word: str, rest: list[str], original_rest: list[str], line: str) -> Command:
        if word == "back" or rest == ["off"]:
            if word == "back" and rest:
                raise NotACommandError(line)
            return Command("away", text="back")
        if not rest or rest[0] != "until" or len(rest) < 2:
            raise ValueError("say until when: away until 2027-01-05")
        return Command("away", on=parse_date(" ".join(rest[1:])))

    def plan(self, command: Command, planning: Planning) -> None:
        today = planning.at.date()
        if command.text == "back":
            planning.changes.away_until = today
            planning.changes.lines.append("welcome back: reminders are on again")
            return
        assert command.on is not None
        try:
            until = future_day(command.on, today, "away until", within=MAX_AWAY)
        except DateError as exc:
            raise CommandError(str(exc)) from None
        planning.changes.away_until = until
        planning.changes.lines.append(
            f"no reminders until {until:%A %-d %B %Y}; then one catch-up digest ('back' ends it sooner)"
        )
