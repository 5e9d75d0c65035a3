"""Birthdays and yearly dates, decided: which fall today or BIRTHDAY_NOTICE days ahead, with the
age or the years; the ``date`` command that sets one; impossible dates refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from keepwarm.domain.commands import CommandError, parse_reply, plan_reply
from keepwarm.domain.model import Birthday, Contact, YearlyDate
from keepwarm.domain.occasions import occasions

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
TODAY = NOW.date()


def _contact(cid: int, **fields: object) -> Contact:
    return Contact(f"Person {cid}", (f"p{cid}@example.org",), NOW - timedelta(days=100), id=cid).with_changes(
        **fields
    )


def test_today_and_the_notice_day_but_not_the_days_between() -> None:
    people = [
        _contact(1, birthday=Birthday(11, 20, 1990)),
        _contact(2, birthday=Birthday(11, 23)),
        _contact(3, birthday=Birthday(11, 22)),
        _contact(4, dates=(YearlyDate("anniversary", Birthday(11, 20, 2016)),)),
        _contact(5, birthday=Birthday(11, 20), paused=True),
    ]

    found = occasions(people, TODAY, notice=3)

    assert [(o.contact.id, o.label, o.ahead, o.years) for o in found] == [
        (1, "birthday", 0, 36),
        (4, "anniversary", 0, 10),
        (2, "birthday", 3, None),
    ]
    assert [o.describe() for o in found] == [
        "birthday is today, 20 November (turning 36)",
        "anniversary is today, 20 November (10 years)",
        "birthday is in 3 days, 23 November",
    ]
    assert len({o.key for o in found}) == 3
    assert occasions(people, TODAY, notice=0) == found[:2]


def test_across_the_year_end_and_29_february() -> None:
    new_year = _contact(1, birthday=Birthday(1, 2, 2000))
    leap = _contact(2, birthday=Birthday(2, 29, 2000))
    assert [o.on for o in occasions([new_year], date(2026, 12, 30), notice=3)] == [date(2027, 1, 2)]
    assert [(o.on, o.years) for o in occasions([leap], date(2027, 2, 28), notice=0)] == [
        (date(2027, 2, 28), 27)
    ]
    assert [o.on for o in occasions([leap], date(2028, 2, 29), notice=0)] == [date(2028, 2, 29)]


@pytest.mark.parametrize(
    ("line", "label", "when"),
    [
        ("date anniversary 06-12", "anniversary", Birthday(6, 12)),
        ('date "Mia\'s birthday" 2019-05-02', "Mia's birthday", Birthday(5, 2, 2019)),
        ("date name day --12-06", "name day", Birthday(12, 6)),
    ],
)
def test_the_date_command_sets_a_yearly_date(line: str, label: str, when: Birthday) -> None:
    alice = _contact(1, dates=(YearlyDate("anniversary", Birthday(1, 1)),))
    changes = plan_reply(parse_reply(line), {1: 1}, {1: alice}, NOW, "k")
    dates = changes.updated[1].dates
    assert dates[-1] == YearlyDate(label, when)
    assert [d.label for d in dates].count("anniversary") == 1  # the same name replaces it
    assert changes.lines == [f"Person 1's {label} is {when.spoken()}"]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("date x 02-30", "'02-30' is not a real date"),
        ("date anniversary 13-01", "'13-01' is not a real date"),
        ("date anniversary soon", "'soon' is not a date"),
    ],
)
def test_a_date_that_does_not_exist_is_one_clear_answer(line: str, problem: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse_reply(line)
    assert problem in str(caught.value)
