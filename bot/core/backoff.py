"""Per-key exponential backoff with jitter and a cap, on an injected clock.

After the ``n``-th failure in a row of a key (a user whose alert DM failed), the key waits
``min(cap, base * 2 ** (n - 1))`` seconds, jittered down to no less than half of it so retries
of many keys spread out instead of coming back together; a success forgets the key. A delay the
other side asked for (``retry_after`` of an HTTP 429) is waited at least.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class _Wait:
    failures: int
    until: dt.datetime


class Backoff(Generic[K]):
    """Which keys must wait before their next attempt, and until when."""

    def __init__(self, *, base: float, cap: float, rng: random.Random | None = None) -> None:
        if not 0 < base <= cap:
            raise ValueError(f"need 0 < base <= cap, got base={base}, cap={cap}")
        self.base = base
        self.cap = cap
        self._rng = rng or random.Random()
        self._waits: dict[K, _Wait] = {}

    def ready(self, key: K, now: dt.datetime) -> bool:
        """True when ``key`` may be tried at ``now`` (never failed, or its wait is over)."""
        wait = self._waits.get(key)
        return wait is None or now >= wait.until

    def failed(self, key: K, now: dt.datetime, *, retry_after: float | None = None) -> float:
        """Record a failure of ``key`` at ``now``; returns the seconds it now waits."""
        failures = self._waits[key].failures + 1 if key in self._waits else 1
        delay = min(self.cap, self.base * 2 ** min(failures - 1, 62))
        seconds = self._rng.uniform(delay / 2, delay)
        if retry_after is not None:
            seconds = max(seconds, min(retry_after, self.cap))
        self._waits[key] = _Wait(failures, now + dt.timedelta(seconds=seconds))
        return seconds

    def succeeded(self, key: K) -> None:
        """Forget ``key``'s failures: its next failure waits ``base`` again."""
        self._waits.pop(key, None)
