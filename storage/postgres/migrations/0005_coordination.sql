-- 4: several processes (shards) on one database (the SQLite backend's migration 12). Each
-- running process has a row and beats; each shard and each global job is leased to one process
-- until its lease expires. A digest slot being sent records which process sends it, so a live
-- sender is never overtaken.
CREATE TABLE processes (
    process_id  text PRIMARY KEY,               -- host:pid:random
    shards      integer[] NOT NULL,
    shard_count integer NOT NULL,
    started_at  timestamptz NOT NULL,
    last_beat   timestamptz NOT NULL,
    version     text NOT NULL
);

CREATE TABLE shard_leases (
    shard_id    integer PRIMARY KEY,
    shard_count integer NOT NULL,
    holder      text NOT NULL,
    adopted     boolean NOT NULL DEFAULT false,  -- held for a dead owner's digests only
    expires_at  timestamptz NOT NULL
);

CREATE TABLE job_leases (
    job         text PRIMARY KEY,
    holder      text NOT NULL,
    expires_at  timestamptz NOT NULL,
    since       timestamptz NOT NULL
);

ALTER TABLE digest_runs ADD COLUMN holder text;

-- An alert DM being sent to a user: by which process, since when (deleted once recorded). A
-- send left by a dead process is taken over and first looked for in the DM channel.
CREATE TABLE alert_sends (
    user_id     bigint PRIMARY KEY,
    holder      text NOT NULL,
    since       timestamptz NOT NULL
);
