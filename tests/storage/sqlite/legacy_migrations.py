"""The schema migrations 1-6 exactly as the program applied them before they became ``.sql`` files
(``storage/sqlite/migrations/``), frozen here so a test can build a database the old way and
compare it with one built from the files."""

from __future__ import annotations

FTS_TITLE_FUNCTION = "papers_fts_title_v1"
FTS_SUMMARY_FUNCTION = "papers_fts_summary_v1"

_FTS_INSERT = f"""
    INSERT INTO paper_fts(rowid, title, summary)
    VALUES (new.id, {FTS_TITLE_FUNCTION}(new.title), {FTS_SUMMARY_FUNCTION}(new.summary));"""
_FTS_DELETE = f"""
    INSERT INTO paper_fts(paper_fts, rowid, title, summary)
    VALUES ('delete', old.id, {FTS_TITLE_FUNCTION}(old.title),
            {FTS_SUMMARY_FUNCTION}(old.summary));"""

LEGACY_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: the initial schema.
    (
        """CREATE TABLE digests (
            date        TEXT PRIMARY KEY,          -- YYYY-MM-DD, the digest's day
            source      TEXT NOT NULL,             -- file name or URL last imported for it
            paper_count INTEGER NOT NULL DEFAULT 0,
            imported_at TEXT NOT NULL              -- UTC ISO timestamp
        ) WITHOUT ROWID""",
        """CREATE TABLE papers (
            id                INTEGER PRIMARY KEY,
            arxiv_id          TEXT NOT NULL UNIQUE,
            title             TEXT NOT NULL,
            url               TEXT NOT NULL,
            authors_truncated INTEGER NOT NULL DEFAULT 0,
            media_kind        TEXT,
            media_url         TEXT,
            summary           TEXT NOT NULL,       -- JSON [[label or null, text], ...]
            content_date      TEXT NOT NULL,       -- day whose digest gave title/summary/authors
            votes             INTEGER,             -- latest known votes (derived)
            best_votes        INTEGER,             -- highest votes on any day (derived)
            first_date        TEXT,                -- first appearance (derived)
            last_date         TEXT                 -- last appearance (derived)
        )""",
        "CREATE INDEX papers_best ON papers(best_votes DESC, last_date DESC)",
        "CREATE INDEX papers_last ON papers(last_date DESC, best_votes DESC)",
        # Covering index for joins that need only these columns (author cards), so they do not
        # read the wide rows that hold the summaries.
        "CREATE INDEX papers_card ON papers(id, last_date, best_votes, votes, first_date)",
        """CREATE TABLE appearances (
            paper_id INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
            date     TEXT NOT NULL REFERENCES digests(date) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            votes    INTEGER,
            PRIMARY KEY (paper_id, date)
        ) WITHOUT ROWID""",
        "CREATE INDEX appearances_day ON appearances(date, votes DESC, position)",
        """CREATE TABLE authors (
            id          INTEGER PRIMARY KEY,
            name        TEXT NOT NULL,             -- first spelling seen
            norm_key    TEXT NOT NULL UNIQUE,      -- storage.text.name_key(name)
            paper_count INTEGER NOT NULL DEFAULT 0 -- derived, kept by the importer
        )""",
        "CREATE INDEX authors_count ON authors(paper_count DESC)",
        """CREATE TABLE author_terms (
            term      TEXT NOT NULL,               -- the key and each word-suffix of it
            author_id INTEGER NOT NULL REFERENCES authors(id) ON DELETE CASCADE,
            PRIMARY KEY (term, author_id)
        ) WITHOUT ROWID""",
        "CREATE INDEX author_terms_author ON author_terms(author_id, term)",
        """CREATE TABLE paper_authors (
            paper_id  INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
            position  INTEGER NOT NULL,
            author_id INTEGER NOT NULL REFERENCES authors(id),
            PRIMARY KEY (paper_id, position)
        ) WITHOUT ROWID""",
        "CREATE INDEX paper_authors_author ON paper_authors(author_id, paper_id)",
        """CREATE VIRTUAL TABLE paper_fts USING fts5(
            title, summary, content='', tokenize='unicode61 remove_diacritics 2'
        )""",
        "INSERT INTO paper_fts(paper_fts, rank) VALUES ('rank', 'bm25(10.0, 1.0)')",
        f"CREATE TRIGGER papers_fts_ai AFTER INSERT ON papers BEGIN {_FTS_INSERT} END",
        f"CREATE TRIGGER papers_fts_ad AFTER DELETE ON papers BEGIN {_FTS_DELETE} END",
        f"""CREATE TRIGGER papers_fts_au AFTER UPDATE OF title, summary ON papers
            WHEN old.title IS NOT new.title OR old.summary IS NOT new.summary
            BEGIN {_FTS_DELETE} {_FTS_INSERT} END""",
    ),
    # 2: the daily digest per server (storage/guilds.py): settings, scheduled runs, posts,
    # and the watched-directory files already imported.
    (
        """CREATE TABLE guild_digests (
            guild_id      INTEGER PRIMARY KEY,
            channel_id    INTEGER NOT NULL,
            post_time     TEXT NOT NULL,           -- local HH:MM
            timezone      TEXT NOT NULL,           -- IANA name
            count         INTEGER NOT NULL DEFAULT 10,
            enabled       INTEGER NOT NULL DEFAULT 1,
            updated_at    TEXT NOT NULL,           -- UTC ISO timestamp of the last change
            last_error    TEXT,
            last_error_at TEXT
        )""",
        """CREATE TABLE digest_runs (
            guild_id    INTEGER NOT NULL,
            slot        TEXT NOT NULL,             -- local YYYY-MM-DD of the scheduled post
            outcome     TEXT NOT NULL CHECK (outcome IN ('posted', 'skipped', 'failed')),
            digest_date TEXT,                      -- the digest day posted, if any
            detail      TEXT,
            at          TEXT NOT NULL,             -- UTC ISO timestamp
            PRIMARY KEY (guild_id, slot)
        ) WITHOUT ROWID""",
        """CREATE TABLE digest_posts (
            guild_id    INTEGER NOT NULL,
            digest_date TEXT NOT NULL,
            channel_id  INTEGER NOT NULL,
            message_ids TEXT NOT NULL,             -- JSON list of message ids
            slot        TEXT,                      -- the scheduled slot, NULL for /digest now
            posted_at   TEXT NOT NULL,
            PRIMARY KEY (guild_id, digest_date)
        ) WITHOUT ROWID""",
        "CREATE INDEX digest_posts_recent ON digest_posts(guild_id, posted_at DESC)",
        """CREATE TABLE watched_files (
            path        TEXT PRIMARY KEY,
            mtime_ns    INTEGER NOT NULL,
            size        INTEGER NOT NULL,
            sha256      TEXT NOT NULL,
            imported_at TEXT NOT NULL
        ) WITHOUT ROWID""",
    ),
    # 3: what the Hugging Face daily papers API adds to a paper (Store.import_api_digest).
    (
        "ALTER TABLE papers ADD COLUMN ai_summary TEXT",
        "ALTER TABLE papers ADD COLUMN keywords TEXT",  # JSON list of strings
        "ALTER TABLE papers ADD COLUMN github_repo TEXT",
        "ALTER TABLE papers ADD COLUMN github_stars INTEGER",
        "ALTER TABLE papers ADD COLUMN project_page TEXT",
    ),
    # 4: personal alerts (storage/alerts.py): the alerts, what was sent for each, and the
    # import feed (every appearance inserted, appended by a trigger in the import's transaction).
    (
        """CREATE TABLE alerts (
            id            INTEGER PRIMARY KEY,
            user_id       INTEGER NOT NULL,
            kind          TEXT NOT NULL CHECK (kind IN ('keywords', 'author')),
            query         TEXT NOT NULL,           -- as typed, or the author's name
            match_key     TEXT NOT NULL,           -- folded query / storage.text.name_key
            created_at    TEXT NOT NULL,           -- UTC ISO timestamp
            seen_seq      INTEGER NOT NULL,        -- import_feed position matched up to
            paused_at     TEXT,                    -- set when the user's DMs are closed
            pause_noticed INTEGER NOT NULL DEFAULT 0,
            UNIQUE (user_id, kind, match_key)
        )""",
        "CREATE INDEX alerts_pending ON alerts(seen_seq) WHERE paused_at IS NULL",
        """CREATE TABLE alert_deliveries (
            alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
            paper_id INTEGER NOT NULL,
            sent_at  TEXT NOT NULL,
            PRIMARY KEY (alert_id, paper_id)
        ) WITHOUT ROWID""",
        """CREATE TABLE import_feed (
            seq      INTEGER PRIMARY KEY AUTOINCREMENT,
            paper_id INTEGER NOT NULL,
            date     TEXT NOT NULL
        )""",
        """CREATE TRIGGER appearances_feed_ai AFTER INSERT ON appearances BEGIN
            INSERT INTO import_feed(paper_id, date) VALUES (new.paper_id, new.date);
        END""",
    ),
    # 5: the importer writes the index rows of new papers itself, from index forms it computes
    # ahead (in worker processes for large imports): the insert trigger goes. The update and
    # delete triggers stay, so changed or deleted papers are still re-indexed by SQL.
    ("DROP TRIGGER papers_fts_ai",),
    # 6: each paper keeps the names of its authors as listed (JSON array, each person once, the
    # same people ``paper_authors`` links, in order), so a page of papers is read without a
    # lookup per author. Filled here for papers stored before.
    (
        "ALTER TABLE papers ADD COLUMN author_names TEXT",
        """UPDATE papers SET author_names = (
               SELECT json_group_array(name) FROM (
                   SELECT a.name FROM paper_authors pa JOIN authors a ON a.id = pa.author_id
                   WHERE pa.paper_id = papers.id ORDER BY pa.position))""",
    ),
)
