-- 3: reading lists (the SQLite backend's migration 11): one row per paper a user saved.
CREATE TABLE saved_papers (
    user_id  bigint NOT NULL,
    paper_id bigint NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    saved_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, paper_id)
);

CREATE INDEX saved_papers_newest ON saved_papers (user_id, saved_at);
