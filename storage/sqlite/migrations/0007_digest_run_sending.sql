-- 7: a digest being sent is stored as 'sending', with no detail (it was stored as a 'failed' row
-- that carried the day being sent and an English sentence). Details are short codes from now on
-- (bot.core.digests.RunCode). SQLite cannot change a CHECK constraint: the table is rebuilt.

CREATE TABLE digest_runs_v7 (
            guild_id    INTEGER NOT NULL,
            slot        TEXT NOT NULL,             -- local YYYY-MM-DD of the scheduled post
            outcome     TEXT NOT NULL
                        CHECK (outcome IN ('sending', 'posted', 'skipped', 'failed')),
            digest_date TEXT,                      -- the digest day sent or posted, if any
            detail      TEXT,                      -- a code (bot.core.digests.RunCode), or NULL
            at          TEXT NOT NULL,             -- UTC ISO timestamp
            PRIMARY KEY (guild_id, slot)
        ) WITHOUT ROWID;

INSERT INTO digest_runs_v7(guild_id, slot, outcome, digest_date, detail, at)
    SELECT guild_id, slot,
           CASE WHEN outcome = 'failed' AND digest_date IS NOT NULL THEN 'sending'
                ELSE outcome END,
           digest_date,
           CASE WHEN outcome = 'failed' AND digest_date IS NOT NULL THEN NULL ELSE detail END,
           at
    FROM digest_runs;

DROP TABLE digest_runs;

ALTER TABLE digest_runs_v7 RENAME TO digest_runs;
