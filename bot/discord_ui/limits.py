"""Per-user rate limits: searches and questions, and paging button presses.

Each :class:`UserLimiter` keeps one discord.py :class:`~discord.app_commands.Cooldown` (a token
bucket) per user, on its own clock so tests can move time. A request over the limit is refused
with the seconds to wait (:class:`RateLimited` for slash commands, told by the tree's error
handler as "try again in N seconds"); it does not count against the user.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeVar

import discord
from discord import app_commands

from bot.config import Rate

F = TypeVar("F", bound=Callable[..., object])

#: Past this many users, buckets that are full again (idle users) are forgotten.
_PRUNE_AT: Final = 10_000


class RateLimited(app_commands.CheckFailure):
    """The user made too many requests of this kind; ``retry_after`` seconds until the next."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited, retry after {retry_after:.1f}s")
        self.retry_after = retry_after

    @property
    def seconds(self) -> int:
        """Whole seconds to wait, rounded up (never 0)."""
        return max(1, math.ceil(self.retry_after))


class UserLimiter:
    """At most ``rate.requests`` requests per user in ``rate.seconds`` (``None``: unlimited)."""

    def __init__(self, rate: Rate | None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._buckets: dict[int, app_commands.Cooldown] = {}
        self._told_until: dict[int, float] = {}

    def hit(self, user_id: int) -> float | None:
        """Count one request of ``user_id``: ``None`` when allowed, else the seconds to wait."""
        rate = self.rate
        if rate is None:
            return None
        now = self._clock()
        if len(self._buckets) >= _PRUNE_AT:
            self._buckets = {
                user: bucket
                for user, bucket in self._buckets.items()
                if bucket.get_tokens(now) < rate.requests
            }
            self._told_until = {u: t for u, t in self._told_until.items() if t > now}
        bucket = self._buckets.get(user_id)
        if bucket is None:
            bucket = self._buckets[user_id] = app_commands.Cooldown(rate.requests, rate.seconds)
        return bucket.update_rate_limit(now)

    def tell(self, user_id: int, retry_after: float) -> bool:
        """True the first time ``user_id`` is refused in a window (tell them), False for later
        refusals until it ends (stay quiet: a reply to every message of a flood is a flood)."""
        now = self._clock()
        if self._told_until.get(user_id, now) > now:
            return False
        self._told_until[user_id] = now + retry_after
        return True

    def check(self, user_id: int) -> None:
        """:meth:`hit`, raising :class:`RateLimited` when over the limit."""
        retry_after = self.hit(user_id)
        if retry_after is not None:
            raise RateLimited(retry_after)


@dataclass(slots=True)
class Limits:
    """The bot's limiters: ``questions`` (/search, /ask, DM and mention questions) and
    ``buttons`` (paging buttons)."""

    questions: UserLimiter
    buttons: UserLimiter


def limits_of(client: discord.Client) -> Limits | None:
    """The limits of the bot behind an interaction (``None`` for a client without them)."""
    limits = getattr(client, "limits", None)
    return limits if isinstance(limits, Limits) else None


def question_limited() -> Callable[[F], F]:
    """A slash command check: the user's question limit, refused with :class:`RateLimited`."""

    async def predicate(interaction: discord.Interaction) -> bool:
        limits = limits_of(interaction.client)
        if limits is not None:
            limits.questions.check(interaction.user.id)
        return True

    return app_commands.check(predicate)
