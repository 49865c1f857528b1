"""Every table's rows in the backend-neutral form of :mod:`storage.transfer`, and writing the
importable ones back (upserts on their natural keys, so writing the same rows twice changes
nothing). Surrogate ids are turned into natural keys on the way out and back on the way in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

from storage.postgres.alerts import _POSITION
from storage.postgres.connection import Conn, StoreBase, utc
from storage.transfer import (
    Converters,
    Row,
    backlog_json,
    backlog_pairs,
    bullets_json,
    check_table,
    convert,
    summary_pairs,
)


def _exact(moment: dt.datetime) -> dt.datetime:
    """A moment in UTC to the microsecond (vote history: each fetch is its own moment)."""
    return moment.astimezone(dt.UTC)


_t, _m = tuple, utc
#: Per table: the SELECT of its rows, and how each column's value becomes its neutral value.
_EXPORTS: Final[dict[str, tuple[str, Converters]]] = {
    "digests": (
        "SELECT date, paper_count, source, imported_at FROM digests",
        (None, None, None, _m),
    ),
    "papers": (
        """SELECT arxiv_id, title, url, authors_truncated, media_kind, media_url, summary, votes,
                  best_votes, first_date, last_date, ai_summary, keywords, github_repo,
                  github_stars, project_page, author_names, organization, comments
           FROM papers""",
        (*(None,) * 6, summary_pairs, *(None,) * 5, _t, *(None,) * 3, _t, None, None),
    ),
    "appearances": (
        """SELECT p.arxiv_id, a.date, a.position, a.votes
           FROM appearances a JOIN papers p ON p.id = a.paper_id""",
        (None, None, None, None),
    ),
    "authors": ("SELECT norm_key, name, paper_count FROM authors", (None, None, None)),
    "paper_authors": (
        """SELECT p.arxiv_id, pa.position, a.norm_key FROM paper_authors pa
           JOIN papers p ON p.id = pa.paper_id JOIN authors a ON a.id = pa.author_id""",
        (None, None, None),
    ),
    "guild_digests": (
        """SELECT guild_id, channel_id, post_time, timezone, count, enabled, updated_at,
                  last_error, last_error_at, language, guild_locale FROM guild_digests""",
        (None, None, None, None, None, None, _m, None, _m, None, None),
    ),
    "digest_runs": (
        "SELECT guild_id, slot, outcome, digest_date, detail, at FROM digest_runs",
        (None, None, None, None, None, _m),
    ),
    "digest_posts": (
        """SELECT guild_id, digest_date, channel_id, message_ids, slot, posted_at, refreshed_at
           FROM digest_posts""",
        (None, None, None, _t, None, _m, _m),
    ),
    "alerts": (
        """SELECT user_id, kind, query, match_key, created_at, paused_at, pause_noticed,
                  language,
                  (SELECT coalesce(jsonb_agg(jsonb_build_array(p.arxiv_id, f.date::text)),
                                   '[]')::text
                   FROM import_feed f JOIN papers p ON p.id = f.paper_id
                   WHERE f.seq > alerts.seen_seq)
           FROM alerts""",
        (None, None, None, None, _m, _m, None, None, backlog_pairs),
    ),
    "alert_deliveries": (
        """SELECT a.user_id, a.kind, a.match_key, p.arxiv_id, d.sent_at
           FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id
           JOIN papers p ON p.id = d.paper_id""",
        (None, None, None, None, _m),
    ),
    "watched_files": (
        "SELECT path, mtime_ns, size, sha256, imported_at FROM watched_files",
        (None, None, None, None, _m),
    ),
    "summaries": (
        """SELECT p.arxiv_id, s.state, s.attempts, s.claimed_at, s.bullets::text, s.model,
                  s.created_at, s.error
           FROM summaries s JOIN papers p ON p.id = s.paper_id""",
        (None, None, None, _m, summary_pairs, None, _m, None),
    ),
    "vote_history": (
        """SELECT p.arxiv_id, h.at, h.votes
           FROM vote_history h JOIN papers p ON p.id = h.paper_id""",
        (None, _exact, None),
    ),
    "saved_papers": (
        """SELECT s.user_id, p.arxiv_id, s.saved_at
           FROM saved_papers s JOIN papers p ON p.id = s.paper_id""",
        (None, None, _m),
    ),
}

#: Per importable table: the upsert of one row, and how each value is bound.
_IMPORTS: Final[dict[str, tuple[str, Converters]]] = {
    "digests": (
        """INSERT INTO digests (date, paper_count, source, imported_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (date) DO UPDATE SET source = excluded.source,
               imported_at = excluded.imported_at""",
        (None, None, None, _m),
    ),
    "guild_digests": (
        """INSERT INTO guild_digests (guild_id, channel_id, post_time, timezone, count, enabled,
                  updated_at, last_error, last_error_at, language, guild_locale)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id,
               post_time = excluded.post_time, timezone = excluded.timezone,
               count = excluded.count, enabled = excluded.enabled,
               updated_at = excluded.updated_at, last_error = excluded.last_error,
               last_error_at = excluded.last_error_at, language = excluded.language,
               guild_locale = excluded.guild_locale""",
        (None, None, None, None, None, None, _m, None, _m, None, None),
    ),
    "digest_runs": (
        """INSERT INTO digest_runs (guild_id, slot, outcome, digest_date, detail, at)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (guild_id, slot) DO UPDATE SET outcome = excluded.outcome,
               digest_date = excluded.digest_date, detail = excluded.detail, at = excluded.at""",
        (None, None, None, None, None, _m),
    ),
    "digest_posts": (
        """INSERT INTO digest_posts (guild_id, digest_date, channel_id, message_ids, slot,
                  posted_at, refreshed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (guild_id, digest_date) DO UPDATE SET channel_id = excluded.channel_id,
               message_ids = excluded.message_ids, slot = excluded.slot,
               posted_at = excluded.posted_at, refreshed_at = excluded.refreshed_at""",
        (None, None, None, list, None, _m, _m),
    ),
    "alerts": (
        f"""INSERT INTO alerts (user_id, kind, query, match_key, created_at, paused_at,
                  pause_noticed, language, seen_seq)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce(
               (SELECT min(f.seq) - 1 FROM import_feed f JOIN papers p ON p.id = f.paper_id
                JOIN jsonb_array_elements($9::jsonb) j
                  ON p.arxiv_id = j ->> 0 AND f.date = (j ->> 1)::date),
               ({_POSITION})))
           ON CONFLICT (user_id, kind, match_key) DO UPDATE SET query = excluded.query,
               created_at = excluded.created_at, paused_at = excluded.paused_at,
               pause_noticed = excluded.pause_noticed, language = excluded.language,
               seen_seq = excluded.seen_seq""",
        (None, None, None, None, _m, _m, None, None, backlog_json),
    ),
    "alert_deliveries": (
        """INSERT INTO alert_deliveries (alert_id, paper_id, sent_at)
           SELECT a.id, p.id, $5 FROM alerts a, papers p
           WHERE a.user_id = $1 AND a.kind = $2 AND a.match_key = $3 AND p.arxiv_id = $4
           ON CONFLICT (alert_id, paper_id) DO UPDATE SET sent_at = excluded.sent_at""",
        (None, None, None, None, _m),
    ),
    "watched_files": (
        """INSERT INTO watched_files (path, mtime_ns, size, sha256, imported_at)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (path) DO UPDATE SET mtime_ns = excluded.mtime_ns, size = excluded.size,
               sha256 = excluded.sha256, imported_at = excluded.imported_at""",
        (None, None, None, None, _m),
    ),
    "summaries": (
        """INSERT INTO summaries (paper_id, state, attempts, claimed_at, bullets, model,
                  created_at, error)
           SELECT p.id, $2, $3, $4, $5::jsonb, $6, $7, $8 FROM papers p WHERE p.arxiv_id = $1
           ON CONFLICT (paper_id) DO UPDATE SET state = excluded.state,
               attempts = excluded.attempts, claimed_at = excluded.claimed_at,
               bullets = excluded.bullets, model = excluded.model,
               created_at = excluded.created_at, error = excluded.error""",
        (None, None, None, _m, bullets_json, None, _m, None),
    ),
    "vote_history": (
        """INSERT INTO vote_history (paper_id, at, votes)
           SELECT p.id, $2, $3 FROM papers p WHERE p.arxiv_id = $1
           ON CONFLICT (paper_id, at) DO UPDATE SET votes = excluded.votes""",
        (None, _exact, None),
    ),
    "saved_papers": (
        """INSERT INTO saved_papers (user_id, paper_id, saved_at)
           SELECT $1, p.id, $3 FROM papers p WHERE p.arxiv_id = $2
           ON CONFLICT (user_id, paper_id) DO UPDATE SET saved_at = excluded.saved_at""",
        (None, None, _m),
    ),
}


class TransferQueries(StoreBase):
    """The :class:`storage.ports.TransferStore` of the PostgreSQL backend."""

    async def export_rows(self, table: str) -> list[Row]:
        """Every row of ``table`` (one of :data:`storage.transfer.TABLES`), in neutral form."""
        check_table(table)
        sql, converters = _EXPORTS[table]
        return [convert(row, converters) for row in await self._all(sql)]

    async def import_rows(self, table: str, rows: Sequence[Row]) -> int:
        """Upsert ``rows`` into ``table`` (one of :data:`storage.transfer.IMPORTABLE`), all in one
        transaction; how many were written (a delivery whose alert or paper is missing is not)."""
        check_table(table, importable=True)
        sql, converters = _IMPORTS[table]

        async def work(c: Conn) -> int:
            return sum([await c.execute(sql, *convert(row, converters)) for row in rows])

        return await self._transaction(work)
