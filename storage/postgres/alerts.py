"""Personal alerts: a keyword query or an author, and what was already sent for each.

Tables (:mod:`storage.postgres.migrations`)::

    alerts(id PK, user_id, kind, query, match_key, created_at, seen_seq, paused_at,
           pause_noticed)                                       one row per alert
    alert_deliveries(alert_id, paper_id) PK, sent_at            what was DMed, per alert
    import_feed(seq PK identity, paper_id, date)                every new appearance
    feed_clock(position)                                        the newest feed position

The semantics are the SQLite backend's (:mod:`storage.sqlite.alerts`). A statement trigger on
``appearances`` appends the appearances an import really inserted to ``import_feed`` and moves
``feed_clock`` to its newest ``seq``, in the importing transaction. Imports take turns on an
advisory lock (:mod:`storage.postgres.importing`), so feed numbers are handed out in commit
order and every feed row up to the committed clock is visible: an alert run that reads the
clock never skips a row that commits later. The clock survives pruning (identity numbers are
never reused). ``alert_deliveries`` (``ON CONFLICT DO NOTHING``) makes a paper sent at most once
per alert.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from asyncpg import Record

from storage.errors import AlertExists, AlertLimitReached, EmptyAlertQuery
from storage.models import MAX_ALERT_QUERY_CHARS, MAX_ALERTS, Alert, AlertKind, FeedBatch
from storage.postgres.connection import Conn, StoreBase, utc
from storage.text import alert_key, one_line

_COLUMNS = (
    "id, user_id, kind, query, match_key, created_at, seen_seq, paused_at, pause_noticed, language"
)
_POSITION = "SELECT position FROM feed_clock"


def _alert(row: Record) -> Alert:
    alert_id, user_id, kind, query, key, created, seen, paused, noticed, language = row
    return Alert(
        id=alert_id,
        user_id=user_id,
        kind=kind,
        query=query,
        match_key=key,
        created_at=created,
        seen_seq=seen,
        paused_at=paused,
        pause_noticed=noticed,
        language=language,
    )


class AlertQueries(StoreBase):
    """The :class:`storage.ports.AlertStore` of the PostgreSQL backend."""

    # ------------------------------------------------------------------ a user's alerts

    async def add_alert(
        self,
        user_id: int,
        kind: AlertKind,
        query: str,
        *,
        now: dt.datetime,
        limit: int = MAX_ALERTS,
        language: str | None = None,
    ) -> Alert:
        """Add an alert that matches papers imported from now on (DMed in ``language``).

        Control characters (NUL included) are dropped from the query, as on every backend.
        Raises :class:`AlertExists` for a duplicate (same kind and key), :class:`AlertLimitReached`
        when the user has ``limit`` alerts, :class:`EmptyAlertQuery` for an empty query.
        """
        if kind not in ("keywords", "author"):
            raise ValueError(f"unknown alert kind {kind!r}")
        query = one_line(query)[:MAX_ALERT_QUERY_CHARS]
        key = alert_key(kind, query)
        if not key:
            raise EmptyAlertQuery()
        when = utc(now)

        async def work(c: Conn) -> Alert:
            # One add at a time per user, so the limit holds when two adds race.
            await c.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"alerts:{user_id}"
            )
            existing = await c.one(
                f"""SELECT {_COLUMNS} FROM alerts
                    WHERE user_id = $1 AND kind = $2 AND match_key = $3""",
                user_id,
                kind,
                key,
            )
            if existing is not None:
                raise AlertExists(_alert(existing))
            if await c.value("SELECT count(*) FROM alerts WHERE user_id = $1", user_id) >= limit:
                raise AlertLimitReached(limit)
            row = await c.one(
                f"""INSERT INTO alerts (user_id, kind, query, match_key, created_at, seen_seq,
                                        language)
                    VALUES ($1, $2, $3, $4, $5, ({_POSITION}), $6) RETURNING {_COLUMNS}""",
                user_id,
                kind,
                query,
                key,
                when,
                language,
            )
            assert row is not None
            return _alert(row)

        return await self._transaction(work)

    async def alerts(self, user_id: int) -> list[Alert]:
        """The user's alerts, oldest first."""
        rows = await self._all(
            f"SELECT {_COLUMNS} FROM alerts WHERE user_id = $1 ORDER BY id", user_id
        )
        return [_alert(r) for r in rows]

    async def remove_alert(self, user_id: int, alert_id: int) -> Alert | None:
        """Delete one of the user's alerts (and its delivery record); ``None`` if not theirs."""
        row = await self._one(
            f"DELETE FROM alerts WHERE id = $1 AND user_id = $2 RETURNING {_COLUMNS}",
            alert_id,
            user_id,
        )
        return _alert(row) if row else None

    async def set_alerts_language(self, user_id: int, language: str) -> int:
        """The language of the user's DMs from now on (their last command's); how many of their
        alerts changed."""
        return await self._change(
            """UPDATE alerts SET language = $1
               WHERE user_id = $2 AND language IS DISTINCT FROM $1""",
            language,
            user_id,
        )

    # ------------------------------------------------------------------ pausing

    async def pause_alerts(self, user_id: int, *, at: dt.datetime) -> int:
        """Pause every alert of the user (their DMs are closed); returns how many were active."""
        return await self._change(
            """UPDATE alerts SET paused_at = $1, pause_noticed = false
               WHERE user_id = $2 AND paused_at IS NULL""",
            utc(at),
            user_id,
        )

    async def resume_alerts(self, user_id: int) -> int:
        """Un-pause the user's alerts from the current feed position (what was imported while
        they were paused is not sent); returns how many were paused."""
        return await self._change(
            f"""UPDATE alerts SET paused_at = NULL, pause_noticed = false,
                                  seen_seq = greatest(seen_seq, ({_POSITION}))
                WHERE user_id = $1 AND paused_at IS NOT NULL""",
            user_id,
        )

    async def take_pause_notice(self, user_id: int) -> int:
        """How many of the user's alerts are paused and not yet told about; marks them told."""
        return await self._change(
            """UPDATE alerts SET pause_noticed = true
               WHERE user_id = $1 AND paused_at IS NOT NULL AND NOT pause_noticed""",
            user_id,
        )

    # ------------------------------------------------------------------ matching

    async def feed_position(self) -> int:
        """The import clock: the newest ``import_feed`` sequence number (0 before any)."""
        return int(await self._value(_POSITION))

    async def pending_alerts(self, upto: int) -> list[Alert]:
        """Active alerts not yet matched up to feed position ``upto``, by user then id."""
        rows = await self._all(
            f"""SELECT {_COLUMNS} FROM alerts WHERE paused_at IS NULL AND seen_seq < $1
                ORDER BY user_id, id""",
            upto,
        )
        return [_alert(r) for r in rows]

    async def feed_batch(self, after: int, upto: int) -> FeedBatch:
        """Papers with an appearance added between feed positions ``after`` and ``upto``."""
        async with self._conn() as c:
            rows = await c.all(
                """SELECT p.arxiv_id, p.id FROM papers p
                   WHERE p.id IN (SELECT paper_id FROM import_feed
                                  WHERE seq > $1 AND seq <= $2)""",
                after,
                upto,
            )
            span = await c.one(
                "SELECT min(date), max(date) FROM import_feed WHERE seq > $1 AND seq <= $2",
                after,
                upto,
            )
        assert span is not None
        return FeedBatch(after, upto, {r[0]: r[1] for r in rows}, span[0], span[1])

    async def delivered(self, alert_ids: Iterable[int]) -> dict[int, set[int]]:
        """For each alert, the paper ids already sent for it."""
        rows = await self._all(
            "SELECT alert_id, paper_id FROM alert_deliveries WHERE alert_id = ANY($1::bigint[])",
            sorted(set(alert_ids)),
        )
        found: dict[int, set[int]] = {}
        for alert_id, paper_id in rows:
            found.setdefault(alert_id, set()).add(paper_id)
        return found

    async def record_alert_run(
        self,
        alert_ids: Iterable[int],
        deliveries: Mapping[int, Iterable[int]],
        *,
        upto: int,
        at: dt.datetime,
    ) -> None:
        """After a user's DM was sent (or nothing matched): record what was sent per alert and
        move the alerts to feed position ``upto``, in one transaction. Alerts deleted meanwhile
        are skipped."""
        when = utc(at)
        ids = sorted(set(alert_ids))
        pairs = [(int(a), int(p)) for a, papers in deliveries.items() for p in set(papers)]

        async def work(c: Conn) -> None:
            await c.execute(
                """INSERT INTO alert_deliveries (alert_id, paper_id, sent_at)
                   SELECT r.alert_id, r.paper_id, $3
                   FROM unnest($1::bigint[], $2::bigint[]) AS r(alert_id, paper_id)
                   WHERE EXISTS (SELECT 1 FROM alerts WHERE id = r.alert_id)
                   ON CONFLICT DO NOTHING""",
                [a for a, _ in pairs],
                [p for _, p in pairs],
                when,
            )
            await c.execute(
                """UPDATE alerts SET seen_seq = greatest(seen_seq, $1)
                   WHERE id = ANY($2::bigint[])""",
                upto,
                ids,
            )

        await self._transaction(work)

    async def prune_import_feed(self) -> int:
        """Drop feed rows every alert has moved past (all of them when there are no alerts);
        the position is kept by ``feed_clock``. Returns how many rows went."""
        return await self._change(
            """DELETE FROM import_feed WHERE seq <= coalesce(
                   (SELECT min(seen_seq) FROM alerts WHERE paused_at IS NULL),
                   (SELECT position FROM feed_clock))"""
        )
