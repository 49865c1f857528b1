-- 6: each paper keeps the names of its authors as listed (JSON array, each person once, the
-- same people paper_authors links, in order), so a page of papers is read without a
-- lookup per author. Filled here for papers stored before.

ALTER TABLE papers ADD COLUMN author_names TEXT;

UPDATE papers SET author_names = (
               SELECT json_group_array(name) FROM (
                   SELECT a.name FROM paper_authors pa JOIN authors a ON a.id = pa.author_id
                   WHERE pa.paper_id = papers.id ORDER BY pa.position));
