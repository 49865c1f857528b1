"""Every table's rows in the backend-neutral form of :mod:`storage.transfer`, and writing the
importable ones back (upserts on their natural keys, so writing the same rows twice changes
nothing). Surrogate ids are turned into natural keys on the way out and back on the way in.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any, Final

from storage.sqlite.alerts import _POSITION
from storage.sqlite.connection import Conn, StoreBase, iso_day, parse_day, parse_moment, utc_iso
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


def _strings(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


def _micro_iso(moment: dt.datetime) -> str:
    """A vote history moment as stored: UTC ISO to the microsecond (each fetch its own)."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


#: Per table: the SELECT of its rows, and how each column's stored value becomes its value.
_d, _m, _b = parse_day, parse_moment, bool
_EXPORTS: Final[dict[str, tuple[str, Converters]]] = {
    "digests": (
        "SELECT date, paper_count, source, imported_at FROM digests",
        (_d, None, None, _m),
    ),
    "papers": (
        """SELECT arxiv_id, title, url, authors_truncated, media_kind, media_url, summary, votes,
                  best_votes, first_date, last_date, ai_summary, keywords, github_repo,
                  github_stars, project_page, author_names, organization, comments
           FROM papers""",
        (
            None,
            None,
            None,
            _b,
            None,
            None,
            summary_pairs,
            None,
            None,
            _d,
            _d,
            None,
            _strings,
            *(None,) * 3,
            _strings,
            None,
            None,
        ),
    ),
    "appearances": (
        """SELECT p.arxiv_id, a.date, a.position, a.votes
           FROM appearances a JOIN papers p ON p.id = a.paper_id""",
        (None, _d, None, None),
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
        (None, None, None, None, None, _b, _m, None, _m, None, None),
    ),
    "digest_runs": (
        "SELECT guild_id, slot, outcome, digest_date, detail, at FROM digest_runs",
        (None, _d, None, _d, None, _m),
    ),
    "digest_posts": (
        """SELECT guild_id, digest_date, channel_id, message_ids, slot, posted_at, refreshed_at
           FROM digest_posts""",
        (None, _d, None, lambda t: tuple(json.loads(t)), _d, _m, _m),
    ),
    "alerts": (
        """SELECT user_id, kind, query, match_key, created_at, paused_at, pause_noticed,
                  language,
                  (SELECT json_group_array(json_array(arxiv_id, date)) FROM (
                       SELECT p.arxiv_id, f.date FROM import_feed f
                       JOIN papers p ON p.id = f.paper_id
                       WHERE f.seq > alerts.seen_seq ORDER BY p.arxiv_id, f.date))
           FROM alerts""",
        (None, None, None, None, _m, _m, _b, None, backlog_pairs),
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
        """SELECT p.arxiv_id, s.state, s.attempts, s.claimed_at, s.bullets, s.model,
                  s.created_at, s.error
           FROM summaries s JOIN papers p ON p.id = s.paper_id""",
        (None, None, None, _m, summary_pairs, None, _m, None),
    ),
    "vote_history": (
        """SELECT p.arxiv_id, h.at, h.votes
           FROM vote_history h JOIN papers p ON p.id = h.paper_id""",
        (None, _m, None),
    ),
    "saved_papers": (
        """SELECT s.user_id, p.arxiv_id, s.saved_at
           FROM saved_papers s JOIN papers p ON p.id = s.paper_id""",
        (None, None, _m),
    ),
}

#: Per importable table: the upsert of one row, and how each value is bound.
_s = iso_day
_IMPORTS: Final[dict[str, tuple[str, Converters]]] = {
    "digests": (
        """INSERT INTO digests(date, paper_count, source, imported_at) VALUES (?, ?, ?, ?)
           ON CONFLICT(date) DO UPDATE SET source = excluded.source,
               imported_at = excluded.imported_at""",
        (_s, None, None, utc_iso),
    ),
    "guild_digests": (
        """INSERT INTO guild_digests(guild_id, channel_id, post_time, timezone, count, enabled,
                  updated_at, last_error, last_error_at, language, guild_locale)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(guild_id) DO UPDATE SET channel_id = excluded.channel_id,
               post_time = excluded.post_time, timezone = excluded.timezone,
               count = excluded.count, enabled = excluded.enabled,
               updated_at = excluded.updated_at, last_error = excluded.last_error,
               last_error_at = excluded.last_error_at, language = excluded.language,
               guild_locale = excluded.guild_locale""",
        (None, None, None, None, None, int, utc_iso, None, utc_iso, None, None),
    ),
    "digest_runs": (
        """INSERT INTO digest_runs(guild_id, slot, outcome, digest_date, detail, at)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(guild_id, slot) DO UPDATE SET outcome = excluded.outcome,
               digest_date = excluded.digest_date, detail = excluded.detail, at = excluded.at""",
        (None, _s, None, _s, None, utc_iso),
    ),
    "digest_posts": (
        """INSERT INTO digest_posts(guild_id, digest_date, channel_id, message_ids, slot,
                  posted_at, refreshed_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(guild_id, digest_date) DO UPDATE SET channel_id = excluded.channel_id,
               message_ids = excluded.message_ids, slot = excluded.slot,
               posted_at = excluded.posted_at, refreshed_at = excluded.refreshed_at""",
        (None, _s, None, lambda ids: json.dumps(list(ids)), _s, utc_iso, utc_iso),
    ),
    "alerts": (
        f"""INSERT INTO alerts(user_id, kind, query, match_key, created_at, paused_at,
                  pause_noticed, language, seen_seq)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, coalesce(
               (SELECT min(f.seq) - 1 FROM import_feed f JOIN papers p ON p.id = f.paper_id
                JOIN json_each(?) j ON p.arxiv_id = json_extract(j.value, '$[0]')
                    AND f.date = json_extract(j.value, '$[1]')),
               ({_POSITION})))
           ON CONFLICT(user_id, kind, match_key) DO UPDATE SET query = excluded.query,
               created_at = excluded.created_at, paused_at = excluded.paused_at,
               pause_noticed = excluded.pause_noticed, language = excluded.language,
               seen_seq = excluded.seen_seq""",
        (None, None, None, None, utc_iso, utc_iso, int, None, backlog_json),
    ),
    "alert_deliveries": (
        """INSERT INTO alert_deliveries(alert_id, paper_id, sent_at)
           SELECT a.id, p.id, ? FROM alerts a, papers p
           WHERE a.user_id = ? AND a.kind = ? AND a.match_key = ? AND p.arxiv_id = ?
           ON CONFLICT(alert_id, paper_id) DO UPDATE SET sent_at = excluded.sent_at""",
        (None, None, None, None, utc_iso),
    ),
    "watched_files": (
        """INSERT INTO watched_files(path, mtime_ns, size, sha256, imported_at)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(path) DO UPDATE SET mtime_ns = excluded.mtime_ns, size = excluded.size,
               sha256 = excluded.sha256, imported_at = excluded.imported_at""",
        (None, None, None, None, utc_iso),
    ),
    # Numbered parameters: the paper's arXiv id is bound where the row has it.
    "summaries": (
        """INSERT INTO summaries(paper_id, state, attempts, claimed_at, bullets, model,
                  created_at, error)
           SELECT id, ?2, ?3, ?4, ?5, ?6, ?7, ?8 FROM papers WHERE arxiv_id = ?1
           ON CONFLICT(paper_id) DO UPDATE SET state = excluded.state,
               attempts = excluded.attempts, claimed_at = excluded.claimed_at,
               bullets = excluded.bullets, model = excluded.model,
               created_at = excluded.created_at, error = excluded.error""",
        (None, None, None, utc_iso, bullets_json, None, utc_iso, None),
    ),
    "vote_history": (
        """INSERT INTO vote_history(paper_id, at, votes)
           SELECT id, ?2, ?3 FROM papers WHERE arxiv_id = ?1
           ON CONFLICT(paper_id, at) DO UPDATE SET votes = excluded.votes""",
        (None, _micro_iso, None),
    ),
    "saved_papers": (
        """INSERT INTO saved_papers(user_id, paper_id, saved_at)
           SELECT ?1, id, ?3 FROM papers WHERE arxiv_id = ?2
           ON CONFLICT(user_id, paper_id) DO UPDATE SET saved_at = excluded.saved_at""",
        (None, None, utc_iso),
    ),
}


def _bound(table: str, row: Row) -> tuple[Any, ...]:
    """``row``'s values in the order its upsert binds them."""
    values = convert(row, _IMPORTS[table][1])
    if table == "alert_deliveries":  # sent_at first: it is the SELECT's first column
        return (values[4], *values[:4])
    return values


class TransferQueries(StoreBase):
    """The :class:`storage.ports.TransferStore` of the SQLite backend."""

    async def export_rows(self, table: str) -> list[Row]:
        """Every row of ``table`` (one of :data:`storage.transfer.TABLES`), in neutral form."""
        check_table(table)
        sql, converters = _EXPORTS[table]
        return [convert(row, converters) for row in await self._all(sql)]

    async def import_rows(self, table: str, rows: Sequence[Row]) -> int:
        """Upsert ``rows`` into ``table`` (one of :data:`storage.transfer.IMPORTABLE`), all in one
        transaction; how many were written (a delivery whose alert or paper is missing is not)."""
        check_table(table, importable=True)
        sql = _IMPORTS[table][0]

        async def work(c: Conn) -> int:
            return sum([await c.execute(sql, _bound(table, row)) for row in rows])

        return await self._transaction(work)
