-- 9: the author links lose their foreign keys (issue 12: import speed). A foreign key checks
-- each inserted link on its own: a lookup of its paper and of its author, each row locked FOR
-- KEY SHARE (in the savepoints of an import batch, an author locked by an earlier file gets a
-- MultiXact), a fifth to two fifths of an import's server time. Links are only written by the
-- importer (storage/postgres/importing.py), with the ids the same transaction got back from
-- its papers' upsert and its authors' lookup, under the import lock; papers are never deleted,
-- and authors only by the importer, once no link is left (their paper count reached 0). (A
-- statement-level check of the inserted links, an index probe each, cost half of what dropping
-- the keys saved: not kept.) What the keys did on delete is kept by statement-level triggers,
-- which cost an import nothing:
-- - a paper deleted: its links go with it (the ON DELETE CASCADE of before);
-- - an author deleted while still linked: refused (the NO ACTION of before).

ALTER TABLE paper_authors DROP CONSTRAINT paper_authors_paper_id_fkey,
                          DROP CONSTRAINT paper_authors_author_id_fkey;

CREATE FUNCTION papers_delete_links() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM paper_authors pa USING deleted d WHERE pa.paper_id = d.id;
    RETURN NULL;
END $$;

CREATE TRIGGER papers_delete_links_ad AFTER DELETE ON papers
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION papers_delete_links();

CREATE FUNCTION authors_delete_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    linked record;
BEGIN
    -- A scalar subquery per deleted author: an index probe of paper_authors_author each (a
    -- transition table has no statistics, and a join may be planned as a scan of every link).
    SELECT s.author_id, s.paper_id INTO linked
    FROM (SELECT d.id AS author_id,
                 (SELECT pa.paper_id FROM paper_authors pa WHERE pa.author_id = d.id LIMIT 1)
                     AS paper_id
          FROM deleted d OFFSET 0) AS s
    WHERE s.paper_id IS NOT NULL
    LIMIT 1;
    IF FOUND THEN
        RAISE foreign_key_violation USING
            MESSAGE = format('author %s is still linked to paper %s',
                             linked.author_id, linked.paper_id),
            TABLE = 'authors';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER authors_delete_check_ad AFTER DELETE ON authors
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION authors_delete_check();
