"""Durations and cadences as people write them, and how keepwarm says them back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from keepwarm.domain.durations import (
    MAX_CADENCE_DAYS,
    DurationError,
    format_cadence,
    format_days,
    parse_cadence,
    parse_duration,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5min", timedelta(minutes=5)),
        ("5 minutes", timedelta(minutes=5)),
        ("30s", timedelta(seconds=30)),
        ("2h", timedelta(hours=2)),
        ("3d", timedelta(days=3)),
        ("2w", timedelta(weeks=2)),
        ("3mo", timedelta(days=90)),
        ("1y", timedelta(days=365)),
        ("hourly", timedelta(hours=1)),
        ("daily", timedelta(days=1)),
        ("weekly", timedelta(days=7)),
        ("monthly", timedelta(days=30)),
        ("quarterly", timedelta(days=90)),
        ("yearly", timedelta(days=365)),
        ("every 3 weeks", timedelta(days=21)),
        ("3 months", timedelta(days=90)),
        ("every other week", timedelta(days=14)),
        ("a month", timedelta(days=30)),
        ("1.5h", timedelta(minutes=90)),
        ("  Every   3   Weeks  ", timedelta(days=21)),
        ("3M", timedelta(minutes=3)),
    ],
)
def test_parse_duration_reads_units_and_words(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("3d", 3),
        ("2w", 14),
        ("3mo", 90),
        ("1y", 365),
        ("weekly", 7),
        ("monthly", 30),
        ("quarterly", 90),
        ("yearly", 365),
        ("every 3 weeks", 21),
        ("3 months", 90),
        ("every week", 7),
        ("fortnightly", 14),
        ("36h", 2),
    ],
)
def test_parse_cadence_reads_whole_days(text: str, days: int) -> None:
    assert parse_cadence(text) == days


def test_m_is_months_in_a_cadence_but_minutes_in_a_duration() -> None:
    assert parse_cadence("3m") == 90
    assert parse_cadence("3M") == 90
    assert parse_duration("3m") == timedelta(minutes=3)


@pytest.mark.parametrize(
    "text",
    ["0d", "0min", "-3d", "+3d", "3x", "3 fortnights", "3dd", "banana", "every 3", "1e3d", "99999y", "101y"],
)
def test_parse_duration_rejects_nonsense_quoting_the_input(text: str) -> None:
    with pytest.raises(DurationError) as info:
        parse_duration(text)
    assert repr(text) in str(info.value)


@pytest.mark.parametrize(
    "text",
    ["0d", "-1w", "3 parsecs", "99999y", "11y", f"{MAX_CADENCE_DAYS + 1}d", "5min", "12h", "every other"],
)
def test_parse_cadence_rejects_nonsense_quoting_the_input(text: str) -> None:
    with pytest.raises(DurationError) as info:
        parse_cadence(text)
    assert repr(text) in str(info.value)


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_empty_text_is_not_a_duration(text: str) -> None:
    with pytest.raises(DurationError, match="empty"):
        parse_duration(text)
    with pytest.raises(DurationError, match="empty"):
        parse_cadence(text)


def test_limits_are_inclusive() -> None:
    assert parse_cadence(f"{MAX_CADENCE_DAYS}d") == MAX_CADENCE_DAYS
    assert parse_cadence("1d") == 1
    assert parse_duration("100y") == timedelta(days=36500)


def test_duration_error_is_a_value_error() -> None:
    # Config converters catch ValueError: a DurationError must be one.
    assert issubclass(DurationError, ValueError)


@pytest.mark.parametrize(
    ("days", "text"),
    [
        (1, "1 day"),
        (10, "10 days"),
        (7, "1 week"),
        (21, "3 weeks"),
        (30, "1 month"),
        (90, "3 months"),
        (365, "1 year"),
        (730, "2 years"),
    ],
)
def test_format_days(days: int, text: str) -> None:
    assert format_days(days) == text


@pytest.mark.parametrize(
    ("days", "text"),
    [
        (1, "every day"),
        (7, "every week"),
        (10, "every 10 days"),
        (21, "every 3 weeks"),
        (30, "every month"),
        (90, "every 3 months"),
        (365, "every year"),
    ],
)
def test_format_cadence(days: int, text: str) -> None:
    assert format_cadence(days) == text


@pytest.mark.parametrize("days", [1, 2, 7, 10, 14, 21, 30, 45, 90, 365, 730, MAX_CADENCE_DAYS])
def test_format_cadence_reads_back_as_the_same_cadence(days: int) -> None:
    assert parse_cadence(format_cadence(days)) == days
