"""The doubling pause every retry in keepwarm follows: first, twice that, four times … up to a cap. Pure.

Reminders left unanswered (3, 6, 12, 24 days, then every 30), messages the SMTP server put off
(1, 2, 4 … minutes, at most an hour) and failing daemon steps (30 s … 30 min, with jitter added by
the runtime) all use it, each with its own first pause and cap.
"""

from __future__ import annotations

from datetime import timedelta

# Past this many doublings every cap keepwarm uses is reached; it also keeps the shift small.
_MAX_DOUBLINGS = 16


def doubling(first: timedelta, attempt: int, cap: timedelta) -> timedelta:
    """The pause after ``attempt`` (1 for the first): ``first``, then doubling, at most ``cap``."""
    return min(cap, first * (1 << min(_MAX_DOUBLINGS, max(0, attempt - 1))))
