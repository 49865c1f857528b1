-- 2: the daily digest per server (storage/sqlite/guilds.py): settings, scheduled runs, posts,
-- and the watched-directory files already imported (storage/sqlite/jobs.py).

CREATE TABLE guild_digests (
            guild_id      INTEGER PRIMARY KEY,
            channel_id    INTEGER NOT NULL,
            post_time     TEXT NOT NULL,           -- local HH:MM
            timezone      TEXT NOT NULL,           -- IANA name
            count         INTEGER NOT NULL DEFAULT 10,
            enabled       INTEGER NOT NULL DEFAULT 1,
            updated_at    TEXT NOT NULL,           -- UTC ISO timestamp of the last change
            last_error    TEXT,
            last_error_at TEXT
        );

CREATE TABLE digest_runs (
            guild_id    INTEGER NOT NULL,
            slot        TEXT NOT NULL,             -- local YYYY-MM-DD of the scheduled post
            outcome     TEXT NOT NULL CHECK (outcome IN ('posted', 'skipped', 'failed')),
            digest_date TEXT,                      -- the digest day posted, if any
            detail      TEXT,
            at          TEXT NOT NULL,             -- UTC ISO timestamp
            PRIMARY KEY (guild_id, slot)
        ) WITHOUT ROWID;

CREATE TABLE digest_posts (
            guild_id    INTEGER NOT NULL,
            digest_date TEXT NOT NULL,
            channel_id  INTEGER NOT NULL,
            message_ids TEXT NOT NULL,             -- JSON list of message ids
            slot        TEXT,                      -- the scheduled slot, NULL for /digest now
            posted_at   TEXT NOT NULL,
            PRIMARY KEY (guild_id, digest_date)
        ) WITHOUT ROWID;

CREATE INDEX digest_posts_recent ON digest_posts(guild_id, posted_at DESC);

CREATE TABLE watched_files (
            path        TEXT PRIMARY KEY,
            mtime_ns    INTEGER NOT NULL,
            size        INTEGER NOT NULL,
            sha256      TEXT NOT NULL,
            imported_at TEXT NOT NULL
        ) WITHOUT ROWID;
