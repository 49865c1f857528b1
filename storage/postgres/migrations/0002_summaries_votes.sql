-- 2: the API's data in full, Korean summaries for new days (and the digest post's one edit),
-- vote history (the SQLite backend's migration 10). The keywords join the summary words of
-- papers.search when a paper is next written (storage/postgres/importing.py); rows written
-- before keep their old document until then.

ALTER TABLE papers ADD COLUMN organization text;
ALTER TABLE papers ADD COLUMN comments integer;

-- Summary bullets a language model writes for a paper without an archive summary, one row per
-- paper: the row is the claim (see storage.ports.SummaryStore).
CREATE TABLE summaries (
    paper_id   bigint PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
    state      text NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    attempts   integer NOT NULL,
    claimed_at timestamptz NOT NULL,
    bullets    jsonb,                               -- [[label or null, text], ...] when done
    model      text,
    created_at timestamptz,
    error      text
);

CREATE INDEX summaries_claimed_at ON summaries (claimed_at);

-- A paper's votes over time: a point whenever an API import sees a changed count.
CREATE TABLE vote_history (
    paper_id bigint NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    at       timestamptz NOT NULL,
    votes    integer NOT NULL,
    PRIMARY KEY (paper_id, at)
);

ALTER TABLE digest_posts ADD COLUMN refreshed_at timestamptz;
