-- name: upsert :one
-- Insert a memory, or refresh the topics and updated_at of the one with the same id (the same
-- owner and text). created_at is the first insert's; the stored row is returned. :search_terms
-- are the text's and topics' index terms (genie_repo.stores.text_search.index_terms).
INSERT INTO memories (id, app_name, user_id, content, topics, search_terms, created_at,
                      updated_at)
VALUES (%(id)s, %(app_name)s, %(user_id)s, %(content)s, %(topics)s, %(search_terms)s,
        %(created_at)s, %(now)s)
ON CONFLICT (id) DO UPDATE
SET topics = excluded.topics,
    search_terms = excluded.search_terms,
    updated_at = excluded.updated_at,
    created_at = LEAST(memories.created_at, excluded.created_at)
RETURNING id, app_name, user_id, content, topics, created_at, updated_at;

-- name: find_for_update :opt
-- The memory being rewritten, locked until the transaction ends so concurrent rewrites queue.
SELECT id, app_name, user_id, content, topics, created_at, updated_at FROM memories
WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND id = %(id)s
FOR UPDATE;

-- name: delete :exec
DELETE FROM memories WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND id = %(id)s;

-- name: delete_all :exec
DELETE FROM memories WHERE app_name = %(app_name)s AND user_id = %(user_id)s;

-- name: evict_oldest :exec
-- Keep the owner's `keep` most recently updated memories, delete the rest.
DELETE FROM memories WHERE id IN (
    SELECT id FROM memories
    WHERE app_name = %(app_name)s AND user_id = %(user_id)s
    ORDER BY updated_at DESC, id DESC
    OFFSET %(keep)s
);

-- name: list_recent :many
-- Newest (most recently updated) first.
SELECT id, app_name, user_id, content, topics, created_at, updated_at FROM memories
WHERE app_name = %(app_name)s AND user_id = %(user_id)s
ORDER BY updated_at DESC, id DESC
LIMIT %(limit)s;

-- name: search :many
-- Ranked search within one owner. :needles is a JSON array of the query's words, each
-- {"text", "match", "whole"} from text_search.query_needles: `match` a tsquery of quoted
-- lexemes (user text is never tsquery syntax), `text` the word a matching memory's terms
-- contain, `whole` the pattern of a whole-word match. Every lookup is ANDed with the owner
-- lexeme, so the GIN index only yields the owner's rows. Each word's memories are counted up to
-- :common; a word in :common or more of them is too common to select by (a stop word, in
-- effect), so the search is OR over the other words, or AND over all when every word is common.
-- A word scores BM25-style (rarer words and shorter memories weigh more, b = idf x length
-- factor): 1 + b for a whole-word match, b / (1 + b) < 1 for a match inside a word, summed over
-- the words; the same formula as SQLite's. :topics is NULL or a JSON array: keep memories
-- having any of those topics.
WITH owner AS (
    SELECT ('''@' || md5(length(%(app_name)s::text)::text || ':' || %(app_name)s::text
                         || %(user_id)s::text) || '''')::tsquery AS tq
),
needles AS MATERIALIZED (
    SELECT n.i, n.value ->> 'text' AS text, n.value ->> 'match' AS match,
           n.value ->> 'whole' AS whole
    FROM jsonb_array_elements(%(needles)s::jsonb) WITH ORDINALITY AS n (value, i)
),
counted AS MATERIALIZED (
    SELECT n.i, n.text, n.match, n.whole,
           (SELECT count(*) FROM (
                SELECT 1 FROM memories AS m
                WHERE m.search @@ ((SELECT tq FROM owner) && n.match::tsquery)
                  AND strpos(m.search_terms, n.text) > 0
                LIMIT %(common)s) AS p) AS df
    FROM needles AS n
),
mode AS (
    SELECT NOT EXISTS (SELECT 1 FROM counted WHERE df < %(common)s) AS all_common
),
chosen AS MATERIALIZED (
    SELECT * FROM counted WHERE df < %(common)s OR (SELECT all_common FROM mode)
),
query AS (
    SELECT (SELECT tq FROM owner) &&
           string_agg('(' || match || ')',
                      CASE WHEN (SELECT all_common FROM mode) THEN ' & ' ELSE ' | ' END
                      ORDER BY i)::tsquery AS tsq
    FROM chosen
),
candidates AS MATERIALIZED (
    SELECT m.id, m.search_terms, length(m.content)::float8 AS len
    FROM memories AS m
    WHERE m.search @@ (SELECT tsq FROM query)
      AND m.app_name = %(app_name)s AND m.user_id = %(user_id)s
      AND (%(topics)s::text IS NULL
           OR m.topics::jsonb ?| ARRAY(SELECT jsonb_array_elements_text(%(topics)s::jsonb)))
),
hits AS MATERIALIZED (
    SELECT c.id, c.len, n.df,
           strpos(' ' || c.search_terms || ' ', n.whole) > 0 AS whole
    FROM candidates AS c JOIN chosen AS n ON strpos(c.search_terms, n.text) > 0
),
weighed AS (
    SELECT h.id, h.whole,
           ln(1 + (%(common)s - h.df + 0.5) / (h.df + 0.5))
           * 2.2 / (1 + 1.2 * (0.25 + 0.75 * h.len / (SELECT avg(len) FROM candidates))) AS b
    FROM hits AS h
),
scores AS (
    SELECT id, sum(CASE WHEN whole THEN 1 + b ELSE b / (1 + b) END)::float8 AS score
    FROM weighed
    GROUP BY id
    HAVING count(*) >= CASE WHEN (SELECT all_common FROM mode)
                            THEN (SELECT count(*) FROM chosen) ELSE 1 END
)
SELECT m.id, m.app_name, m.user_id, m.content, m.topics, m.created_at, m.updated_at, s.score
FROM scores AS s
JOIN memories AS m USING (id)
ORDER BY s.score DESC, m.updated_at DESC, m.id
LIMIT %(limit)s;
