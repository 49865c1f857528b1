-- 9: author keys (storage.text.name_key) now spell in ASCII the Latin letters that decomposition
-- leaves alone (ł ø đ æ ı ...: "stypulkowski" finds Stypułkowski). Every author, author term and
-- author alert is keyed again with the new key, computed by the SQL function papers_name_key_v2
-- and papers_name_terms_v2
-- (name_key and name_terms as JSON, registered by the store). Authors whose keys now meet become one, the first
-- stored (lowest id) keeping its name: their paper links move to it (a paper listing two of them
-- keeps the first, its later positions close up and its author_names drop that name), and
-- paper_count is counted again. A user's author alerts that now meet become the oldest one,
-- keeping what either sent.

CREATE TEMP TABLE author_rekey (
            id     INTEGER PRIMARY KEY,
            key    TEXT NOT NULL,
            keeper INTEGER
        );

INSERT INTO author_rekey(id, key) SELECT id, papers_name_key_v2(name) FROM authors;

CREATE INDEX temp.author_rekey_key ON author_rekey(key, id);

UPDATE author_rekey SET keeper = (
               SELECT min(r.id) FROM author_rekey r WHERE r.key = author_rekey.key);

-- The links that would repeat a person on one paper: all but the first position.
CREATE TEMP TABLE dropped_links AS
    SELECT pa.paper_id, pa.position FROM paper_authors pa JOIN author_rekey r ON r.id = pa.author_id
    WHERE r.keeper IN (SELECT keeper FROM author_rekey WHERE keeper <> id)
      AND pa.position > (SELECT min(p2.position) FROM paper_authors p2
                         JOIN author_rekey r2 ON r2.id = p2.author_id
                         WHERE p2.paper_id = pa.paper_id AND r2.keeper = r.keeper);

UPDATE papers SET author_names = (
               SELECT json_group_array(value) FROM (
                   SELECT j.value FROM json_each(papers.author_names) j
                   WHERE j.key + 1 NOT IN (SELECT d.position FROM dropped_links d
                                           WHERE d.paper_id = papers.id)
                   ORDER BY j.key))
    WHERE id IN (SELECT paper_id FROM dropped_links);

DELETE FROM paper_authors
    WHERE (paper_id, position) IN (SELECT paper_id, position FROM dropped_links);

-- Close up the positions of those papers (negated first: the primary key holds at every row).
CREATE TEMP TABLE new_positions AS
    SELECT paper_id, position AS old,
           row_number() OVER (PARTITION BY paper_id ORDER BY position) AS new
    FROM paper_authors WHERE paper_id IN (SELECT paper_id FROM dropped_links);

UPDATE paper_authors SET position = -position
    WHERE paper_id IN (SELECT paper_id FROM dropped_links);

UPDATE paper_authors SET position = (
               SELECT n.new FROM new_positions n
               WHERE n.paper_id = paper_authors.paper_id AND n.old = -paper_authors.position)
    WHERE position < 0;

UPDATE paper_authors SET author_id = (SELECT keeper FROM author_rekey WHERE id = author_id)
    WHERE author_id IN (SELECT id FROM author_rekey WHERE keeper <> id);

DELETE FROM authors WHERE id IN (SELECT id FROM author_rekey WHERE keeper <> id);

-- New keys in two steps, so no row ever takes a key another still holds.
UPDATE authors SET norm_key = '#' || id;

UPDATE authors SET norm_key = (SELECT key FROM author_rekey WHERE author_rekey.id = authors.id);

UPDATE authors SET paper_count = (
               SELECT count(DISTINCT paper_id) FROM paper_authors WHERE author_id = authors.id);

DELETE FROM author_terms;

INSERT INTO author_terms(term, author_id)
    SELECT DISTINCT t.value, a.id FROM authors a, json_each(papers_name_terms_v2(a.norm_key)) t;

-- Author alerts: the oldest of a user's alerts that now meet keeps the deliveries of the others.
CREATE TEMP TABLE alert_rekey AS
    SELECT id, user_id, papers_name_key_v2(match_key) AS key FROM alerts WHERE kind = 'author';

CREATE TEMP TABLE alert_keeper AS
    SELECT r.id, (SELECT min(r2.id) FROM alert_rekey r2
                  WHERE r2.user_id = r.user_id AND r2.key = r.key) AS keeper
    FROM alert_rekey r;

INSERT OR IGNORE INTO alert_deliveries(alert_id, paper_id, sent_at)
    SELECT k.keeper, d.paper_id, d.sent_at FROM alert_deliveries d
    JOIN alert_keeper k ON k.id = d.alert_id WHERE k.keeper <> k.id;

DELETE FROM alerts WHERE id IN (SELECT id FROM alert_keeper WHERE keeper <> id);

UPDATE alerts SET match_key = '#' || id WHERE id IN (SELECT id FROM alert_rekey);

UPDATE alerts SET match_key = (SELECT key FROM alert_rekey WHERE alert_rekey.id = alerts.id)
    WHERE id IN (SELECT id FROM alert_rekey);

DROP TABLE author_rekey;

DROP TABLE dropped_links;

DROP TABLE new_positions;

DROP TABLE alert_rekey;

DROP TABLE alert_keeper;
