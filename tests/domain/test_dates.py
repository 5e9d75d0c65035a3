"""Dates as people write them in commands, resolved against the owner's today, back or ahead."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from keepwarm.domain.commands import (
    Command,
    CommandError,
    parse_daemon_line,
    parse_line,
    plan_daemon_mail,
    plan_reply,
)
from keepwarm.domain.dates import DateError, DateSpec, parse_date, trailing_date
from keepwarm.domain.model import Channel, Contact

TODAY = date(2026, 12, 1)  # a Tuesday
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
ALICE = Contact("Alice Example", ("alice@example.org",), NOW - timedelta(days=400), id=1)


@pytest.mark.parametrize(
    ("text", "back", "ahead"),
    [
        ("2027-01-10", date(2027, 1, 10), date(2027, 1, 10)),
        ("10.01.2027", date(2027, 1, 10), date(2027, 1, 10)),
        ("10 January", date(2026, 1, 10), date(2027, 1, 10)),
        ("January 10", date(2026, 1, 10), date(2027, 1, 10)),
        ("jan 10, 2027", date(2027, 1, 10), date(2027, 1, 10)),
        ("1st december", date(2026, 12, 1), date(2027, 12, 1)),
        ("yesterday", date(2026, 11, 30), date(2026, 11, 30)),
        ("today", TODAY, TODAY),
        ("tomorrow", date(2026, 12, 2), date(2026, 12, 2)),
        ("monday", date(2026, 11, 30), date(2026, 12, 7)),
        ("on monday", date(2026, 11, 30), date(2026, 12, 7)),
        ("tuesday", date(2026, 11, 24), date(2026, 12, 8)),
        ("last friday", date(2026, 11, 27), date(2026, 11, 27)),
        ("next friday", date(2026, 12, 4), date(2026, 12, 4)),
        ("3 days ago", date(2026, 11, 28), date(2026, 11, 28)),
        ("in 2 weeks", date(2026, 12, 15), date(2026, 12, 15)),
    ],
)
def test_a_date_phrase_resolves_back_and_ahead(text: str, back: date, ahead: date) -> None:
    spec = parse_date(text)
    assert (spec.resolve(TODAY, ahead=False), spec.resolve(TODAY, ahead=True)) == (back, ahead)


@pytest.mark.parametrize("text", ["01/02/2027", "30 February", "2027-02-30", "someday", "the cows come home"])
def test_what_is_not_a_date_says_how_to_write_one(text: str) -> None:
    with pytest.raises(DateError):
        parse_date(text)


def test_slashes_are_refused_because_they_mean_different_days_in_different_countries() -> None:
    with pytest.raises(DateError, match="depending on the country"):
        parse_date("01/02/2027")


def test_29_february_without_a_year_is_the_28th_in_other_years() -> None:
    assert DateSpec(month=2, day=29).resolve(date(2027, 3, 1), ahead=False) == date(2027, 2, 28)


def test_a_trailing_date_is_split_off_the_words_before_it() -> None:
    assert trailing_date(["call", "yesterday"]) == (["call"], DateSpec(offset=-1))
    assert trailing_date(["talked", "about", "the", "move", "on", "monday"])[0] == [
        "talked",
        "about",
        "the",
        "move",
    ]
    assert trailing_date(["call", "2"]) == (["call", "2"], None)  # a bare number is never a date


def test_snooze_until_a_date_in_words_is_resolved_ahead() -> None:
    command = parse_line("snooze until 10 January")
    assert command.on == DateSpec(month=1, day=10) and command.until is None
    changes = plan_reply([command], {1: 1}, {1: ALICE}, NOW, "k")
    assert changes.updated[1].snoozed_until == datetime(2027, 1, 10, tzinfo=UTC)


def test_done_call_yesterday_logs_the_touch_on_that_day() -> None:
    command = parse_line("done call yesterday")
    assert (command.channel, command.text, command.on) == (Channel.CALL, "", DateSpec(offset=-1))
    (touch,) = plan_reply([command], {1: 1}, {1: ALICE}, NOW, "k").touches
    assert touch.at == datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_a_touch_cannot_be_logged_in_the_future() -> None:
    with pytest.raises(CommandError, match="still to come"):
        plan_reply([parse_line("done coffee tomorrow")], {1: 1}, {1: ALICE}, NOW, "k")


def test_log_with_a_name_and_a_weekday() -> None:
    command = parse_daemon_line("log coffee with Alice about the move on monday")
    assert command == Command(
        "log", channel=Channel.MEETING, name="Alice about the move", on=DateSpec(weekday=0)
    )
    changes = plan_daemon_mail([command], [ALICE], NOW, "k")
    (touch,) = changes.touches
    assert (touch.address, touch.subject, touch.at.date()) == (
        "alice@example.org",
        "about the move",
        date(2026, 11, 30),
    )
    assert changes.lines == ["logged a meeting with Alice Example on Monday 30 November"]


def test_log_with_a_name_nobody_has_is_an_error() -> None:
    with pytest.raises(CommandError, match="no contact matches"):
        plan_daemon_mail([parse_daemon_line("log call with Zed")], [ALICE], NOW, "k")
