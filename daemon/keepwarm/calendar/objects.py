"""What every calendar source hands back: its objects (one event with its occurrences, by href),
the hrefs gone, and the tokens that tell the next read what is unchanged."""

from __future__ import annotations

from dataclasses import dataclass, field

# A whole calendar bigger than this is refused with one line rather than read into memory.
MAX_BYTES = 25 * 1024 * 1024


class CalendarError(Exception):
    """The calendar cannot be read now (login refused, unreachable, not a calendar, not iCalendar);
    the message is one line for the owner. The next sync tries again."""


@dataclass(frozen=True)
class CalendarObject:
    """One calendar object: where (its href, or its UID in a whole-calendar file), its version
    (ETag, or a digest of its text) and its iCalendar text."""

    href: str
    etag: str
    text: str


@dataclass
class Changes:
    """Objects new or changed since the last read, hrefs gone, and the next read's tokens:
    ``token`` (a sync-token, an HTTP ETag, a file's time and size) and the collection's ``ctag``.
    ``unchanged`` says the source is as it was (nothing was listed)."""

    objects: list[CalendarObject] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    token: str | None = None
    ctag: str | None = None
    unchanged: bool = False


def changed(listed: dict[str, str], known: dict[str, str] | None) -> list[str]:
    """The hrefs of ``listed`` (href to ETag) whose ETag is not the one ``known``."""
    return [h for h, etag in listed.items() if (known or {}).get(h) != etag]
