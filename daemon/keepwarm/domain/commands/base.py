"""What every email command shares: the parsed Command, the planned Changes, and the Verb registry.

Each verb is one object (as Mailman's email commands are) holding its names, where it may be
used, its usage line and help, how it reads its arguments and what it changes. Verbs register
themselves with ``@register``; the grammar looks a line's first word up in ``REGISTRY`` and the
help every answer and reminder shows is built from the same entries. Adding a verb touches one file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from keepwarm.domain.dates import DateSpec
from keepwarm.domain.extras import Dated, News, Opener
from keepwarm.domain.model import Birthday, Channel, Contact, Touch

# Words of a sentence, never of a command: a line meant as a command never holds one.
SENTENCE_WORDS = frozenset(
    {"i", "i'm", "i\u2019m", "you", "we", "my", "me", "the", "a", "an", "is", "are", "was", "were"}
    | {"will", "would", "could", "should", "please", "if", "but", "so", "this", "that", "it"}
    | {"it's", "to", "of", "by", "maybe"}
)


class CommandError(ValueError):
    """A line the owner wrote that is not a command we understand; says which line and why."""


class NotACommandError(CommandError):
    """The words after a verb do not fit it at all: the line is not that command."""


class Place(StrEnum):
    """Where a verb may be written: in a reply to a reminder, or in mail to the daemon address."""

    REPLY = "reply"
    DAEMON = "daemon"


@dataclass(frozen=True)
class Command:
    """One parsed command. ``entry`` is the digest entry number it names, if any."""

    verb: str
    entry: int | None = None
    channel: Channel | None = None
    text: str = ""
    cadence_days: int | None = None
    max_days: int | None = None  # every 4w max 6w
    snooze: timedelta | None = None
    until: date | None = None
    birthday: Birthday | None = None
    address: str | None = None
    name: str = ""
    group: str | None = None
    clamped: str | None = None
    title: str = ""
    link: str = ""
    # A date written as a phrase ("yesterday", "10 January"): resolved when the command is
    # planned, against the owner's today. ``until`` holds a date written out in full.
    on: DateSpec | None = None


@dataclass
class Changes:
    """The planned effects of one command message."""

    updated: dict[int, Contact] = field(default_factory=dict)
    removed: set[int] = field(default_factory=set)
    added: list[Contact] = field(default_factory=list)
    touches: list[Touch] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    undo: list[int] = field(default_factory=list)
    # ``undo`` in answer to a confirmation: the change that confirmation reported.
    undo_change: int | None = None
    openers: list[Opener] = field(default_factory=list)
    drop_openers: list[int] = field(default_factory=list)
    news: News | None = None
    clear_news: bool = False
    # "away until 2027-01-05": no reminders until that day; "back" ends it (a date in the past).
    away_until: date | None = None
    dated: list[Dated] = field(default_factory=list)
    thanks: list[tuple[int, str]] = field(default_factory=list)
    # "language fr for group friends": the language of a group's drafts (None: the default's).
    group_languages: dict[str, str | None] = field(default_factory=dict)

    @property
    def touched_contacts(self) -> set[int]:
        """Contacts whose state this message changes (their undo snapshot is taken first)."""
        return set(self.updated) | self.removed


@dataclass
class Planning:
    """What a verb plans against: the book, the message's reminder entries, and the changes so far.

    Every command of a message is planned against the state left by the ones before it; one bad
    command raises CommandError and the whole message is refused.
    """

    at: datetime  # when the message is read: the time of the touches it logs
    key: str
    contacts: Sequence[Contact] = ()
    entries: Mapping[int, int] = field(default_factory=dict)
    changes: Changes = field(default_factory=Changes)
    index: int = 0
    # The change the message being answered reported (a confirmation's), if any.
    change: int | None = None

    @property
    def touch_key(self) -> str:
        """The message key of the touch the current command logs (one per command line)."""
        return f"{self.key}#{self.index}"

    def by_id(self) -> dict[int, Contact]:
        """Contacts by id, as the commands so far have left them."""
        found = {c.id: c for c in self.contacts}
        found.update(self.changes.updated)
        return found


class Verb:
    """One email command. Subclasses set the class attributes and override ``parse`` and ``plan``."""

    names: tuple[str, ...] = ()
    places: frozenset[Place] = frozenset({Place.REPLY})
    usage: str = ""
    help: str = ""
    # Shown in the short list at the foot of every reminder (the rest are in the full help).
    in_footer: bool = False
    # The ``Command.verb`` values this verb parses into, when not its own name.
    produces: tuple[str, ...] = ()
    # Where the verb sits in the help: lower first (then in the order verbs are registered).
    rank: int = 100
    # Changes that are hard to take back (stop, pause, a new cadence): never read from a sentence.
    destructive: bool = False
    # Changes nothing lasting (done, help, due, list): may carry a pleasantry ("Done, thanks!").
    harmless: bool = False

    @property
    def name(self) -> str:
        """The verb's own name (the others are aliases)."""
        return self.names[0]

    def parse(self, word: str, rest: list[str], original_rest: list[str], line: str) -> Command:
        """Read the words after the verb (lower-cased, and as written); CommandError if they do
        not fit. ``word`` is the name the owner used; ``line`` the whole line as written."""
        raise NotACommandError(line)

    def plan(self, command: Command, planning: Planning) -> None:
        """Add this command's effects to ``planning.changes``; CommandError if it cannot apply."""
        raise CommandError(f"{command.verb!r} cannot be used here")


REGISTRY: dict[str, Verb] = {}
VERBS: list[Verb] = []
_PLANNERS: dict[str, Verb] = {}


def register(cls: type[Verb]) -> type[Verb]:
    """Class decorator: make the verb known under each of its names."""
    verb = cls()
    for name in verb.names:
        if name in REGISTRY:
            raise ValueError(f"two verbs are called {name!r}")
        REGISTRY[name] = verb
    for produced in verb.produces or (verb.name,):
        _PLANNERS[produced] = verb
    VERBS.append(verb)
    return cls


def planner(command: Command) -> Verb:
    """The verb that plans a parsed command."""
    verb = _PLANNERS.get(command.verb)
    if verb is None:
        raise CommandError(f"{command.verb!r} cannot be used here")
    return verb


def lookup(word: str, place: Place) -> Verb | None:
    """The verb a first word names, if it may be used in that place."""
    verb = REGISTRY.get(word)
    return verb if verb is not None and place in verb.places else None


def help_entries(place: Place, *, footer: bool = False, only: bool = False) -> list[tuple[str, str]]:
    """(usage, meaning) of every verb usable in ``place`` (with ``footer``, only the short list;
    with ``only``, only those usable nowhere else), in the order of their ranks."""
    shown = [
        v
        for v in VERBS
        if place in v.places and v.usage and (v.in_footer or not footer) and not (only and len(v.places) > 1)
    ]
    return [(verb.usage, verb.help) for verb in sorted(shown, key=lambda v: v.rank)]


def who(contact: Contact) -> str:
    """How a confirmation names a contact."""
    return contact.name or contact.primary_email
