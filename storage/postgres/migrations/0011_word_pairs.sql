-- 11: every paper's search document also holds each two neighbouring non-Hangul words of its
-- title, or of its summary, as one lexeme, 'language models' at the first word's position
-- (storage/tsvector.py; issue 12: an English phrase took 3-4x SQLite's time, checked paper by
-- paper because GIN keeps no positions; its pairs are lookups in the index). New documents are
-- built with their pairs; this adds them to the stored ones from the words and positions
-- already there: two words are neighbours when their positions follow each other (the gap
-- between title and summary keeps a title's last word from pairing with the summary's first).
-- No word has a space, so a pair is never a word. The pairs join the document as text: the
-- tsvector || operator would shift their positions past the document's last one. Every paper
-- with a pair is rewritten once (36 s at 100k papers on 2 cores).
UPDATE papers p SET search = CAST(p.search::text || ' ' || d.pairs AS tsvector)
FROM (
    SELECT q.id,
           (SELECT string_agg(
                       '''' || replace(replace(w.lexeme || ' ' || w.next_lexeme, '\', '\\'),
                                       '''', '''''') || ''':' || w.pos || w.weight,
                       ' ')
            FROM (SELECT u.lexeme, e.pos, e.weight,
                         lead(u.lexeme) OVER o AS next_lexeme, lead(e.pos) OVER o AS next_pos
                  FROM unnest(q.search) AS u(lexeme, positions, weights),
                       unnest(u.positions, u.weights) AS e(pos, weight)
                  WHERE u.lexeme !~ '^[가-힣]'
                  WINDOW o AS (ORDER BY e.pos)) AS w
            WHERE w.next_pos = w.pos + 1
              AND octet_length(w.lexeme) + octet_length(w.next_lexeme) < 2046) AS pairs
    FROM papers q
) AS d
WHERE d.id = p.id AND d.pairs IS NOT NULL;
