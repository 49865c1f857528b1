-- 4: who first used a new database (the SQLite backend's migration 12): `import` when an import
-- starts, the bundled samples only when they are the first.
CREATE TABLE database_claims (
    name       text PRIMARY KEY,
    claimed_by text NOT NULL,
    at         timestamptz NOT NULL
);
