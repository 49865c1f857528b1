-- 11: reading lists. One row per paper a user saved (per user, across servers and DMs).
CREATE TABLE saved_papers (
            user_id  INTEGER NOT NULL,
            paper_id INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
            saved_at TEXT NOT NULL,
            PRIMARY KEY (user_id, paper_id)
        );

CREATE INDEX saved_papers_newest ON saved_papers(user_id, saved_at);
