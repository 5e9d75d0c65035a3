"""Who the owner corresponds with, both ways, but does not track yet: suggestions, best first.

Ranked by volume discounted by age, so a friend written to twenty times last year ranks below
one written to ten times this month. Pure: touches and ``now`` in, suggestions out.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass
from datetime import datetime

from keepwarm.domain.classify import is_noreply
from keepwarm.domain.model import Direction, Touch

# A touch this many days old counts half as much as one today.
_HALF_LIFE_DAYS = 90.0


@dataclass(frozen=True)
class Suggestion:
    """An untracked correspondent and the evidence for tracking them."""

    address: str
    name: str
    sent: int
    received: int
    last_touch: datetime
    score: float


@dataclass
class _Tally:
    name: str = ""
    name_at: datetime | None = None
    sent: int = 0
    received: int = 0
    last: datetime | None = None
    weight: float = 0.0


def suggest(
    touches: Iterable[Touch],
    tracked: Set[str],
    now: datetime,
    *,
    min_sent: int = 2,
    min_received: int = 1,
) -> list[Suggestion]:
    """People with at least ``min_sent`` mails from the owner and ``min_received`` to the owner."""
    tallies: dict[str, _Tally] = {}
    for touch in touches:
        if touch.address in tracked or touch.direction is Direction.MANUAL or is_noreply(touch.address):
            continue
        tally = tallies.setdefault(touch.address, _Tally())
        if touch.direction is Direction.OUT:
            tally.sent += 1
        else:
            tally.received += 1
        if tally.last is None or touch.at > tally.last:
            tally.last = touch.at
        if touch.name and (tally.name_at is None or touch.at >= tally.name_at):
            tally.name, tally.name_at = touch.name, touch.at
        age_days = max(0.0, (now - touch.at).total_seconds() / 86400)
        tally.weight += 0.5 ** (age_days / _HALF_LIFE_DAYS)
    found = [
        Suggestion(address, t.name, t.sent, t.received, t.last, round(t.weight, 3))
        for address, t in tallies.items()
        if t.last is not None and t.sent >= min_sent and t.received >= min_received
    ]
    return sorted(found, key=lambda s: (-s.score, s.address))
