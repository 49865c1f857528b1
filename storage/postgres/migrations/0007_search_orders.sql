-- 4: searches sorted by votes or by recency walk these indexes and stop after a page, instead
-- of reading and sorting every match of a common word (44,000-85,000 rows at 100k papers).
CREATE INDEX papers_votes_order ON papers (votes DESC NULLS LAST, last_date DESC NULLS LAST, id DESC);
CREATE INDEX papers_newest_order ON papers (last_date DESC NULLS LAST, votes DESC NULLS LAST, id DESC);
