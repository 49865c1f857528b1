-- 12: who first used a new database. `import` takes it when an import starts, the bundled
-- samples only when they are the first: a console opened on a still-empty database while an
-- import runs never adds the samples to it (claimed in one statement, under the write lock).
CREATE TABLE database_claims (
            name       TEXT PRIMARY KEY,
            claimed_by TEXT NOT NULL,
            at         TEXT NOT NULL
        );
