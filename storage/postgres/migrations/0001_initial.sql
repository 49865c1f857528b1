-- 1: the whole schema, in the shape the SQLite backend reached with its migration 8.
-- Keys that are compared as ranges (arXiv ids, author name terms) use the "C" collation, so
-- ``prefix <= key < prefix || U+10FFFF`` is a byte-wise prefix scan whatever the database's
-- locale. Sorting mirrors SQLite, where NULL is the smallest value: DESC means NULLS LAST.

CREATE TABLE digests (
    date        date PRIMARY KEY,
    source      text NOT NULL,                 -- file name or URL last imported for it
    paper_count integer NOT NULL DEFAULT 0,
    imported_at timestamptz NOT NULL
);

CREATE TABLE papers (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    arxiv_id          text COLLATE "C" NOT NULL UNIQUE,
    title             text NOT NULL,
    url               text NOT NULL,
    authors_truncated boolean NOT NULL DEFAULT false,
    media_kind        text,
    media_url         text,
    summary           jsonb NOT NULL,            -- [[label or null, text], ...]
    content_date      date NOT NULL,             -- day whose digest gave title/summary/authors
    votes             integer,                   -- latest known votes (derived)
    best_votes        integer,                   -- highest votes on any day (derived)
    first_date        date,                      -- first appearance (derived)
    last_date         date,                      -- last appearance (derived)
    ai_summary        text,
    keywords          text[],
    github_repo       text,
    github_stars      integer,
    project_page      text,
    author_names      text[] NOT NULL DEFAULT '{}',  -- as listed, each person once
    -- The index form's tokens (storage.text), title weighted A and summary D: see
    -- storage/postgres/fulltext.py. Kept in the row (not TOASTed): read once per match.
    search            tsvector NOT NULL
);

ALTER TABLE papers ALTER COLUMN search SET STORAGE MAIN;

CREATE INDEX papers_search ON papers USING gin (search);

CREATE INDEX papers_best ON papers (best_votes DESC NULLS LAST, last_date DESC NULLS LAST, id)
    WHERE last_date IS NOT NULL;

CREATE INDEX papers_last ON papers (last_date DESC NULLS LAST, best_votes DESC NULLS LAST)
    WHERE last_date IS NOT NULL;

CREATE INDEX papers_url ON papers (url);

CREATE TABLE appearances (
    paper_id bigint NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    date     date NOT NULL REFERENCES digests (date) ON DELETE CASCADE,
    position integer NOT NULL,
    votes    integer,
    PRIMARY KEY (paper_id, date)
);

CREATE INDEX appearances_day ON appearances (date, votes DESC NULLS LAST, position, paper_id);

CREATE TABLE authors (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL,                   -- first spelling seen
    norm_key    text COLLATE "C" NOT NULL UNIQUE, -- storage.text.name_key(name)
    paper_count integer NOT NULL DEFAULT 0       -- derived, kept by the importer
);

CREATE INDEX authors_count ON authors (paper_count DESC, id);

CREATE TABLE author_terms (
    term      text COLLATE "C" NOT NULL,         -- the key and each word-suffix of it
    author_id bigint NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
    PRIMARY KEY (term, author_id)
);

CREATE INDEX author_terms_author ON author_terms (author_id);

CREATE TABLE paper_authors (
    paper_id  bigint NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    position  integer NOT NULL,
    author_id bigint NOT NULL REFERENCES authors (id),
    PRIMARY KEY (paper_id, position)
);

CREATE INDEX paper_authors_author ON paper_authors (author_id, paper_id);

-- The daily digest per server (storage/postgres/guilds.py).

CREATE TABLE guild_digests (
    guild_id      bigint PRIMARY KEY,
    channel_id    bigint NOT NULL,
    post_time     text NOT NULL,                 -- local HH:MM
    timezone      text NOT NULL,                 -- IANA name
    count         integer NOT NULL DEFAULT 10,
    enabled       boolean NOT NULL DEFAULT true,
    updated_at    timestamptz NOT NULL,
    last_error    text,                          -- an error code, never a sentence
    last_error_at timestamptz,
    language      text,                          -- posts' language ('ko'); NULL: guild_locale
    guild_locale  text                           -- the server's own, as of the last settings
);

CREATE TABLE digest_runs (
    guild_id    bigint NOT NULL,
    slot        date NOT NULL,                   -- local day of the scheduled post
    outcome     text NOT NULL
                CHECK (outcome IN ('sending', 'posted', 'skipped', 'failed')),
    digest_date date,                            -- the digest day posted or being sent
    detail      text,
    at          timestamptz NOT NULL,
    PRIMARY KEY (guild_id, slot)
);

CREATE TABLE digest_posts (
    guild_id    bigint NOT NULL,
    digest_date date NOT NULL,
    channel_id  bigint NOT NULL,
    message_ids bigint[] NOT NULL,
    slot        date,                            -- the scheduled slot, NULL for /digest now
    posted_at   timestamptz NOT NULL,
    PRIMARY KEY (guild_id, digest_date)
);

CREATE TABLE watched_files (
    path        text PRIMARY KEY,
    mtime_ns    bigint NOT NULL,
    size        bigint NOT NULL,
    sha256      text NOT NULL,
    imported_at timestamptz NOT NULL
);

-- Personal alerts (storage/postgres/alerts.py) and the import feed: every appearance inserted,
-- appended by a trigger inside the importing transaction.

CREATE TABLE alerts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       bigint NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('keywords', 'author')),
    query         text NOT NULL,
    match_key     text NOT NULL,
    created_at    timestamptz NOT NULL,
    seen_seq      bigint NOT NULL,
    paused_at     timestamptz,
    pause_noticed boolean NOT NULL DEFAULT false,
    language      text,                          -- the user's last command's; NULL: default
    UNIQUE (user_id, kind, match_key)
);

CREATE INDEX alerts_pending ON alerts (seen_seq) WHERE paused_at IS NULL;

CREATE TABLE alert_deliveries (
    alert_id bigint NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    paper_id bigint NOT NULL,
    sent_at  timestamptz NOT NULL,
    PRIMARY KEY (alert_id, paper_id)
);

CREATE TABLE import_feed (
    seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    paper_id bigint NOT NULL,
    date     date NOT NULL
);

-- The import clock: the newest feed position, moved in the importing transaction (imports take
-- turns on an advisory lock, so every feed row up to it is committed once it is).
CREATE TABLE feed_clock (
    position bigint NOT NULL
);

INSERT INTO feed_clock (position) VALUES (0);

CREATE FUNCTION appearances_feed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH added AS (
        INSERT INTO import_feed (paper_id, date) SELECT paper_id, date FROM inserted
        RETURNING seq)
    UPDATE feed_clock SET position = (SELECT max(seq) FROM added)
    WHERE EXISTS (SELECT 1 FROM added);
    RETURN NULL;
END $$;

-- Statement level: ``inserted`` holds the appearances really inserted (an ON CONFLICT update of
-- a day already listed adds nothing to the feed).
CREATE TRIGGER appearances_feed_ai AFTER INSERT ON appearances
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION appearances_feed();
