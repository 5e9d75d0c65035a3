"""The weekly overview, decided: touched this week, slipping, birthdays, openers, groups at a glance."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from keepwarm.domain.due import DueStatus, Standing, standings
from keepwarm.domain.extras import Opener
from keepwarm.domain.model import Birthday, Contact, Direction, Touch
from keepwarm.domain.overview import BIRTHDAY_WINDOW, SLIPPING, GroupGlance, weekly

LISBON = ZoneInfo("Europe/Lisbon")
# A Sunday morning, REMINDER_TIME.
NOW = datetime(2026, 11, 22, 8, 30, tzinfo=LISBON)


class Book:
    """Contacts with their last touches, turned into standings at a given moment."""

    def __init__(self) -> None:
        self.contacts: list[Contact] = []
        self.touches: list[Touch] = []

    def add(
        self,
        name: str,
        *,
        days_since: float | None = 1,
        cadence: int = 30,
        group: str | None = None,
        paused: bool = False,
        birthday: Birthday | None = None,
        emails: tuple[str, ...] = (),
        now: datetime = NOW,
    ) -> Contact:
        address = emails or (f"{name.lower().replace(' ', '.')}@example.org",)
        contact = Contact(
            name,
            address,
            now - timedelta(days=800),
            id=len(self.contacts) + 1,
            group=group,
            cadence_days=cadence,
            paused=paused,
            birthday=birthday,
        )
        self.contacts.append(contact)
        if days_since is not None:
            self.touches.append(Touch(address[0], now - timedelta(days=days_since), Direction.OUT))
        return contact

    def standings(self, now: datetime = NOW) -> list[Standing]:
        last: dict[str, Touch] = {}
        for touch in self.touches:
            if touch.address not in last or touch.at > last[touch.address].at:
                last[touch.address] = touch
        return standings(self.contacts, last_by_address=last, group_cadences={}, default_days=30, now=now)


def _names(items: Sequence[Standing]) -> list[str]:
    return [s.contact.name for s in items]


# -- touched this week ----------------------------------------------------------------------------


def test_touched_counts_only_the_last_seven_days() -> None:
    book = Book()
    alice = book.add("Alice", days_since=None)
    inside = [NOW - timedelta(hours=1), NOW - timedelta(days=3), NOW - timedelta(days=7)]
    outside = [NOW - timedelta(days=7, minutes=1), NOW - timedelta(days=20), NOW + timedelta(hours=1)]
    week = [Touch(alice.primary_email, at, Direction.IN) for at in inside + outside]
    book.touches += week

    overview = weekly(book.standings(), week, [], NOW)

    assert overview.touched == [(alice, 3)]


def test_touched_counts_only_tracked_contacts() -> None:
    book = Book()
    alice = book.add("Alice", days_since=None)
    week = [
        Touch(alice.primary_email, NOW - timedelta(days=1), Direction.OUT),
        Touch("stranger@example.net", NOW - timedelta(days=1), Direction.IN),
        Touch("stranger@example.net", NOW - timedelta(days=2), Direction.OUT),
    ]

    overview = weekly(book.standings(), week, [], NOW)

    assert overview.touched == [(alice, 1)]


def test_touched_adds_up_every_address_of_a_contact_most_touched_first() -> None:
    book = Book()
    bob = book.add("Bob", days_since=None, emails=("bob@home.example", "bob@work.example"))
    alice = book.add("Alice", days_since=None)
    carol = book.add("Carol", days_since=None)
    week = [
        Touch("bob@home.example", NOW - timedelta(days=1), Direction.IN),
        Touch("bob@work.example", NOW - timedelta(days=2), Direction.OUT),
        Touch(carol.primary_email, NOW - timedelta(days=2), Direction.OUT),
        Touch(alice.primary_email, NOW - timedelta(days=4), Direction.OUT),
    ]

    overview = weekly(book.standings(), week, [], NOW)

    # Most touches first; ties by name.
    assert overview.touched == [(bob, 2), (alice, 1), (carol, 1)]


def test_nobody_touched_is_an_empty_list() -> None:
    book = Book()
    book.add("Alice", days_since=40)

    assert weekly(book.standings(), book.touches, [], NOW).touched == []


# -- slipping -------------------------------------------------------------------------------------


def test_slipping_is_the_overdue_ranked_by_how_far_past_their_cadence() -> None:
    book = Book()
    book.add("Twice", days_since=60, cadence=30)  # 2.0 cadences
    book.add("Triple", days_since=30, cadence=10)  # 3.0
    book.add("Bit late", days_since=33, cadence=30)  # 1.1
    book.add("Fine", days_since=5, cadence=30)
    book.add("Paused", days_since=400, cadence=30, paused=True)

    overview = weekly(book.standings(), book.touches, [], NOW)

    assert _names(overview.slipping) == ["Triple", "Twice", "Bit late"]


def test_slipping_includes_those_due_today() -> None:
    book = Book()
    book.add("Due today", days_since=30, cadence=30)

    [item] = weekly(book.standings(), book.touches, [], NOW).slipping

    assert item.status is DueStatus.DUE


def test_slipping_shows_at_most_five() -> None:
    book = Book()
    for n in range(8):
        book.add(f"Person {n}", days_since=31 + 10 * n, cadence=30)

    overview = weekly(book.standings(), book.touches, [], NOW)

    assert SLIPPING == 5
    assert _names(overview.slipping) == [f"Person {n}" for n in (7, 6, 5, 4, 3)]


# -- birthdays ------------------------------------------------------------------------------------


def _birthdays(book: Book, now: datetime) -> list[tuple[str, date, int | None]]:
    overview = weekly(book.standings(now), book.touches, [], now)
    return [(c.name, when, age) for c, when, age in overview.birthdays]


def test_birthdays_in_the_next_fourteen_days_soonest_first() -> None:
    book = Book()
    book.add("Edge", birthday=Birthday(12, 6))  # in 14 days
    book.add("Today", birthday=Birthday(11, 22))
    book.add("Too far", birthday=Birthday(12, 7))  # in 15 days
    book.add("Just passed", birthday=Birthday(11, 21))
    book.add("Soon", birthday=Birthday(11, 25))
    book.add("Nobody knows")

    assert BIRTHDAY_WINDOW == 14
    assert _birthdays(book, NOW) == [
        ("Today", date(2026, 11, 22), None),
        ("Soon", date(2026, 11, 25), None),
        ("Edge", date(2026, 12, 6), None),
    ]


def test_birthdays_across_the_year_end() -> None:
    book = Book()
    christmas = datetime(2026, 12, 25, 8, 30, tzinfo=LISBON)
    book.add("New year", birthday=Birthday(1, 3), now=christmas)
    book.add("Boxing day", birthday=Birthday(12, 26), now=christmas)
    book.add("Mid january", birthday=Birthday(1, 9), now=christmas)  # 15 days

    assert _birthdays(book, christmas) == [
        ("Boxing day", date(2026, 12, 26), None),
        ("New year", date(2027, 1, 3), None),
    ]


def test_the_age_is_shown_when_the_year_is_known() -> None:
    book = Book()
    christmas = datetime(2026, 12, 25, 8, 30, tzinfo=LISBON)
    book.add("Born 1990", birthday=Birthday(1, 3, 1990), now=christmas)  # turns 37 in 2027
    book.add("Born 1980", birthday=Birthday(12, 30, 1980), now=christmas)  # turns 46 in 2026

    assert _birthdays(book, christmas) == [
        ("Born 1980", date(2026, 12, 30), 46),
        ("Born 1990", date(2027, 1, 3), 37),
    ]


def test_29_february_falls_on_28_february_in_a_year_without_one() -> None:
    book = Book()
    now = datetime(2027, 2, 20, 8, 30, tzinfo=LISBON)
    book.add("Leapling", birthday=Birthday(2, 29, 2000), now=now)

    assert _birthdays(book, now) == [("Leapling", date(2027, 2, 28), 27)]


def test_29_february_after_28_february_of_a_common_year_is_next_year() -> None:
    book = Book()
    now = datetime(2027, 3, 1, 8, 30, tzinfo=LISBON)
    book.add("Leapling", birthday=Birthday(2, 29), now=now)

    assert _birthdays(book, now) == []


def test_29_february_stays_the_29th_in_a_leap_year() -> None:
    book = Book()
    now = datetime(2028, 2, 20, 8, 30, tzinfo=LISBON)
    book.add("Leapling", birthday=Birthday(2, 29, 2000), now=now)

    assert _birthdays(book, now) == [("Leapling", date(2028, 2, 29), 28)]


def test_29_february_is_shown_on_the_day_itself_in_a_leap_year() -> None:
    book = Book()
    now = datetime(2028, 2, 29, 8, 30, tzinfo=LISBON)
    book.add("Leapling", birthday=Birthday(2, 29), now=now)

    assert _birthdays(book, now) == [("Leapling", date(2028, 2, 29), None)]


# -- openers --------------------------------------------------------------------------------------


def test_openers_are_listed_with_their_contact_and_not_for_removed_ones() -> None:
    book = Book()
    priya = book.add("Priya")
    kept = Opener(priya.id, "Night trains are back", "https://example.org/n", NOW, id=4)
    orphan = Opener(99, "For someone removed", "", NOW, id=5)

    overview = weekly(book.standings(), book.touches, [kept, orphan], NOW)

    assert overview.openers == [(priya, kept)]


# -- groups ---------------------------------------------------------------------------------------


def test_groups_at_a_glance() -> None:
    book = Book()
    book.add("Fine", days_since=1, cadence=90, group="friends")  # due in 89 days: later
    book.add("Upcoming", days_since=26, cadence=30, group="friends")  # due in 4 days: last fifth
    book.add("Just wrote", days_since=2, cadence=30, group="friends")  # due in 28 days: fine
    book.add("Overdue", days_since=45, cadence=30, group="friends")
    book.add("Due", days_since=30, cadence=30, group="friends")
    book.add("Paused", days_since=45, cadence=30, group="friends", paused=True)
    book.add("Colleague", days_since=50, cadence=30, group="work")
    book.add("Loner", days_since=1, cadence=90)
    book.add("Drifter", days_since=100, cadence=30)

    overview = weekly(book.standings(), book.touches, [], NOW)

    assert overview.groups == [
        GroupGlance("friends", fine=2, upcoming=1, overdue=2, paused=1),
        GroupGlance("no group", fine=1, upcoming=0, overdue=1, paused=0),
        GroupGlance("work", fine=0, upcoming=0, overdue=1, paused=0),
    ]
    assert [g.total for g in overview.groups] == [6, 2, 1]


def test_an_empty_book_has_an_empty_overview() -> None:
    overview = weekly([], [], [], NOW)

    assert (overview.touched, overview.slipping, overview.birthdays, overview.openers, overview.groups) == (
        [],
        [],
        [],
        [],
        [],
    )
