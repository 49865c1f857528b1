"""Per-server daily digest state: settings, scheduled runs, posts.

Tables (:mod:`storage.postgres.migrations`)::

    guild_digests(guild_id PK, channel_id, post_time HH:MM, timezone, count, enabled,
                  updated_at, last_error, last_error_at, language, guild_locale)
                  one row per server
    digest_runs(guild_id, slot) PK, outcome, digest_date, detail, at
                  one row per scheduled local day: sending, posted, skipped or failed
    digest_posts(guild_id, digest_date) PK, channel_id, message_ids, slot, posted_at
                  the exactly-once record: a digest day is posted at most once per server

The semantics are the SQLite backend's (:mod:`storage.sqlite.guilds`): a slot is recorded as
``sending`` (with the digest day, no detail) before its first message; the post is recorded
with its run in one transaction; ``posted`` and ``skipped`` are final for their slot, the other
outcomes stay retryable. ``INSERT ... ON CONFLICT DO NOTHING`` on ``digest_posts`` makes a post
exactly-once even when two processes race for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from asyncpg import Record

from storage.models import DigestPost, DigestRun, DigestSettings, RunOutcome
from storage.postgres.connection import Conn, StoreBase, as_day, utc

_SETTINGS_COLUMNS = (
    "guild_id, channel_id, post_time, timezone, count, enabled, updated_at, last_error, "
    "last_error_at, language, guild_locale"
)
_RUN_COLUMNS = "guild_id, slot, outcome, digest_date, detail, at"
#: Outcomes that settle a slot for good.
_FINAL = "('posted', 'skipped')"


def _settings(row: Record) -> DigestSettings:
    (guild_id, channel_id, post_time, tz, count, enabled, updated, error, error_at) = row[:9]
    return DigestSettings(
        guild_id=guild_id,
        channel_id=channel_id,
        post_time=dt.time.fromisoformat(post_time),
        timezone=tz,
        count=count,
        enabled=enabled,
        updated_at=updated,
        last_error=error,
        last_error_at=error_at,
        language=row[9],
        guild_locale=row[10],
    )


def _run_row(row: Record) -> DigestRun:
    return DigestRun(*row)


def _post_row(row: Record) -> DigestPost:
    guild_id, digest_date, channel_id, message_ids, slot, posted_at = row
    return DigestPost(guild_id, digest_date, channel_id, tuple(message_ids), slot, posted_at)


class GuildQueries(StoreBase):
    """The :class:`storage.ports.GuildStore` of the PostgreSQL backend."""

    # ------------------------------------------------------------------ settings

    async def digest_settings(self, guild_id: int) -> DigestSettings | None:
        """The server's settings (enabled or not), or ``None`` when it never set any."""
        row = await self._one(
            f"SELECT {_SETTINGS_COLUMNS} FROM guild_digests WHERE guild_id = $1", guild_id
        )
        return _settings(row) if row else None

    async def all_digest_settings(self, *, enabled_only: bool = True) -> list[DigestSettings]:
        """Every server's settings (only enabled ones by default), by guild id."""
        rows = await self._all(
            f"""SELECT {_SETTINGS_COLUMNS} FROM guild_digests WHERE enabled OR NOT $1
                ORDER BY guild_id""",
            enabled_only,
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
        row = await self._one(
            f"""INSERT INTO guild_digests (guild_id, channel_id, post_time, timezone, count,
                                           enabled, updated_at, last_error, last_error_at,
                                           guild_locale)
                VALUES ($1, $2, $3, $4, $5, true, $6, NULL, NULL, $7)
                ON CONFLICT (guild_id) DO UPDATE SET
                    channel_id = excluded.channel_id, post_time = excluded.post_time,
                    timezone = excluded.timezone, count = excluded.count, enabled = true,
                    updated_at = excluded.updated_at, last_error = NULL, last_error_at = NULL,
                    guild_locale = coalesce(excluded.guild_locale, guild_digests.guild_locale)
                RETURNING {_SETTINGS_COLUMNS}""",
            guild_id,
            channel_id,
            hhmm,
            timezone,
            int(count),
            utc(now),
            guild_locale,
        )
        assert row is not None
        return _settings(row)

    async def set_digest_language(
        self, guild_id: int, language: str | None, *, guild_locale: str | None, now: dt.datetime
    ) -> DigestSettings | None:
        """Choose the posts' language (``None``: the server's own, ``guild_locale``, recorded
        when given); ``None`` when the server has no digest settings."""
        row = await self._one(
            f"""UPDATE guild_digests SET language = $1, updated_at = $2,
                    guild_locale = coalesce($3, guild_locale)
                WHERE guild_id = $4 RETURNING {_SETTINGS_COLUMNS}""",
            language,
            utc(now),
            guild_locale,
            guild_id,
        )
        return _settings(row) if row else None

    async def disable_digest(self, guild_id: int, *, now: dt.datetime) -> bool:
        """Turn the server's digest off (settings kept); False when it was not on."""
        changed = await self._change(
            """UPDATE guild_digests SET enabled = false, updated_at = $1
               WHERE guild_id = $2 AND enabled""",
            utc(now),
            guild_id,
        )
        return bool(changed)

    async def record_digest_error(self, guild_id: int, code: str, *, at: dt.datetime) -> None:
        """Remember why the last post failed, as an error code (shown by ``/digest show``)."""
        await self._change(
            "UPDATE guild_digests SET last_error = $1, last_error_at = $2 WHERE guild_id = $3",
            code,
            utc(at),
            guild_id,
        )

    # ------------------------------------------------------------------ runs and posts

    async def digest_run(self, guild_id: int, slot: dt.date) -> DigestRun | None:
        """What happened at ``slot`` (the server's local day), if anything."""
        row = await self._one(
            f"SELECT {_RUN_COLUMNS} FROM digest_runs WHERE guild_id = $1 AND slot = $2",
            guild_id,
            slot,
        )
        return _run_row(row) if row else None

    async def last_digest_run(self, guild_id: int) -> DigestRun | None:
        """The newest slot's run."""
        row = await self._one(
            f"""SELECT {_RUN_COLUMNS} FROM digest_runs WHERE guild_id = $1
                ORDER BY slot DESC LIMIT 1""",
            guild_id,
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
            f"""INSERT INTO digest_runs (guild_id, slot, outcome, digest_date, detail, at)
                VALUES ($1, $2, $3, NULL, $4, $5)
                ON CONFLICT (guild_id, slot) DO UPDATE SET outcome = excluded.outcome,
                    digest_date = NULL, detail = excluded.detail, at = excluded.at
                WHERE digest_runs.outcome NOT IN {_FINAL}""",
            guild_id,
            slot,
            outcome,
            detail,
            utc(at),
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
            f"""INSERT INTO digest_runs (guild_id, slot, outcome, digest_date, detail, at)
                VALUES ($1, $2, 'sending', $3, NULL, $4)
                ON CONFLICT (guild_id, slot) DO UPDATE SET outcome = 'sending',
                    digest_date = excluded.digest_date, detail = NULL, at = excluded.at
                WHERE digest_runs.outcome NOT IN {_FINAL}""",
            guild_id,
            slot,
            digest_date,
            utc(at),
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
        when = utc(at)

        async def work(c: Conn) -> bool:
            inserted = await c.execute(
                """INSERT INTO digest_posts (guild_id, digest_date, channel_id, message_ids,
                                             slot, posted_at)
                   VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING""",
                guild_id,
                digest_date,
                channel_id,
                [int(i) for i in message_ids],
                slot,
                when,
            )
            if not inserted:
                return False
            if slot is not None:
                await c.execute(
                    """INSERT INTO digest_runs (guild_id, slot, outcome, digest_date, detail, at)
                       VALUES ($1, $2, 'posted', $3, NULL, $4)
                       ON CONFLICT (guild_id, slot) DO UPDATE SET outcome = 'posted',
                           digest_date = excluded.digest_date, detail = NULL,
                           at = excluded.at""",
                    guild_id,
                    slot,
                    digest_date,
                    when,
                )
            await c.execute(
                """UPDATE guild_digests SET last_error = NULL, last_error_at = NULL
                   WHERE guild_id = $1""",
                guild_id,
            )
            return True

        return await self._transaction(work)

    async def last_digest_post(self, guild_id: int) -> DigestPost | None:
        """The newest post in the server (by digest day)."""
        row = await self._one(
            """SELECT guild_id, digest_date, channel_id, message_ids, slot, posted_at
               FROM digest_posts WHERE guild_id = $1 ORDER BY digest_date DESC LIMIT 1""",
            guild_id,
        )
        return _post_row(row) if row else None

    async def claim_digest_refresh(
        self, guild_id: int, digest_date: dt.date | str, *, at: dt.datetime
    ) -> bool:
        """Take the one edit of a posted digest (to show summaries that arrived after it):
        True the first time for a post, False after, or when there is no such post."""
        changed = await self._change(
            """UPDATE digest_posts SET refreshed_at = $1
               WHERE guild_id = $2 AND digest_date = $3 AND refreshed_at IS NULL""",
            utc(at),
            guild_id,
            as_day(digest_date),
        )
        return changed > 0

    async def next_digest_day(
        self, guild_id: int, *, until: dt.date | None = None
    ) -> dt.date | None:
        """The day to post next in the server: the newest digest day with papers (on or before
        ``until``: a day in the future is never posted), when it is newer than every day
        already posted there; ``None`` when nothing new has arrived."""
        day: dt.date | None = await self._value(
            """SELECT max(date) FROM digests WHERE paper_count > 0
               AND ($2::date IS NULL OR date <= $2::date)
               AND date > coalesce((SELECT max(digest_date) FROM digest_posts
                                    WHERE guild_id = $1), '-infinity')""",
            guild_id,
            until,
        )
        return day
