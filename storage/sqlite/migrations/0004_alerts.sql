-- 4: personal alerts (storage/sqlite/alerts.py): the alerts, what was sent for each, and the
-- import feed (every appearance inserted, appended by a trigger in the import's transaction).

CREATE TABLE alerts (
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
        );

CREATE INDEX alerts_pending ON alerts(seen_seq) WHERE paused_at IS NULL;

CREATE TABLE alert_deliveries (
            alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
            paper_id INTEGER NOT NULL,
            sent_at  TEXT NOT NULL,
            PRIMARY KEY (alert_id, paper_id)
        ) WITHOUT ROWID;

CREATE TABLE import_feed (
            seq      INTEGER PRIMARY KEY AUTOINCREMENT,
            paper_id INTEGER NOT NULL,
            date     TEXT NOT NULL
        );

CREATE TRIGGER appearances_feed_ai AFTER INSERT ON appearances BEGIN
            INSERT INTO import_feed(paper_id, date) VALUES (new.paper_id, new.date);
        END;
