-- 10: papers_last goes (issue 12: import speed). Its order (last_date, then best_votes) is the
-- one papers_newest_order (migration 7: last_date, votes, id) gives up to its second column,
-- and its only reader, the newest papers offered by an empty paper autocomplete, reads them
-- from that index with an incremental sort of one day's papers; every paper written by an
-- import wrote this index too.
DROP INDEX papers_last;
