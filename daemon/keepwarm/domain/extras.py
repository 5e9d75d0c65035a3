"""Things that give a check-in something to say: openers (finds to share), the owner's news, and
thank-yous. Parsing of the messages that create them, pure.

- ``for Priya`` (subject or first line) on a forwarded mail or a few lines with a link: an opener.
- ``news: we moved to Lisbon in October [for 3 months]``; ``news`` alone; ``news clear``.
- ``thanks Lena for The Overstory``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from keepwarm.domain.durations import DurationError, parse_duration

NEWS_LIFETIME = timedelta(weeks=6)
MAX_NEWS = 500
MAX_TITLE = 200
_URL = re.compile(r"https?://[^\s<>\"')\]]+", re.IGNORECASE)
_MARKDOWN_LINK = re.compile(r"\[([^\]]{1,200})\]\((https?://[^\s)]+)\)")
_FOR = re.compile(r"^for\s+(?P<who>.+?)\s*:?\s*$", re.IGNORECASE)
_NEWS = re.compile(
    r"^news\s*:?\s*(?P<text>.*?)(?:\s+for\s+(?P<period>\d+\s*\w+|a\s+\w+))?\s*$", re.IGNORECASE | re.DOTALL
)
_THANKS = re.compile(r"^thanks?\s+(?P<who>.+?)\s+for\s+(?P<what>.+?)\s*$", re.IGNORECASE)
_FORWARD = re.compile(r"^\s*(?:fwd?|fw|tr|wg|rv)\s*:\s*", re.IGNORECASE)


class ExtrasError(ValueError):
    """A news, opener or thanks line that cannot be understood; says why."""


@dataclass(frozen=True)
class Opener:
    """Something to share with a contact. ``id`` is 0 until stored."""

    contact_id: int
    title: str
    link: str
    added_at: datetime
    id: int = 0
    used_at: datetime | None = None


@dataclass(frozen=True)
class Dated:
    """``remind 2027-03-11 ask how the move went``: a reminder about one person on one day.
    ``unless_answered``: it resolves itself if they write first."""

    contact_id: int
    on: date
    text: str
    created_at: datetime
    unless_answered: bool = False
    id: int = 0


@dataclass(frozen=True)
class News:
    """The owner's current news and until when drafts may mention it."""

    text: str
    set_at: datetime
    until: datetime

    @property
    def key(self) -> str:
        """Identifies this piece of news, to tell each contact only once."""
        return self.set_at.isoformat()


def for_whom(line: str) -> str | None:
    """``for Priya`` → ``Priya``; None if the line is not a for-line."""
    match = _FOR.match(line.strip())
    return match.group("who").strip() if match else None


def first_link(text: str) -> tuple[str, str]:
    """The first link in the text and its link text (from a Markdown-style link), if any."""
    markdown = _MARKDOWN_LINK.search(text)
    plain = _URL.search(text)
    if markdown and (plain is None or markdown.start() <= plain.start()):
        return markdown.group(2), " ".join(markdown.group(1).split())
    return (plain.group(0).rstrip(".,;:?!"), "") if plain else ("", "")


def opener_title(subject: str, link_text: str, body: str) -> str:
    """A short title: the forwarded mail's subject, else the link text, else the first line."""
    cleaned = _FORWARD.sub("", subject).strip()
    if cleaned and not for_whom(cleaned):
        title = cleaned
    elif link_text:
        title = link_text
    else:
        title = next(
            (line.strip() for line in body.splitlines() if line.strip() and not _URL.fullmatch(line.strip())),
            "",
        )
    return " ".join(title.split())[:MAX_TITLE]


def parse_news(line: str, now: datetime) -> News | str:
    """``news: text [for 3 months]`` → News; ``news clear`` → "clear"; ``news`` → "ask"."""
    match = _NEWS.match(line.strip())
    if not match:
        raise ExtrasError(f"{line.strip()!r}: write 'news: what happened'")
    text, period = match.group("text").strip(), match.group("period")
    if not text and period is None:
        if line.strip().endswith(":"):
            raise ExtrasError(
                "'news:' with nothing after it: write what happened, e.g. 'news: we moved to Lisbon'"
            )
        return "ask"
    if text.lower() == "clear":
        return "clear"
    if text.lower().startswith("for ") and period is None and _is_period(text[4:]):
        raise ExtrasError(
            f"{line.strip()!r}: say what the news is, e.g. 'news: we moved to Lisbon for 3 months'"
        )
    lifetime = NEWS_LIFETIME
    if period:
        try:
            lifetime = parse_duration(period.replace("a ", "1 ", 1))
        except DurationError:
            # "working for a startup" is news, not a period: keep the words.
            text = f"{text} for {period}"
    return News(" ".join(text.split())[:MAX_NEWS], now, now + lifetime)


def _is_period(text: str) -> bool:
    try:
        parse_duration(text.replace("a ", "1 ", 1))
    except DurationError:
        return False
    return True


def parse_thanks(line: str) -> tuple[str, str] | None:
    """``thanks Lena for The Overstory`` → (who, what); None if the line is not a thanks."""
    match = _THANKS.match(line.strip())
    if not match:
        return None
    return match.group("who").strip(), " ".join(match.group("what").split())[:MAX_TITLE]
