"""Per-server daily digest state: settings, scheduled runs, posts.

Tables (migrations 2 and 8 in :mod:`storage.sqlite.migrations`)::

    guild_digests(guild_id PK, channel_id, post_time HH:MM, timezone, count, enabled,
                  updated_at, last_error, last_error_at, language, guild_locale)
                  one row per server
    digest_runs(guild_id, slot) PK, outcome, digest_date, detail, at
                  one row per scheduled local day: sending, posted, skipped or failed
    digest_posts(guild_id, digest_date) PK, channel_id, message_ids, slot, posted_at
                  the exactly-once record: a digest day is posted at most once per server

Before the first message of a scheduled post is sent, its slot is recorded as ``sending``
(:meth:`GuildDigestStore.record_digest_sending`: the digest day and the time); after every
message was sent, the post is recorded (``digest_posts`` plus its ``digest_runs`` row) in one
transaction. A process that dies in between leaves the slot ``sending``, which tells the next
one to look in the channel before posting again (:mod:`bot.core.digests`). A run that failed or
is still ``sending`` stays retryable; ``posted`` and ``skipped`` are final for their slot.

``detail`` and ``guild_digests.last_error`` hold short codes chosen by the caller
(:class:`bot.core.digests.RunCode`), never sentences: the presentation layer words them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from storage.models import DigestPost, DigestRun, DigestSettings, RunOutcome
from storage.sqlite.connection import (
    MAX_DATE,
    Conn,
    StoreBase,
    iso_day,
    parse_day,
    parse_moment,
    utc_iso,
)

_SETTINGS_COLUMNS = (
    "guild_id, channel_id, post_time, timezone, count, enabled, updated_at, last_error, "
    "last_error_at, language, guild_locale"
)


def _settings(row: Sequence[Any]) -> DigestSettings:
    guild_id, channel_id, post_time, tz, count, enabled, updated, error, error_at, *languages = row
    language, guild_locale = languages
    return DigestSettings(
        guild_id=int(guild_id),
        channel_id=int(channel_id),
        post_time=dt.time.fromisoformat(post_time),
        timezone=tz,
        count=int(count),
        enabled=bool(enabled),
        updated_at=parse_moment(updated),
        last_error=error,
        last_error_at=parse_moment(error_at),
        language=language,
        guild_locale=guild_locale,
    )


def _run_row(row: Sequence[Any]) -> DigestRun:
    guild_id, slot, outcome, digest_date, detail, at = row
    return DigestRun(
        int(guild_id),
        dt.date.fromisoformat(slot),
        outcome,
        parse_day(digest_date),
        detail,
        dt.datetime.fromisoformat(at),
    )


def _post_row(row: Sequence[Any]) -> DigestPost:
    guild_id, digest_date, channel_id, message_ids, slot, posted_at = row
    return DigestPost(
        int(guild_id),
        dt.date.fromisoformat(digest_date),
        int(channel_id),
        tuple(int(i) for i in json.loads(message_ids)),
        parse_day(slot),
        dt.datetime.fromisoformat(posted_at),
    )


class GuildQueries(StoreBase):
    """The :class:`storage.ports.GuildStore` of the SQLite backend."""

    # ------------------------------------------------------------------ settings

    async def digest_settings(self, guild_id: int) -> DigestSettings | None:
        """The server's settings (enabled or not), or ``None`` when it never set any."""
        row = await self._one(
            f"SELECT {_SETTINGS_COLUMNS} FROM guild_digests WHERE guild_id = ?", (guild_id,)
        )
        return _settings(row) if row else None

    async def all_digest_settings(self, *, enabled_only: bool = True) -> list[DigestSettings]:
        """Every server's settings (only enabled ones by default), by guild id."""
        where = "WHERE enabled" if enabled_only else ""
        rows = await self._all(
            f"SELECT {_SETTINGS_COLUMNS} FROM guild_digests {where} ORDER BY guild_id"
        )
        return [_settings(r) for r in rows]

    async def set_digest_settings(
        self,
        guild_id: int,
        *,
        channel_id: int,
        post_time: dt.time,
        timezone: str,
        count: int,
        now: dt.datetime,
        guild_locale: str | None = None,
    ) -> DigestSettings:
        """Create or replace the server's settings and enable them; clears the last error.
        ``guild_locale`` (the server's own language) is recorded when given; a chosen language
        is kept."""
        hhmm = post_time.replace(second=0, microsecond=0, tzinfo=None).isoformat("minutes")

        async def work(c: Conn) -> Any:
            await c.execute(
                """INSERT INTO guild_digests(guild_id, channel_id, post_time, timezone, count,
                                             enabled, updated_at, last_error, last_error_at,
                                             guild_locale)
                   VALUES (?, ?, ?, ?, ?, 1, ?, NULL, NULL, ?)
                   ON CONFLICT(guild_id) DO UPDATE SET
                       channel_id = excluded.channel_id, post_time = excluded.post_time,
                       timezone = excluded.timezone, count = excluded.count, enabled = 1,
                       updated_at = excluded.updated_at, last_error = NULL,
                       last_error_at = NULL,
                       guild_locale = coalesce(excluded.guild_locale, guild_locale)""",
                (guild_id, channel_id, hhmm, timezone, int(count), utc_iso(now), guild_locale),
            )
            return await c.one(
                f"SELECT {_SETTINGS_COLUMNS} FROM guild_digests WHERE guild_id = ?", (guild_id,)
            )

        return _settings(await self._transaction(work))

    async def set_digest_language(
        self, guild_id: int, language: str | None, *, guild_locale: str | None, now: dt.datetime
    ) -> DigestSettings | None:
        """Choose the posts' language (``None``: the server's own, ``guild_locale``, recorded
        when given); ``None`` when the server has no digest settings."""

        async def work(c: Conn) -> Any:
            await c.execute(
                """UPDATE guild_digests SET language = ?, updated_at = ?,
                       guild_locale = coalesce(?, guild_locale)
                   WHERE guild_id = ?""",
                (language, utc_iso(now), guild_locale, guild_id),
            )
            return await c.one(
                f"SELECT {_SETTINGS_COLUMNS} FROM guild_digests WHERE guild_id = ?", (guild_id,)
            )

        row = await self._transaction(work)
        return _settings(row) if row else None

    async def disable_digest(self, guild_id: int, *, now: dt.datetime) -> bool:
        """Turn the server's digest off (settings kept); False when it was not on."""
        changed = await self._change(
            "UPDATE guild_digests SET enabled = 0, updated_at = ? WHERE guild_id = ? AND enabled",
            (utc_iso(now), guild_id),
        )
        return bool(changed)

    async def record_digest_error(self, guild_id: int, code: str, *, at: dt.datetime) -> None:
        """Remember why the last post failed, as a code (shown by ``/digest show``)."""
        await self._change(
            "UPDATE guild_digests SET last_error = ?, last_error_at = ? WHERE guild_id = ?",
            (code, utc_iso(at), guild_id),
        )

    # ------------------------------------------------------------------ runs and posts

    async def digest_run(self, guild_id: int, slot: dt.date) -> DigestRun | None:
        """What happened at ``slot`` (the server's local day), if anything."""
        row = await self._one(
            """SELECT guild_id, slot, outcome, digest_date, detail, at FROM digest_runs
                   WHERE guild_id = ? AND slot = ?""",
            (guild_id, slot.isoformat()),
        )
        return _run_row(row) if row else None

    async def last_digest_run(self, guild_id: int) -> DigestRun | None:
        """The newest slot's run."""
        row = await self._one(
            """SELECT guild_id, slot, outcome, digest_date, detail, at FROM digest_runs
                   WHERE guild_id = ? ORDER BY slot DESC LIMIT 1""",
            (guild_id,),
        )
        return _run_row(row) if row else None

    async def record_digest_run(
        self,
        guild_id: int,
        slot: dt.date,
        outcome: RunOutcome,
        *,
        at: dt.datetime,
        detail: str | None = None,
    ) -> bool:
        """Record a skip or failure for ``slot``; a final outcome is never overwritten.

        Returns False when the slot was already settled (posted or skipped).
        """
        if outcome in ("posted", "sending"):
            raise ValueError("record posts with record_digest_post or record_digest_sending")
        changed = await self._change(
            """INSERT INTO digest_runs(guild_id, slot, outcome, digest_date, detail, at)
                   VALUES (?, ?, ?, NULL, ?, ?)
                   ON CONFLICT(guild_id, slot) DO UPDATE SET outcome = excluded.outcome,
                       digest_date = NULL, detail = excluded.detail, at = excluded.at
                   WHERE digest_runs.outcome IN ('failed', 'sending')""",
            (guild_id, slot.isoformat(), outcome, detail, utc_iso(at)),
        )
        return bool(changed)

    async def record_digest_sending(
        self, guild_id: int, slot: dt.date, digest_date: dt.date, *, at: dt.datetime
    ) -> bool:
        """Record that ``digest_date`` is about to be posted for ``slot`` (in flight since
        ``at``); call before the first message is sent. A final outcome is never overwritten.

        Returns False when the slot was already settled (posted or skipped).
        """
        changed = await self._change(
            """INSERT INTO digest_runs(guild_id, slot, outcome, digest_date, detail, at)
                   VALUES (?, ?, 'sending', ?, NULL, ?)
                   ON CONFLICT(guild_id, slot) DO UPDATE SET outcome = 'sending',
                       digest_date = excluded.digest_date, detail = NULL, at = excluded.at
                   WHERE digest_runs.outcome IN ('failed', 'sending')""",
            (guild_id, slot.isoformat(), digest_date.isoformat(), utc_iso(at)),
        )
        return bool(changed)

    async def record_digest_post(
        self,
        guild_id: int,
        digest_date: dt.date,
        *,
        channel_id: int,
        message_ids: Sequence[int],
        at: dt.datetime,
        slot: dt.date | None = None,
    ) -> bool:
        """Record that ``digest_date`` was posted (and settle ``slot``), in one transaction.

        Clears the server's last error. Returns False (and changes nothing) when that day was
        already recorded as posted in this server.
        """
        day = digest_date.isoformat()
        when = utc_iso(at)

        async def work(c: Conn) -> bool:
            inserted = await c.execute(
                """INSERT OR IGNORE INTO digest_posts(guild_id, digest_date, channel_id,
                                                      message_ids, slot, posted_at)
                   VALUES (?, ?, ?, ?, ?, ?)""",
                (
                    guild_id,
                    day,
                    channel_id,
                    json.dumps([int(i) for i in message_ids]),
                    slot.isoformat() if slot else None,
                    when,
                ),
            )
            if not inserted:
                return False
            if slot is not None:
                await c.execute(
                    """INSERT INTO digest_runs(guild_id, slot, outcome, digest_date, detail, at)
                       VALUES (?, ?, 'posted', ?, NULL, ?)
                       ON CONFLICT(guild_id, slot) DO UPDATE SET outcome = 'posted',
                           digest_date = excluded.digest_date, detail = NULL, at = excluded.at""",
                    (guild_id, slot.isoformat(), day, when),
                )
            await c.execute(
                """UPDATE guild_digests SET last_error = NULL, last_error_at = NULL
                   WHERE guild_id = ?""",
                (guild_id,),
            )
            return True

        return await self._transaction(work)

    async def last_digest_post(self, guild_id: int) -> DigestPost | None:
        """The newest post in the server (by digest day)."""
        row = await self._one(
            """SELECT guild_id, digest_date, channel_id, message_ids, slot, posted_at
                   FROM digest_posts WHERE guild_id = ? ORDER BY digest_date DESC LIMIT 1""",
            (guild_id,),
        )
        return _post_row(row) if row else None

    async def claim_digest_refresh(
        self, guild_id: int, digest_date: dt.date | str, *, at: dt.datetime
    ) -> bool:
        """Take the one edit of a posted digest (to show summaries that arrived after it):
        True the first time for a post, False after, or when there is no such post."""
        changed = await self._change(
            """UPDATE digest_posts SET refreshed_at = ?
               WHERE guild_id = ? AND digest_date = ? AND refreshed_at IS NULL""",
            (utc_iso(at), guild_id, iso_day(digest_date)),
        )
        return changed > 0

    async def next_digest_day(
        self, guild_id: int, *, until: dt.date | None = None
    ) -> dt.date | None:
        """The day to post next in the server: the newest digest day with papers (on or before
        ``until``: a day in the future is never posted), when it is newer than every day
        already posted there; ``None`` when nothing new has arrived."""
        row = await self._one(
            """SELECT max(date) FROM digests WHERE paper_count > 0 AND date <= ?
                   AND date > coalesce((SELECT max(digest_date) FROM digest_posts
                                        WHERE guild_id = ?), '')""",
            (iso_day(until) or MAX_DATE, guild_id),
        )
        return parse_day(row[0])
