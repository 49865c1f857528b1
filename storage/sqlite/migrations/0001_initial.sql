-- 1: the initial schema: digests, papers, appearances, authors, full-text index.

CREATE TABLE digests (
            date        TEXT PRIMARY KEY,          -- YYYY-MM-DD, the digest's day
            source      TEXT NOT NULL,             -- file name or URL last imported for it
            paper_count INTEGER NOT NULL DEFAULT 0,
            imported_at TEXT NOT NULL              -- UTC ISO timestamp
        ) WITHOUT ROWID;

CREATE TABLE papers (
            id                INTEGER PRIMARY KEY,
            arxiv_id          TEXT NOT NULL UNIQUE,
            title             TEXT NOT NULL,
            url               TEXT NOT NULL,
            authors_truncated INTEGER NOT NULL DEFAULT 0,
            media_kind        TEXT,
            media_url         TEXT,
            summary           TEXT NOT NULL,       -- JSON [[label or null, text], ...]
            content_date      TEXT NOT NULL,       -- day whose digest gave title/summary/authors
            votes             INTEGER,             -- latest known votes (derived)
            best_votes        INTEGER,             -- highest votes on any day (derived)
            first_date        TEXT,                -- first appearance (derived)
            last_date         TEXT                 -- last appearance (derived)
        );

CREATE INDEX papers_best ON papers(best_votes DESC, last_date DESC);

CREATE INDEX papers_last ON papers(last_date DESC, best_votes DESC);

-- Covering index for joins that need only these columns (author cards), so they do not
-- read the wide rows that hold the summaries.
CREATE INDEX papers_card ON papers(id, last_date, best_votes, votes, first_date);

CREATE TABLE appearances (
            paper_id INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
            date     TEXT NOT NULL REFERENCES digests(date) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            votes    INTEGER,
            PRIMARY KEY (paper_id, date)
        ) WITHOUT ROWID;

CREATE INDEX appearances_day ON appearances(date, votes DESC, position);

CREATE TABLE authors (
            id          INTEGER PRIMARY KEY,
            name        TEXT NOT NULL,             -- first spelling seen
            norm_key    TEXT NOT NULL UNIQUE,      -- storage.text.name_key(name)
            paper_count INTEGER NOT NULL DEFAULT 0 -- derived, kept by the importer
        );

CREATE INDEX authors_count ON authors(paper_count DESC);

CREATE TABLE author_terms (
            term      TEXT NOT NULL,               -- the key and each word-suffix of it
            author_id INTEGER NOT NULL REFERENCES authors(id) ON DELETE CASCADE,
            PRIMARY KEY (term, author_id)
        ) WITHOUT ROWID;

CREATE INDEX author_terms_author ON author_terms(author_id, term);

CREATE TABLE paper_authors (
            paper_id  INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
            position  INTEGER NOT NULL,
            author_id INTEGER NOT NULL REFERENCES authors(id),
            PRIMARY KEY (paper_id, position)
        ) WITHOUT ROWID;

CREATE INDEX paper_authors_author ON paper_authors(author_id, paper_id);

CREATE VIRTUAL TABLE paper_fts USING fts5(
            title, summary, content='', tokenize='unicode61 remove_diacritics 2'
        );

INSERT INTO paper_fts(paper_fts, rank) VALUES ('rank', 'bm25(10.0, 1.0)');

CREATE TRIGGER papers_fts_ai AFTER INSERT ON papers BEGIN 
    INSERT INTO paper_fts(rowid, title, summary)
    VALUES (new.id, papers_fts_title_v1(new.title), papers_fts_summary_v1(new.summary)); END;

CREATE TRIGGER papers_fts_ad AFTER DELETE ON papers BEGIN 
    INSERT INTO paper_fts(paper_fts, rowid, title, summary)
    VALUES ('delete', old.id, papers_fts_title_v1(old.title),
            papers_fts_summary_v1(old.summary)); END;

CREATE TRIGGER papers_fts_au AFTER UPDATE OF title, summary ON papers
            WHEN old.title IS NOT new.title OR old.summary IS NOT new.summary
            BEGIN 
    INSERT INTO paper_fts(paper_fts, rowid, title, summary)
    VALUES ('delete', old.id, papers_fts_title_v1(old.title),
            papers_fts_summary_v1(old.summary)); 
    INSERT INTO paper_fts(rowid, title, summary)
    VALUES (new.id, papers_fts_title_v1(new.title), papers_fts_summary_v1(new.summary)); END;
