"""The domain's nouns: contacts, touches, notes and birthdays, as frozen dataclasses.

Every datetime here is time-zone aware; a naive one is a bug upstream and is refused at construction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum


class Direction(StrEnum):
    """Who wrote: the owner (``out``), the contact (``in``), or a touch the owner logged by hand."""

    OUT = "out"
    IN = "in"
    MANUAL = "manual"


class Channel(StrEnum):
    """How the touch happened."""

    EMAIL = "email"
    CALL = "call"
    VIDEO = "video"
    MEETING = "meeting"
    MESSAGE = "message"
    OTHER = "other"


def require_aware(value: datetime | None, what: str) -> None:
    """Refuse naive datetimes: comparing them with aware ones fails late and far from the cause."""
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{what} must be time-zone aware, got {value!r}")


class Priority(StrEnum):
    """Who gets the day's reminder slots first when more people are due than the cap allows."""

    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"

    @property
    def rank(self) -> int:
        """Higher goes first."""
        return {"high": 1, "normal": 0, "low": -1}[self.value]


@dataclass(frozen=True)
class Birthday:
    """A birthday; the year is optional because people often know only the day."""

    month: int
    day: int
    year: int | None = None

    def __post_init__(self) -> None:
        # 2000 is a leap year, so 29 February is accepted without a year.
        date(self.year or 2000, self.month, self.day)

    def __str__(self) -> str:
        if self.year is None:
            return f"--{self.month:02d}-{self.day:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def spoken(self) -> str:
        """As people write it: ``14 March``, ``14 March 1990``."""
        text = f"{self.day} {date(2000, self.month, 1):%B}"
        return f"{text} {self.year}" if self.year else text


_BIRTHDAY = re.compile(r"^(?:(?P<y>\d{4})-?|--)?(?P<m>\d{1,2})-?(?P<d>\d{2})$")


def parse_birthday(text: str) -> Birthday:
    """Read ``1990-05-17``, ``--05-17`` (vCard's form without a year), ``05-17``, or the compact
    vCard forms ``19900517`` and ``--0517``; a time part (``T000000``) is ignored."""
    match = _BIRTHDAY.match(text.strip().split("T", 1)[0])
    if not match:
        raise ValueError(f"{text!r} is not a date (write 1990-05-17, or 05-17 without the year)")
    year = int(match.group("y")) if match.group("y") else None
    try:
        return Birthday(int(match.group("m")), int(match.group("d")), year)
    except ValueError:
        raise ValueError(f"{text!r} is not a real date") from None


@dataclass(frozen=True)
class YearlyDate:
    """A date that comes back every year besides the birthday: ``anniversary``, ``Mia's birthday``."""

    label: str
    date: Birthday

    def __post_init__(self) -> None:
        if not self.label.strip():
            raise ValueError("a date needs a name (date anniversary 06-12)")


@dataclass(frozen=True)
class Note:
    """A free-text note on a contact, with when it was written."""

    at: datetime
    text: str

    def __post_init__(self) -> None:
        require_aware(self.at, "Note.at")


@dataclass(frozen=True)
class Contact:
    """Someone the owner wants to keep in touch with. ``id`` is 0 until the store assigns one."""

    name: str
    emails: tuple[str, ...]
    added_at: datetime
    id: int = 0
    group: str | None = None
    cadence_days: int | None = None
    notes: tuple[Note, ...] = ()
    paused: bool = False
    snoozed_until: datetime | None = None
    birthday: Birthday | None = None
    dates: tuple[YearlyDate, ...] = ()
    # "every 4w max 6w": due (soft) at the cadence, overdue at the maximum.
    max_days: int | None = None
    priority: Priority | None = None  # None: the group's, else normal
    language: str | None = None  # of her drafts ("de"); None: the group's, else DRAFT_LANGUAGE

    def __post_init__(self) -> None:
        if not self.emails:
            raise ValueError("a contact needs at least one address")
        require_aware(self.added_at, "Contact.added_at")
        require_aware(self.snoozed_until, "Contact.snoozed_until")

    @property
    def primary_email(self) -> str:
        """The address used for drafts and for manual touches."""
        return self.emails[0]

    @property
    def label(self) -> str:
        """``Name <address>``, or the address alone when there is no name."""
        return f"{self.name} <{self.primary_email}>" if self.name else self.primary_email

    def with_changes(self, **changes: object) -> Contact:
        """A copy with some fields changed (dataclasses.replace, typed loosely for callers)."""
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Touch:
    """Evidence of contact with the person at ``address`` (lower-case).

    Keyed by address rather than by contact, so touches with people not yet tracked are kept and
    count as soon as the owner starts tracking them. ``name`` is the display name the mail gave
    the other person, kept so that suggestions can show who an address belongs to.
    """

    address: str
    at: datetime
    direction: Direction
    channel: Channel = Channel.EMAIL
    subject: str = ""
    message_id: str | None = None
    source: str = ""
    name: str = ""
    # Only copied (Cc, Bcc), not addressed in To: the owner on mail in, the person on mail out.
    # A reply is owed only for mail written to the owner directly.
    copied: bool = False

    def __post_init__(self) -> None:
        require_aware(self.at, "Touch.at")
