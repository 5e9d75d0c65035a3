"""Gone quiet, decided: the owner has written several times since the person last answered.

After ``QUIET_AFTER`` such messages the reminder says so and suggests another channel, and each
further unanswered one doubles the wait before the next reminder: writing a fourth cheerful
"It's been a while" into silence helps nobody. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from keepwarm.domain.model import Direction, Touch

# Past this, the wait stops doubling (2 ** 4: sixteen cadences is plenty of quiet).
MAX_DOUBLINGS = 4


@dataclass(frozen=True)
class Quiet:
    """How many times the owner has written since the person's last answer, and since when."""

    unanswered: int
    since: datetime | None

    def is_quiet(self, quiet_after: int) -> bool:
        """At least ``quiet_after`` unanswered messages (0 turns it off)."""
        return quiet_after > 0 and self.unanswered >= quiet_after

    def stretch(self, quiet_after: int) -> int:
        """How many cadences to wait before the next reminder: 1, then 2, 4, 8… once quiet."""
        if not self.is_quiet(quiet_after):
            return 1
        return int(2 ** min(MAX_DOUBLINGS, self.unanswered - quiet_after + 1))

    def describe(self) -> str:
        """``you've written 3 times since March without an answer; maybe call?``"""
        since = f" since {self.since:%B}" if self.since else ""
        count = self.unanswered
        return f"you've written {count} times{since} without an answer; maybe call, or try another way?"


def quiet_of(touches: Sequence[Touch]) -> Quiet:
    """The owner's mails after the person's last answer (or any touch outside mail, which is an
    answer of a kind: a call, a coffee), oldest first as the store gives them."""
    count, since = 0, None
    for touch in touches:
        if touch.direction is Direction.OUT:
            count += 1
            since = since or touch.at
        else:
            count, since = 0, None
    return Quiet(count, since)
