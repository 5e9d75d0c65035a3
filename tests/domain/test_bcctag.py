"""Reading a BCC's plus tag: a cadence, a reminder day, a wait, or several joined by ``+``."""

from __future__ import annotations

from datetime import date

import pytest

from keepwarm.domain.bcctag import read_tag
from keepwarm.domain.inbound import Mailbox

CAROL = (Mailbox("Carol", "carol@example.org"),)
SENT = date(2026, 11, 20)
TODAY = date(2026, 11, 22)  # met two days after it was sent


@pytest.mark.parametrize(
    ("tag", "cadence", "remind_on"),
    [
        ("", None, None),
        ("3w", 21, None),
        ("10d", 10, None),  # a cadence, as it always was
        ("2027-03-11", None, date(2027, 3, 11)),
        ("in10d", None, date(2026, 11, 30)),  # counted from the day it was sent
        ("in2w", None, date(2026, 12, 4)),
        ("in1mo", None, date(2026, 12, 20)),
        ("3w+in10d", 21, date(2026, 11, 30)),
        ("2027-03-11+monthly", 30, date(2027, 3, 11)),
    ],
)
def test_each_part_of_the_tag_is_read(tag: str, cadence: int | None, remind_on: date | None) -> None:
    intent = read_tag(CAROL, tag, SENT, TODAY)
    assert (intent.cadence_days, intent.remind_on, intent.tag_problem) == (cadence, remind_on, None)
    assert intent.recipients == CAROL


@pytest.mark.parametrize(
    ("tag", "problem"),
    [
        ("2026-11-21", "+2026-11-21: reminder day 21 November 2026 is not in the future, ignored"),
        ("in1d", "+in1d: reminder day 21 November 2026 is not in the future, ignored"),
        ("2027-02-29", "+2027-02-29: 2027-02-29 is not a real date"),
        ("in0d", "+in0d: '0d': a cadence must be at least one day"),
        ("2030-01-01", "+2030-01-01: reminder day 1 January 2030 is more than three years ahead, ignored"),
        ("2027-01-01+in3d", "+in3d: one reminder day per message (kept 1 January 2027)"),
        ("soon", "+soon ignored: not a cadence (+3w), a day (+2027-03-11) or a wait (+in10d)"),
    ],
)
def test_a_part_that_cannot_be_read_is_named_and_the_rest_applies(tag: str, problem: str) -> None:
    intent = read_tag(CAROL, tag + "+3w", SENT, TODAY)
    assert intent.tag_problem is not None and intent.tag_problem.startswith(problem)
    assert intent.cadence_days == 21
