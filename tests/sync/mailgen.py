"""A realistic mailbox generator that also computes the truth: the touches a reader would count."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime, formataddr

OWNER_NAME = "Naomi Owner"
DEFAULT_BACKFILL = timedelta(days=730)  # keepwarm's default BACKFILL of 2y
BROADCAST_SIZE = 30
# Date headers a reader would not trust, and what the reader takes instead.
ODD_DATES = (
    "missing",
    "future",  # after the poll: a broken clock
    "ahead-of-arrival",  # in the past now, but long after the server received it: a broken clock
    "garbage",
    "minus-zero",
    "far-zone",
    "obsolete-zone",
    "no-weekday",
)
_ARRIVAL_DATES = frozenset({"missing", "future", "ahead-of-arrival", "garbage"})

_FIRST = (
    "Alice", "Bruno", "Chiara", "Dmitri", "Elif", "Farid", "Greta", "Hiroshi", "Ines", "Jonas",
    "Kemal", "Lucía", "Mateo", "Nadia", "Olu", "Priya", "Quentin", "Rosa", "Sven", "Tamsin",
    "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoë", "Anneke", "Björn", "Céline", "Dario",
    "Eamon", "Fatima", "Gustav", "Hana", "Ivo", "Jana",
)  # fmt: skip
_LAST = (
    "Example", "Moreau", "Ødegaard", "Tanaka", "Kowalski", "Nguyen", "O'Brien", "Schäfer", "Rossi",
    "Haddad", "Silva", "Jensen", "Doe", "Müller", "Park",
)  # fmt: skip
_DOMAINS = ("example.org", "example.net", "mail.example", "uni.example.edu", "work.example.co")
_TOPICS = (
    "Dinner on Friday?", "Trip photos", "The book you lent me", "Quick question", "Moving house",
    "Happy birthday!", "Conference in Lisbon", "Your garden", "Re-reading Middlemarch", "Kids' school",
    "Job news", "Recipe", "Hiking in May", "Concert tickets", "New apartment", "Thesis draft",
)  # fmt: skip
_NEWSLETTERS = (
    ("The Weekly Digest", "digest@news.example.com", "<weekly.news.example.com>", ""),
    ("Local Food Co-op", "info@coop.example", "<members.coop.example>", "bulk"),
    ("Cinema Club", "program@cinema.example", "", "bulk"),
    ("Tech Briefing", "briefing@tech.example", "<briefing.tech.example>", "list"),
    ("Shop Deals", "deals@shop.example", "", "junk"),
    ("Running Club", "club@run.example", "<announce.run.example>", ""),
)
_NOTIFIERS = (
    "GitHub <notifications@github.example>",
    "noreply@bank.example",
    "Accounts <no-reply@accounts.example.com>",
    "Shop <do-not-reply@shop.example>",
    "Calendar <calendar-noreply@calendar.example>",
    "Billing <noreply-billing@cloud.example>",
    "bounces+4711@mailer.example",
    "Delivery <notification@parcel.example>",
)


@dataclass(frozen=True)
class Person:
    """A correspondent: display name (may be empty) and address (lower case)."""

    name: str
    address: str
    mode: str  # "two-way", "in-only" (writes, never answered) or "out-only"
    weight: float


@dataclass(frozen=True)
class Placement:
    """One copy of a message in one folder: APPENDed with ``arrived``, or delivered over LMTP."""

    folder: str
    raw: bytes
    flags: tuple[bytes, ...]
    arrived: datetime | None
    lmtp_to: str | None = None
    envelope_from: str = ""
    kind: str = ""  # what the message is: personal-in, newsletter, ancient, ...


@dataclass(frozen=True)
class TruthTouch:
    """A touch a person reading the mailbox would count."""

    address: str
    direction: str  # "in" or "out"
    at: datetime
    name: str
    label: str


@dataclass
class GeneratedMailbox:
    """The messages to put in the mailbox and the touches they are evidence of."""

    owner: str
    alias: str
    daemon: str
    now: datetime
    placements: list[Placement] = field(default_factory=list)
    touches: list[TruthTouch] = field(default_factory=list)
    people: dict[str, Person] = field(default_factory=dict)
    tracked: dict[str, tuple[str, int | None]] = field(default_factory=dict)
    kinds: Counter[str] = field(default_factory=Counter)

    @property
    def owner_emails(self) -> tuple[str, str]:
        """The owner's two addresses: the mailbox's own and a work alias."""
        return self.owner, self.alias

    def counts(self) -> Counter[tuple[str, str]]:
        """Touches per (address, direction)."""
        return Counter((t.address, t.direction) for t in self.touches)

    def per_address(self) -> dict[str, int]:
        """Touches per address, both directions together."""
        return dict(Counter(t.address for t in self.touches))

    def last_touch(self) -> dict[str, datetime]:
        """The newest touch per address."""
        latest: dict[str, datetime] = {}
        for t in self.touches:
            if t.address not in latest or t.at > latest[t.address]:
                latest[t.address] = t.at
        return latest

    def two_way(self, min_sent: int = 2, min_received: int = 1) -> dict[str, tuple[int, int]]:
        """Address -> (sent, received) for people written to and heard from often enough."""
        counts = self.counts()
        found = {}
        for address in {t.address for t in self.touches}:
            sent, received = counts[(address, "out")], counts[(address, "in")]
            if sent >= min_sent and received >= min_received:
                found[address] = (sent, received)
        return found

    def appended(self) -> Iterator[tuple[str, bytes, tuple[bytes, ...], datetime | None]]:
        """(folder, raw, flags, internal date) of every copy that is APPENDed."""
        # In order of arrival, as a server would have numbered them.
        copies = [p for p in self.placements if p.lmtp_to is None and p.arrived is not None]
        for p in sorted(copies, key=lambda p: (p.folder, p.arrived or self.now)):
            yield p.folder, p.raw, p.flags, p.arrived

    def delivered(self) -> list[Placement]:
        """Copies that arrive over LMTP."""
        return [p for p in self.placements if p.lmtp_to is not None]


def _mixed_case(address: str, rng: random.Random) -> str:
    return "".join(c.upper() if c.isalpha() and rng.random() < 0.3 else c for c in address)


def _slug(text: str) -> str:
    plain = text.lower().replace("ø", "o").replace("ë", "e").replace("ä", "a").replace("ü", "u")
    plain = plain.replace("í", "i").replace("é", "e").replace("ö", "o").replace("'", "")
    return "".join(c for c in plain if c.isalnum())


class _Generator:
    def __init__(self, box: GeneratedMailbox, rng: random.Random, backfill: timedelta) -> None:
        self.box = box
        self.rng = rng
        self.newest = box.now - timedelta(hours=1)
        self.oldest = box.now - backfill + timedelta(days=30)
        self._serial = 0
        self._odd = 0
        self.people = self._make_people()
        box.people = {p.address: p for p in self.people}

    # -- building blocks ---------------------------------------------------------------------

    def _make_people(self) -> list[Person]:
        people = []
        seen: set[str] = set()
        for i, first in enumerate(_FIRST):
            last = _LAST[i % len(_LAST)]
            domain = _DOMAINS[i % len(_DOMAINS)]
            address = f"{_slug(first)}.{_slug(last)}@{domain}"
            if address in seen:
                address = f"{_slug(first)}{i}@{domain}"
            seen.add(address)
            name = f"{first} {last}"
            if i % 9 == 4:
                name = f"{last}, {first}"  # needs quoting
            elif i % 11 == 7:
                name = ""  # a bare address
            mode = "in-only" if i % 8 == 3 else ("out-only" if i % 8 == 6 else "two-way")
            people.append(Person(name, address, mode, 1.0 / (1 + i % 12)))
        return people

    def _id(self, domain: str) -> str:
        self._serial += 1
        return f"{self.rng.getrandbits(48):012x}.{self._serial}@{domain}"

    def _addr(self, person: Person) -> str:
        written = person.address if self.rng.random() < 0.85 else _mixed_case(person.address, self.rng)
        return formataddr((person.name, written)) if person.name else written

    def _owner(self, address: str) -> str:
        return formataddr((OWNER_NAME, address))

    def _date(self, at: datetime) -> str:
        zone = timezone(timedelta(minutes=self.rng.choice((-480, -300, 0, 60, 120, 330, 540))))
        return format_datetime(at.astimezone(zone))

    def _time(self) -> datetime:
        span = (self.newest - self.oldest).total_seconds()
        return (self.oldest + timedelta(seconds=self.rng.uniform(0, span))).replace(microsecond=0)

    def _body(self) -> bytes:
        lines = self.rng.randint(1, 6)
        return b"".join(b"Some words about the matter at hand, line %d.\r\n" % i for i in range(lines))

    @staticmethod
    def _raw(headers: list[tuple[str, str]], body: bytes) -> bytes:
        head = "".join(f"{name}: {value}\r\n" for name, value in headers)
        return (
            head.encode("utf-8")
            + b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            + body
        )

    def _place(self, placement: Placement, kind: str) -> None:
        self.box.placements.append(replace(placement, kind=kind))
        self.box.kinds[kind] += 1

    def _touch(self, person: Person, direction: str, at: datetime, label: str) -> None:
        self.box.touches.append(TruthTouch(person.address, direction, at, person.name, label))

    def _odd_date(self) -> str | None:
        if self.rng.random() >= 0.04:
            return None
        self._odd += 1
        return ODD_DATES[self._odd % len(ODD_DATES)]

    def _odd_header(self, odd: str, at: datetime, arrived: datetime) -> str | None:
        if odd == "missing":
            return None
        if odd == "future":
            return format_datetime(self.box.now + timedelta(days=self.rng.randint(30, 400)))
        if odd == "ahead-of-arrival":
            return format_datetime(arrived + (self.box.now - arrived) / 2)
        if odd == "garbage":
            return "sometime last week"
        if odd == "minus-zero":
            return at.strftime("%a, %d %b %Y %H:%M:%S -0000")
        if odd == "far-zone":
            return format_datetime(at.astimezone(timezone(timedelta(hours=14))))
        if odd == "obsolete-zone":
            return at.astimezone(timezone(timedelta(hours=-5))).strftime("%a, %d %b %Y %H:%M:%S EST")
        return format_datetime(at).split(", ", 1)[1]  # no-weekday

    # -- personal mail -----------------------------------------------------------------------

    def outgoing(
        self,
        at: datetime,
        to: list[Person],
        cc: list[Person],
        subject: str,
        parent: tuple[str | None, list[str]],
        *,
        from_alias: bool = False,
        self_copy: bool = False,
    ) -> str | None:
        """The owner writes; one OUT touch per person in To and Cc."""
        me = self.box.alias if from_alias else self.box.owner
        msgid = None if self.rng.random() < 0.03 else self._id(me.rpartition("@")[2])
        headers = [("From", self._owner(me)), ("To", ", ".join(self._addr(p) for p in to))]
        cc_values = [self._addr(p) for p in cc] + ([self._owner(me)] if self_copy else [])
        if cc_values:
            headers.append(("Cc", ", ".join(cc_values)))
        headers += [("Subject", subject), ("Date", self._date(at))]
        headers += self._thread_headers(msgid, parent)
        headers.append(("User-Agent", "Thunderbird/128.0"))
        raw = self._raw(headers, self._body())
        if msgid is None:
            self.box.kinds["no-message-id"] += 1
        self._place(Placement("Sent", raw, (b"\\Seen",), at), "personal-out")
        if self_copy:
            self._place(Placement("INBOX", raw, (b"\\Seen",), at + timedelta(seconds=2)), "self-copy")
        for person in dict.fromkeys([*to, *cc]):
            self._touch(person, "out", at, subject)
        return msgid

    def incoming(
        self,
        at: datetime,
        sender: Person,
        cc: list[Person],
        subject: str,
        parent: tuple[str | None, list[str]],
        *,
        to_alias: bool = False,
        via_lmtp: bool = False,
        blind: bool = False,
    ) -> str | None:
        """A correspondent writes to the owner; one IN touch with the sender."""
        me = self.box.alias if to_alias else self.box.owner
        odd = None if via_lmtp else self._odd_date()
        missing_id = not via_lmtp and self.rng.random() < 0.03
        msgid = None if missing_id else self._id(sender.address.rpartition("@")[2])
        to = ", ".join(self._addr(p) for p in cc) if blind else self._owner(me)
        headers = [("From", self._addr(sender)), ("To", to)]
        if cc and not blind:
            headers.append(("Cc", ", ".join(self._addr(p) for p in cc)))
        headers.append(("Subject", subject))
        arrived = at + timedelta(seconds=self.rng.randint(3, 300))
        if odd == "ahead-of-arrival" and self.box.now - arrived < timedelta(days=4):
            odd = "future"  # too recent to be dated between its arrival and now by days
        date = self._date(at) if odd is None else self._odd_header(odd, at, arrived)
        if date is not None:
            headers.append(("Date", date))
        headers += self._thread_headers(msgid, parent)
        raw = self._raw(headers, self._body())
        flags = tuple(f for f, p in ((b"\\Seen", 0.8), (b"\\Flagged", 0.05)) if self.rng.random() < p)
        if via_lmtp:
            self._place(
                Placement("INBOX", raw, (), None, lmtp_to=me, envelope_from=sender.address), "personal-lmtp"
            )
        else:
            self._place(Placement("INBOX", raw, flags, arrived), "personal-in")
        if odd is not None:
            self.box.kinds[f"odd-date:{odd}"] += 1
        if msgid is None:
            self.box.kinds["no-message-id"] += 1
        self._touch(sender, "in", arrived if odd in _ARRIVAL_DATES else at, subject)
        return msgid

    @staticmethod
    def _thread_headers(msgid: str | None, parent: tuple[str | None, list[str]]) -> list[tuple[str, str]]:
        headers = []
        if msgid is not None:
            headers.append(("Message-ID", f"<{msgid}>"))
        parent_id, refs = parent
        if parent_id is not None:
            headers.append(("In-Reply-To", f"<{parent_id}>"))
        if refs:
            headers.append(("References", " ".join(f"<{r}>" for r in refs)))
        return headers

    def thread(self) -> None:
        """A conversation with one person, sometimes with a second in copy."""
        main = self.rng.choices(self.people, weights=[p.weight for p in self.people])[0]
        others = [p for p in self.people if p is not main and p.mode == "two-way"]
        second = self.rng.choice(others) if self.rng.random() < 0.15 else None
        length = self.rng.choice((1, 1, 2, 2, 3, 4, 5, 6))
        outgoing = {"in-only": False, "out-only": True}.get(main.mode, self.rng.random() < 0.5)
        at = self._time()
        topic = self.rng.choice(_TOPICS)
        alias = self.rng.random() < 0.1
        parent: tuple[str | None, list[str]] = (None, [])
        for n in range(length):
            if at > self.newest:
                return
            subject = topic if n == 0 else f"Re: {topic}"
            if outgoing:
                to = [main] if second is None or self.rng.random() < 0.5 else [main, second]
                cc = [second] if second is not None and second not in to else []
                msgid = self.outgoing(
                    at, to, cc, subject, parent, from_alias=alias, self_copy=self.rng.random() < 0.03
                )
            else:
                sender = second if second is not None and self.rng.random() < 0.3 else main
                cc = [p for p in (main, second) if p is not None and p is not sender]
                msgid = self.incoming(at, sender, cc, subject, parent, to_alias=alias)
            if msgid is not None:
                parent = (msgid, [*parent[1], msgid][-8:])
            if main.mode == "two-way" and self.rng.random() < 0.85:
                outgoing = not outgoing
            at += timedelta(seconds=self.rng.randint(1800, 3 * 86400))

    # -- everything that is not a touch ------------------------------------------------------

    def newsletter(self) -> None:
        name, address, list_id, precedence = self.rng.choice(_NEWSLETTERS)
        at = self._time()
        headers = [("From", formataddr((name, address))), ("To", self._owner(self.box.owner))]
        headers += [("Subject", f"{name}: this week"), ("Date", self._date(at))]
        headers.append(("Message-ID", f"<{self._id(address.rpartition('@')[2])}>"))
        if list_id:
            headers.append(("List-Id", f"{name} {list_id}"))
            headers.append(("List-Unsubscribe", f"<mailto:leave@{address.rpartition('@')[2]}>"))
        if precedence:
            headers.append(("Precedence", precedence))
        flags = (b"\\Seen",) if self.rng.random() < 0.3 else ()
        self._place(Placement("INBOX", self._raw(headers, self._body()), flags, at), "newsletter")

    def list_post(self) -> None:
        """A correspondent posts to a discussion list the owner reads: not a personal touch."""
        sender = self.rng.choice(self.people)
        at = self._time()
        headers = [("From", self._addr(sender)), ("To", "Dev list <dev@lists.example.org>")]
        headers += [("Subject", "[dev] Release plans"), ("Date", self._date(at))]
        headers += [("Message-ID", f"<{self._id('lists.example.org')}>")]
        headers += [("List-Id", "Developers <dev.lists.example.org>"), ("Precedence", "list")]
        self._place(Placement("INBOX", self._raw(headers, self._body()), (), at), "list-post")

    def notification(self) -> None:
        at = self._time()
        sender = self.rng.choice(_NOTIFIERS)
        headers = [("From", sender), ("To", self._owner(self.box.owner))]
        headers += [("Subject", "Your account activity"), ("Date", self._date(at))]
        headers.append(("Message-ID", f"<{self._id('notify.example')}>"))
        self._place(Placement("INBOX", self._raw(headers, self._body()), (), at), "notification")

    def autoreply(self) -> None:
        sender = self.rng.choice(self.people)
        at = self._time()
        marker = self.rng.choice(
            (("Auto-Submitted", "auto-replied"), ("X-Autoreply", "yes"), ("Auto-Submitted", "auto-generated"))
        )
        headers = [("From", self._addr(sender)), ("To", self._owner(self.box.owner))]
        headers += [("Subject", f"Automatic reply: {self.rng.choice(_TOPICS)}"), ("Date", self._date(at))]
        headers += [("Message-ID", f"<{self._id('autoreply.example')}>"), marker]
        self._place(Placement("INBOX", self._raw(headers, b"I am away.\r\n"), (), at), "autoreply")

    def bounce(self, *, via_lmtp: bool) -> None:
        at = self._time()
        if via_lmtp:
            # A robot with an empty envelope sender: Dovecot writes Return-Path: <>.
            headers = [("From", "Service Robot <robot@service.example>")]
        else:
            headers = [("Return-Path", "<>"), ("From", "Mail Delivery System <MAILER-DAEMON@mx.example.net>")]
        headers += [("To", self.box.owner), ("Subject", "Undelivered Mail Returned to Sender")]
        headers += [("Date", self._date(at)), ("Message-ID", f"<{self._id('mx.example.net')}>")]
        raw = self._raw(headers, b"This is the mail system.\r\n")
        if via_lmtp:
            self._place(Placement("INBOX", raw, (), None, lmtp_to=self.box.owner, envelope_from=""), "bounce")
        else:
            self._place(Placement("INBOX", raw, (), at), "bounce")

    def broadcast(self, *, outgoing: bool) -> None:
        at = self._time()
        crowd = [self._addr(p) for p in self.people[: BROADCAST_SIZE - 6]]
        crowd += [f"guest{i}@party.example" for i in range(BROADCAST_SIZE - len(crowd))]
        flags: tuple[bytes, ...] = ()
        if outgoing:
            headers = [("From", self._owner(self.box.owner)), ("To", ", ".join(crowd))]
            folder, flags, kind = "Sent", (b"\\Seen",), "broadcast-out"
        else:
            crowd[-1] = self._owner(self.box.owner)
            headers = [("From", "Aunt May <may@family.example>"), ("To", ", ".join(crowd))]
            folder, kind = "INBOX", "broadcast-in"
        headers += [("Subject", "Party at ours!"), ("Date", self._date(at))]
        headers.append(("Message-ID", f"<{self._id('party.example')}>"))
        self._place(Placement(folder, self._raw(headers, self._body()), flags, at), kind)

    def note_to_self(self) -> None:
        at = self._time()
        headers = [("From", self._owner(self.box.owner)), ("To", self._owner(self.box.owner))]
        headers += [("Subject", "note to self"), ("Date", self._date(at))]
        headers.append(("Message-ID", f"<{self._id('example.com')}>"))
        raw = self._raw(headers, self._body())
        self._place(Placement("Sent", raw, (b"\\Seen",), at), "self-note")
        self._place(Placement("INBOX", raw, (), at + timedelta(seconds=1)), "self-note")

    def draft(self) -> None:
        at = self._time()
        person = self.rng.choice(self.people)
        headers = [("From", self._owner(self.box.owner)), ("To", self._addr(person))]
        headers += [("Subject", "unfinished thoughts"), ("Date", self._date(at))]
        raw = self._raw(headers, self._body())
        self._place(Placement("Drafts", raw, (b"\\Draft", b"\\Seen"), at), "draft")

    def ancient(self) -> None:
        """Correspondence older than the backfill window: not read on the first poll."""
        person = self.rng.choice(self.people)
        at = self.box.now - timedelta(days=1000 + self.rng.randint(0, 200))
        headers = [("From", self._addr(person)), ("To", self._owner(self.box.owner))]
        headers += [("Subject", "Long ago"), ("Date", self._date(at))]
        headers.append(("Message-ID", f"<{self._id('old.example')}>"))
        self._place(Placement("INBOX", self._raw(headers, self._body()), (b"\\Seen",), at), "ancient")

    def bcc_to_daemon(self, recipients: list[Person], tag: str, days: int | None) -> None:
        """The owner writes and BCCs keepwarm: Sent copy with the Bcc header, INBOX copy by LMTP."""
        at = self._time()
        daemon_local, _, domain = self.box.daemon.rpartition("@")
        target = f"{daemon_local}+{tag}@{domain}" if tag else self.box.daemon
        msgid = self._id("example.com")
        headers = [
            ("From", self._owner(self.box.owner)),
            ("To", ", ".join(self._addr(p) for p in recipients)),
        ]
        headers += [("Subject", "Long time no see"), ("Date", self._date(at)), ("Message-ID", f"<{msgid}>")]
        body = self._body()
        self._place(Placement("Sent", self._raw([*headers, ("Bcc", target)], body), (b"\\Seen",), at), "bcc")
        lmtp = Placement(
            "INBOX", self._raw(headers, body), (), None, lmtp_to=target, envelope_from=self.box.owner
        )
        self._place(lmtp, "bcc")
        for person in recipients:
            self._touch(person, "out", at, "Long time no see")
            self.box.tracked[person.address] = (person.name, days)


def generate(
    owner: str,
    daemon: str,
    now: datetime,
    *,
    size: int = 2000,
    seed: int = 20261126,
    alias: str = "naomi.owner@work.example",
    backfill: timedelta = DEFAULT_BACKFILL,
) -> GeneratedMailbox:
    """About ``size`` message copies (INBOX, Sent, Drafts) and the touches a reader would count.

    The truth is written down while generating, from what each message *is* (a reply to a friend,
    a newsletter, an out-of-office), never by running keepwarm's own parser or classifier.
    """
    box = GeneratedMailbox(owner=owner.lower(), alias=alias, daemon=daemon.lower(), now=now.astimezone(UTC))
    gen = _Generator(box, random.Random(seed), backfill)
    noise: list[Callable[[], None]] = [
        *[gen.newsletter] * (size * 9 // 100),
        *[gen.notification] * (size * 8 // 100),
        *[gen.list_post] * (size * 2 // 100),
        *[gen.autoreply] * (size * 2 // 100),
        *[lambda: gen.bounce(via_lmtp=False)] * 5,
        *[lambda: gen.bounce(via_lmtp=True)] * 2,
        lambda: gen.broadcast(outgoing=True),
        lambda: gen.broadcast(outgoing=False),
        lambda: gen.broadcast(outgoing=True),
        lambda: gen.broadcast(outgoing=False),
        *[gen.note_to_self] * 4,
        *[gen.draft] * 8,
        *[gen.ancient] * 10,
    ]
    for make in noise:
        make()
    strangers = [Person(f"Old Friend {i}", f"old.friend{i}@faraway.example", "out-only", 0) for i in range(4)]
    gen.bcc_to_daemon([strangers[0]], "2w", 14)
    gen.bcc_to_daemon([strangers[1]], "", None)
    gen.bcc_to_daemon(strangers[2:], "3m", 90)
    box.people.update({p.address: p for p in strangers})
    # A few personal messages arrive over LMTP, two of them with the owner only in Bcc.
    for i in range(6):
        sender = gen.people[i * 5 % len(gen.people)]
        cc = [gen.people[(i * 5 + 1) % len(gen.people)]] if i < 2 else []
        gen.incoming(gen._time(), sender, cc, "Sent from my phone", (None, []), via_lmtp=True, blind=i < 2)
    while len(box.placements) < size:
        gen.thread()
    return box
