-- 5: the importer writes the index rows of new papers itself, from index forms it computes
-- ahead (in worker processes for large imports): the insert trigger goes. The update and
-- delete triggers stay, so changed or deleted papers are still re-indexed by SQL.

DROP TRIGGER papers_fts_ai;
