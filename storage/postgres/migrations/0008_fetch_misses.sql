-- 8: the days a fetch failed to read, per source (the SQLite backend's migration 16), asked for
-- again on later runs until they import, across restarts.
CREATE TABLE fetch_misses (
    source text NOT NULL,
    day    date NOT NULL,
    at     timestamptz NOT NULL,
    PRIMARY KEY (source, day)
);
