"""What a BCC to the daemon asks for, read from the plus tag of the address it was sent to.

``naomi+keepwarm@…`` tracks the recipients; a tag adds to that, and tags combine with ``+``:

- a cadence, ``+3w``: keep in touch with them every three weeks;
- a day, ``+2027-03-11``, or a wait, ``+in10d`` / ``+in2w``: remind me on that day about them,
  unless they have written by then.

A wait counts from the day the message was sent, so a BCC met late (a backfill, a stopped
daemon) still means the day it meant. ``+10d`` stays a cadence, as it always was: a wait is
written with ``in``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from keepwarm.domain.durations import DurationError, parse_cadence
from keepwarm.domain.inbound import Mailbox

_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_WAIT = re.compile(r"^in(\d.*)$")
# A wait longer than this is a typo, not a plan (the same bound as ``remind`` by mail).
_LONGEST_WAIT = timedelta(days=3 * 366)
_FORMS = "not a cadence (+3w), a day (+2027-03-11) or a wait (+in10d)"


@dataclass(frozen=True)
class BccIntent:
    """The owner BCC'd the daemon: track these recipients, with this cadence if the tag gave one,
    and remind her on ``remind_on`` unless they answer first."""

    recipients: tuple[Mailbox, ...]
    cadence_days: int | None = None
    remind_on: date | None = None
    tag_problem: str | None = None


def read_tag(recipients: tuple[Mailbox, ...], tag: str, sent: date, today: date) -> BccIntent:
    """The intent of one BCC; a part of the tag that cannot be read is named in ``tag_problem``
    and the rest still applies (the recipients are tracked whatever the tag says)."""
    cadence: int | None = None
    remind_on: date | None = None
    problems: list[str] = []
    for part in (p for p in tag.split("+") if p):
        try:
            day = _day(part, sent)
        except DurationError as exc:
            problems.append(f"+{part}: {exc}")
            continue
        if day is None:
            try:
                cadence = parse_cadence(part)
            except DurationError:
                problems.append(f"+{part} ignored: {_FORMS}")
        elif remind_on is not None:
            problems.append(f"+{part}: one reminder day per message (kept {remind_on:%-d %B %Y})")
        elif day <= today:
            problems.append(f"+{part}: reminder day {day:%-d %B %Y} is not in the future, ignored")
        elif day > sent + _LONGEST_WAIT:
            problems.append(f"+{part}: reminder day {day:%-d %B %Y} is more than three years ahead, ignored")
        else:
            remind_on = day
    return BccIntent(recipients, cadence, remind_on, "; ".join(problems) or None)


def _day(part: str, sent: date) -> date | None:
    """The day a date or wait part names; None when the part is neither (then it is a cadence)."""
    whole = _DAY.match(part)
    if whole:
        try:
            return date(int(whole.group(1)), int(whole.group(2)), int(whole.group(3)))
        except ValueError:
            raise DurationError(f"{part} is not a real date") from None
    wait = _WAIT.match(part)
    if wait:
        return sent + timedelta(days=parse_cadence(wait.group(1)))
    return None
