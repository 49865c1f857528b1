-- 12: the title's words have a GIN index of their own (the lexemes of weight A of each paper's
-- document), for paper suggestions. The document's index cannot tell a title word from a
-- summary word, so a title word held by many summaries and few titles was checked paper by
-- paper (issue 12: 모델 typed into the paper autocomplete read all 100k papers to find no
-- title holding it, 160 ms, against 0.2 ms through this index; storage/postgres/papers.py,
-- suggest_papers).
CREATE INDEX IF NOT EXISTS papers_title_search ON papers USING gin (ts_filter(search, '{a}'));
