"""Retry pacing: exponential backoff with jitter for passing failures, a slow pace for bad logins."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from keepwarm.domain.backoff import doubling

# A refused login needs the user; retrying often only gets the account locked.
AUTH_RETRY = timedelta(minutes=30)


@dataclass
class Backoff:
    """When a failing step may be tried again: base, 2x, 4x … up to ``cap``, each randomly shortened
    by up to half so that many daemons behind one outage do not return in lock-step."""

    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(minutes=30)
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0
    not_before: datetime | None = None

    def ready(self, now: datetime) -> bool:
        """May the step run now?"""
        return self.not_before is None or now >= self.not_before

    def failed(self, now: datetime, *, auth: bool = False) -> timedelta:
        """Record a failure; returns the pause before the next try."""
        self.failures += 1
        if auth:
            delay = AUTH_RETRY
        else:
            delay = doubling(self.base, self.failures, self.cap) * self.rng.uniform(0.5, 1.0)
        self.not_before = now + delay
        return delay

    def succeeded(self) -> None:
        """Back to normal pace."""
        self.failures = 0
        self.not_before = None
