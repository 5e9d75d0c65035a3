"""The rhythm a relationship already has: conversations, the median gap, and its cadence text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from keepwarm.domain.rhythm import as_cadence_text, conversations, typical_gap_days

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _starts_every(days: list[float], start: datetime = START) -> list[datetime]:
    """One message at ``start`` and one after each of ``days`` (cumulative gaps)."""
    times = [start]
    for gap in days:
        times.append(times[-1] + timedelta(days=gap))
    return times


# -- conversations ------------------------------------------------------------------------------


def test_replies_within_three_days_are_one_conversation() -> None:
    thread = [START, START + timedelta(days=1), START + timedelta(days=2, hours=20)]
    later = START + timedelta(days=20)

    assert conversations([*thread, later]) == [START, later]


def test_a_conversation_grows_while_each_reply_is_within_three_days() -> None:
    # Every message is three days after the previous one: one long back-and-forth.
    chain = [START + timedelta(days=3 * i) for i in range(6)]

    assert conversations(chain) == [START]


def test_a_gap_just_over_three_days_starts_a_new_conversation() -> None:
    exactly = START + timedelta(days=3)
    beyond = exactly + timedelta(days=3, seconds=1)

    assert conversations([START, exactly, beyond]) == [START, beyond]


def test_conversations_do_not_depend_on_the_order_the_touches_come_in() -> None:
    times = [START + timedelta(days=d) for d in (40, 0, 1, 20, 21, 60)]

    assert conversations(times) == [
        START,
        START + timedelta(days=20),
        START + timedelta(days=40),
        START + timedelta(days=60),
    ]


# -- typical gap ----------------------------------------------------------------------------------


def test_no_history_has_no_rhythm() -> None:
    assert typical_gap_days([]) is None


def test_three_conversations_are_too_few() -> None:
    # Many messages, but only three conversations: replies within three days do not count apart.
    times = [
        *[START + timedelta(days=d) for d in (0, 1, 2)],
        *[START + timedelta(days=30 + d) for d in (0, 2)],
        *[START + timedelta(days=60 + d) for d in (0, 1, 2, 3)],
    ]

    assert len(times) >= 4
    assert typical_gap_days(times) is None


def test_four_conversations_are_enough() -> None:
    assert typical_gap_days(_starts_every([21, 21, 21])) == 21


def test_the_gap_is_the_median_between_conversation_starts() -> None:
    # Gaps 10, 14, 30 days (each conversation has a reply a day later, which must not count).
    starts = _starts_every([10, 14, 30])
    times = [*starts, *(s + timedelta(days=1) for s in starts)]

    assert typical_gap_days(times) == 14


def test_one_long_silence_does_not_move_the_rhythm() -> None:
    # Monthly for a year, then one silence of a year: the median ignores the outlier.
    assert typical_gap_days(_starts_every([30, 30, 30, 365])) == 30
    assert typical_gap_days(_starts_every([30, 28, 365, 32, 31])) == 31


def test_an_even_number_of_gaps_takes_the_middle_two() -> None:
    # Gaps 20, 30, 40, 50: median 35.
    assert typical_gap_days(_starts_every([20, 40, 30, 50])) == 35


def test_the_gap_is_rounded_to_whole_days() -> None:
    assert typical_gap_days(_starts_every([10.4, 10.4, 10.4])) == 10
    assert typical_gap_days(_starts_every([10.6, 10.6, 10.6])) == 11


# -- as cadence text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "text"),
    [
        (1, "1d"),
        (10, "10d"),
        (13, "13d"),
        (14, "2w"),
        (35, "5w"),
        (42, "6w"),
        (60, "2mo"),
        (61, "2mo"),
        (89, "3mo"),
        (90, "3mo"),
        (120, "4mo"),
    ],
)
def test_as_cadence_text(days: int, text: str) -> None:
    assert as_cadence_text(days) == text


def test_a_rhythm_that_is_not_whole_months_stays_in_weeks() -> None:
    assert as_cadence_text(75) == "11w"
    assert as_cadence_text(59) == "8w"
