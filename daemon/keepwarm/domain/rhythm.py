"""The rhythm a relationship already has: how often the owner and a contact usually talk. Pure.

Messages a few days apart are one conversation (a thread and its replies); the typical gap is the
median time between the starts of conversations, once there are at least four of them.
keepwarm only ever proposes this as a cadence; it never changes one on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import pairwise
from statistics import median

CONVERSATION_GAP = timedelta(days=3)
MIN_CONVERSATIONS = 4


def conversations(times: Iterable[datetime], gap: timedelta = CONVERSATION_GAP) -> list[datetime]:
    """The start of each conversation: a touch more than ``gap`` after the previous one."""
    starts: list[datetime] = []
    last: datetime | None = None
    for at in sorted(times):
        if last is None or at - last > gap:
            starts.append(at)
        last = at
    return starts


def typical_gap_days(times: Iterable[datetime]) -> int | None:
    """The median number of days between conversations, or None with too little history."""
    starts = conversations(times)
    if len(starts) < MIN_CONVERSATIONS:
        return None
    gaps = [(later - earlier).total_seconds() / 86400 for earlier, later in pairwise(starts)]
    return max(1, round(median(gaps)))


def as_cadence_text(days: int) -> str:
    """A rhythm as a cadence the owner could reply with: ``5w``, ``2mo``, ``10d``."""
    if days >= 60 and days % 30 in (0, 1, 29):
        return f"{round(days / 30)}mo"
    if days >= 14:
        return f"{round(days / 7)}w"
    return f"{days}d"
