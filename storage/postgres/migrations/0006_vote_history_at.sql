-- 4: vote history by moment, for the papers whose votes rose in a range (/top rising,
-- storage/postgres/research.py).

CREATE INDEX vote_history_at ON vote_history (at, paper_id);
