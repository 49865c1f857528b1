-- 16: the days a fetch failed to read (per source), asked for again on later runs until they
-- import; kept in the database so that a restart during an outage forgets none of them.
CREATE TABLE fetch_misses (
            source TEXT NOT NULL,
            day    TEXT NOT NULL,
            at     TEXT NOT NULL,
            PRIMARY KEY (source, day)
        ) WITHOUT ROWID;
