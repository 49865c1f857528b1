-- 12: a search sorted by votes or by recency that matches many papers walks these indexes and
-- stops after a page (storage/sqlite/search.py), instead of sorting every match of a common
-- word (44,000-85,000 rows at 100k papers).
CREATE INDEX papers_votes_order ON papers(votes DESC, last_date DESC, id DESC);
CREATE INDEX papers_newest_order ON papers(last_date DESC, votes DESC, id DESC);
