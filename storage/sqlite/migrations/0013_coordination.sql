-- 12: several processes (shards) on one database. Each running process has a row and beats;
-- each shard and each global job is leased to one process until its lease expires. A digest
-- slot being sent records which process sends it, so a live sender is never overtaken.
-- Times are UTC ISO timestamps with microseconds (compared as text).

CREATE TABLE processes (
            process_id  TEXT PRIMARY KEY,          -- host:pid:random
            shards      TEXT NOT NULL,             -- JSON list of shard ids
            shard_count INTEGER NOT NULL,
            started_at  TEXT NOT NULL,
            last_beat   TEXT NOT NULL,
            version     TEXT NOT NULL
        ) WITHOUT ROWID;

CREATE TABLE shard_leases (
            shard_id    INTEGER PRIMARY KEY,
            shard_count INTEGER NOT NULL,
            holder      TEXT NOT NULL,             -- processes.process_id
            adopted     INTEGER NOT NULL DEFAULT 0, -- 1: held for a dead owner's digests only
            expires_at  TEXT NOT NULL
        );

CREATE TABLE job_leases (
            job         TEXT PRIMARY KEY,
            holder      TEXT NOT NULL,
            expires_at  TEXT NOT NULL,
            since       TEXT NOT NULL              -- when this holder took it
        ) WITHOUT ROWID;

ALTER TABLE digest_runs ADD COLUMN holder TEXT;

-- An alert DM being sent to a user: by which process, since when (deleted once recorded). A
-- send left by a dead process is taken over and first looked for in the DM channel.
CREATE TABLE alert_sends (
            user_id     INTEGER PRIMARY KEY,
            holder      TEXT NOT NULL,
            since       TEXT NOT NULL
        );
