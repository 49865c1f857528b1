-- 10: the API's data in full, Korean summaries for new days (and the digest post edited once
-- they arrive), vote history, keywords searchable.

-- The submitting organisation's full name and the comment count of the paper's HF page.
ALTER TABLE papers ADD COLUMN organization TEXT;

ALTER TABLE papers ADD COLUMN comments INTEGER;

-- Summary bullets a language model writes for a paper without an archive summary, one row per
-- paper: the row is the claim (inserted before the model is asked, so a paper is summarised
-- once). state: pending (an attempt under way since claimed_at), done (bullets: JSON
-- [[label, text], ...], model, created_at), failed (error; retried while attempts is below the
-- summariser's bound).
CREATE TABLE summaries (
            paper_id   INTEGER PRIMARY KEY REFERENCES papers(id) ON DELETE CASCADE,
            state      TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
            attempts   INTEGER NOT NULL,
            claimed_at TEXT NOT NULL,
            bullets    TEXT,
            model      TEXT,
            created_at TEXT,
            error      TEXT
        );

CREATE INDEX summaries_claimed_at ON summaries(claimed_at);

-- A paper's votes over time: a point whenever an API import sees a count that differs from the
-- paper's last point (higher or lower), one per paper and moment.
CREATE TABLE vote_history (
            paper_id INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
            at       TEXT NOT NULL,
            votes    INTEGER NOT NULL,
            PRIMARY KEY (paper_id, at)
        ) WITHOUT ROWID;

-- When a posted digest was edited to show the Korean summaries that arrived after it (once).
ALTER TABLE digest_posts ADD COLUMN refreshed_at TEXT;

-- Keywords join the summary column of the index: new triggers with papers_fts_summary_v2, and
-- the index rebuilt from the rows.
DROP TRIGGER papers_fts_ad;

DROP TRIGGER papers_fts_au;

CREATE TRIGGER papers_fts_ad AFTER DELETE ON papers BEGIN 
    INSERT INTO paper_fts(paper_fts, rowid, title, summary)
    VALUES ('delete', old.id, papers_fts_title_v1(old.title),
            papers_fts_summary_v2(old.summary, old.keywords)); END;

CREATE TRIGGER papers_fts_au AFTER UPDATE OF title, summary, keywords ON papers
            WHEN old.title IS NOT new.title OR old.summary IS NOT new.summary
                 OR old.keywords IS NOT new.keywords
            BEGIN 
    INSERT INTO paper_fts(paper_fts, rowid, title, summary)
    VALUES ('delete', old.id, papers_fts_title_v1(old.title),
            papers_fts_summary_v2(old.summary, old.keywords)); 
    INSERT INTO paper_fts(rowid, title, summary)
    VALUES (new.id, papers_fts_title_v1(new.title),
            papers_fts_summary_v2(new.summary, new.keywords)); END;

INSERT INTO paper_fts(paper_fts) VALUES ('delete-all');

INSERT INTO paper_fts(rowid, title, summary)
SELECT id, papers_fts_title_v1(title), papers_fts_summary_v2(summary, keywords) FROM papers;
