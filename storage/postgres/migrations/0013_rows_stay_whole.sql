-- 13: a paper's row is compressed (or moved out of line) only when it would not fit a page.
-- A row holds its document (about 2.5 kB in the row, migration 1), so nearly every row is over
-- the default 2 kB target, and PostgreSQL tried to compress its summary and document on every
-- insert and update: 4% of an import's CPU, and 97% of rows came out no smaller (issue 12:
-- 2,902 papers/s without this, 3,023 with it, alternated runs at 100k papers). A row of more
-- than a page is still compressed, and moved out of line when it must.
ALTER TABLE papers SET (toast_tuple_target = 8160);
