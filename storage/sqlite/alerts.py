"""Personal alerts: a keyword query or an author, and what was already sent for each.

Tables (migration 4 in :mod:`storage.sqlite.migrations`)::

    alerts(id PK, user_id, kind, query, match_key, created_at, seen_seq, paused_at,
           pause_noticed)                                       one row per alert
    alert_deliveries(alert_id, paper_id) PK, sent_at            what was DMed, per alert
    import_feed(seq PK AUTOINCREMENT, paper_id, date)           every new appearance

The import feed. A trigger on ``appearances`` appends a row to ``import_feed`` for every
appearance *inserted* (a paper listed on a day for the first time), inside the importing
transaction, whoever imports: the bot's fetch job, ``papers-bot import`` in another process, the
API importer. Re-importing a day updates its appearances, which adds nothing to the feed. The
feed's ``seq`` is the import clock: AUTOINCREMENT never reuses a number, so the current
position is ``sqlite_sequence``'s value for the table even after old rows are pruned.

Each alert keeps ``seen_seq``, the feed position it has been matched up to: set to the current
position when the alert is created (an alert never matches the archive imported before it), and
moved forward together with the deliveries once its user's DM was sent, in one transaction. A
DM that fails leaves both untouched, so it is tried again; ``alert_deliveries`` makes sure a
paper is never sent twice for the same alert, even when it is listed again on a later day.
Paused alerts (the user's DMs are closed) are skipped; resuming moves them to the current
position.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from storage.errors import AlertExists, AlertLimitReached, EmptyAlertQuery
from storage.models import MAX_ALERT_QUERY_CHARS, MAX_ALERTS, Alert, AlertKind, FeedBatch
from storage.sqlite.connection import Conn, StoreBase, utc_iso
from storage.text import alert_key, one_line

_COLUMNS = (
    "id, user_id, kind, query, match_key, created_at, seen_seq, paused_at, pause_noticed, language"
)
_POSITION = "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'import_feed'), 0)"


def _alert(row: Sequence[Any]) -> Alert:
    alert_id, user_id, kind, query, key, created, seen, paused, noticed, language = row
    return Alert(
        id=int(alert_id),
        user_id=int(user_id),
        kind=kind,
        query=query,
        match_key=key,
        created_at=dt.datetime.fromisoformat(created),
        seen_seq=int(seen),
        paused_at=dt.datetime.fromisoformat(paused) if paused else None,
        pause_noticed=bool(noticed),
        language=language,
    )


class AlertQueries(StoreBase):
    """The :class:`storage.ports.AlertStore` of the SQLite backend."""

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

        Raises :class:`AlertExists` for a duplicate (same kind and key), :class:`AlertLimitReached`
        when the user has ``limit`` alerts, :class:`EmptyAlertQuery` for an empty query.
        """
        if kind not in ("keywords", "author"):
            raise ValueError(f"unknown alert kind {kind!r}")
        query = one_line(query)[:MAX_ALERT_QUERY_CHARS]
        key = alert_key(kind, query)
        if not key:
            raise EmptyAlertQuery()
        when = utc_iso(now)

        async def work(c: Conn) -> Alert:
            count, *existing = await c.one(
                f"""SELECT (SELECT count(*) FROM alerts WHERE user_id = :user), a.*
                    FROM (SELECT 1) LEFT JOIN (
                        SELECT {_COLUMNS} FROM alerts
                        WHERE user_id = :user AND kind = :kind AND match_key = :key) AS a""",
                {"user": user_id, "kind": kind, "key": key},
            )
            if existing[0] is not None:
                raise AlertExists(_alert(existing))
            if count >= limit:
                raise AlertLimitReached(limit)
            return _alert(
                await c.one(
                    f"""INSERT INTO alerts(user_id, kind, query, match_key, created_at, seen_seq,
                                           language)
                        VALUES (?, ?, ?, ?, ?, ({_POSITION}), ?) RETURNING {_COLUMNS}""",
                    (user_id, kind, query, key, when, language),
                )
            )

        return await self._transaction(work)

    async def alerts(self, user_id: int) -> list[Alert]:
        """The user's alerts, oldest first."""
        rows = await self._all(
            f"SELECT {_COLUMNS} FROM alerts WHERE user_id = ? ORDER BY id", (user_id,)
        )
        return [_alert(r) for r in rows]

    async def set_alerts_language(self, user_id: int, language: str) -> int:
        """The language of the user's DMs from now on (their last command's); how many of their
        alerts changed."""
        return await self._change(
            "UPDATE alerts SET language = ? WHERE user_id = ? AND language IS NOT ?",
            (language, user_id, language),
        )

    async def remove_alert(self, user_id: int, alert_id: int) -> Alert | None:
        """Delete one of the user's alerts (and its delivery record); ``None`` if not theirs."""

        async def work(c: Conn) -> Alert | None:
            row = await c.one(
                f"SELECT {_COLUMNS} FROM alerts WHERE id = ? AND user_id = ?", (alert_id, user_id)
            )
            if row is None:
                return None
            await c.execute("DELETE FROM alerts WHERE id = ?", (alert_id,))
            return _alert(row)

        return await self._transaction(work)

    # ------------------------------------------------------------------ pausing

    async def pause_alerts(self, user_id: int, *, at: dt.datetime) -> int:
        """Pause every alert of the user (their DMs are closed); returns how many were active."""
        return await self._change(
            """UPDATE alerts SET paused_at = ?, pause_noticed = 0
                       WHERE user_id = ? AND paused_at IS NULL""",
            (utc_iso(at), user_id),
        )

    async def resume_alerts(self, user_id: int) -> int:
        """Un-pause the user's alerts from the current feed position (what was imported while
        they were paused is not sent); returns how many were paused."""
        return await self._change(
            f"""UPDATE alerts SET paused_at = NULL, pause_noticed = 0,
                                          seen_seq = max(seen_seq, ({_POSITION}))
                        WHERE user_id = ? AND paused_at IS NOT NULL""",
            (user_id,),
        )

    async def take_pause_notice(self, user_id: int) -> int:
        """How many of the user's alerts are paused and not yet told about; marks them told."""

        return await self._change(
            """UPDATE alerts SET pause_noticed = 1
               WHERE user_id = ? AND paused_at IS NOT NULL AND NOT pause_noticed""",
            (user_id,),
        )

    # ------------------------------------------------------------------ matching

    async def feed_position(self) -> int:
        """The import clock: the newest ``import_feed`` sequence number (0 before any)."""
        return int((await self._one(_POSITION))[0])

    async def pending_alerts(self, upto: int) -> list[Alert]:
        """Active alerts not yet matched up to feed position ``upto``, by user then id."""
        rows = await self._all(
            f"""SELECT {_COLUMNS} FROM alerts WHERE paused_at IS NULL AND seen_seq < ?
                    ORDER BY user_id, id""",
            (upto,),
        )
        return [_alert(r) for r in rows]

    async def feed_batch(self, after: int, upto: int) -> FeedBatch:
        """Papers with an appearance added between feed positions ``after`` and ``upto``."""

        async def work(c: Conn) -> FeedBatch:
            rows = await c.all(
                """SELECT p.arxiv_id, p.id FROM papers p
                   WHERE p.id IN (SELECT paper_id FROM import_feed WHERE seq > ? AND seq <= ?)""",
                (after, upto),
            )
            lo, hi = await c.one(
                "SELECT min(date), max(date) FROM import_feed WHERE seq > ? AND seq <= ?",
                (after, upto),
            )
            return FeedBatch(
                after,
                upto,
                dict(rows),
                dt.date.fromisoformat(lo) if lo else None,
                dt.date.fromisoformat(hi) if hi else None,
            )

        async with self._conn() as c:
            return await work(c)

    async def delivered(self, alert_ids: Iterable[int]) -> dict[int, set[int]]:
        """For each alert, the paper ids already sent for it."""
        ids_json = json.dumps(sorted(set(alert_ids)))
        rows = await self._all(
            """SELECT alert_id, paper_id FROM alert_deliveries
                   WHERE alert_id IN (SELECT value FROM json_each(?))""",
            (ids_json,),
        )
        found: dict[int, set[int]] = {}
        for alert_id, paper_id in rows:
            found.setdefault(int(alert_id), set()).add(int(paper_id))
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
        when = utc_iso(at)
        ids = sorted(set(alert_ids))
        rows = [(int(a), int(p), when) for a, papers in deliveries.items() for p in set(papers)]

        async def work(c: Conn) -> None:
            await c.executemany(
                """INSERT OR IGNORE INTO alert_deliveries(alert_id, paper_id, sent_at)
                   SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM alerts WHERE id = ?1)""",
                rows,
            )
            await c.execute(
                """UPDATE alerts SET seen_seq = max(seen_seq, ?)
                   WHERE id IN (SELECT value FROM json_each(?))""",
                (upto, json.dumps(ids)),
            )

        await self._transaction(work)

    async def prune_import_feed(self) -> int:
        """Drop feed rows every alert has moved past (all of them when there are no alerts);
        the position is kept by ``sqlite_sequence``. Returns how many rows went."""
        return await self._change(
            """DELETE FROM import_feed WHERE seq <= coalesce(
                           (SELECT min(seen_seq) FROM alerts WHERE paused_at IS NULL),
                           (SELECT max(seq) FROM import_feed))"""
        )
