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
-- lexeme, so the GIN index only yields the owner's rows; the tsvector expression is the
-- index's own (idx_memories_search), written out so the planner matches it. Each word's
-- memories are counted up to :common; a word in :common or more of them is too common to
-- select by (a stop word, in effect), so the search is OR over the other words, or AND over
-- all when every word is common (a lone word is not counted: there is nothing to choose).
-- A word scores BM25-style (rarer words and shorter memories weigh more, b = idf x length
-- factor): 1 + b for a whole-word match, b / (1 + b) < 1 for a match inside a word, summed
-- over the words; the same formula as SQLite uses. :topics is NULL or a JSON array: keep
-- memories having any of those topics.
WITH owner AS (
    SELECT ('''@' || md5(length(%(app_name)s::text)::text || ':' || %(app_name)s::text
                         || %(user_id)s::text) || '''')::tsquery AS tq
),
needles AS MATERIALIZED (
    SELECT n.i, n.value ->> 'text' AS text, n.value ->> 'match' AS match,
           n.value ->> 'whole' AS whole
    FROM jsonb_array_elements(%(needles)s::jsonb) WITH ORDINALITY AS n (value, i)
    LIMIT 32  -- text_search.MAX_NEEDLES (also keeps the cost estimate of the plan small)
),
counted AS MATERIALIZED (
    SELECT n.i, n.text, n.match, n.whole,
           CASE WHEN (SELECT count(*) FROM needles) = 1 THEN 0 ELSE (SELECT count(*) FROM (
                SELECT 1 FROM memories AS m
                WHERE (array_to_tsvector(string_to_array(m.search_terms, ' '))
                   || array_to_tsvector(ARRAY['@' || md5(length(m.app_name)::text || ':'
                                                         || m.app_name || m.user_id)]))
                      @@ ((SELECT tq FROM owner) && n.match::tsquery)
                  AND strpos(m.search_terms, n.text) > 0
                LIMIT %(common)s) AS p) END AS df
    FROM needles AS n
),
mode AS (
    SELECT NOT EXISTS (SELECT 1 FROM counted WHERE df < %(common)s) AS all_common
),
chosen AS MATERIALIZED (
    SELECT i, text, match, whole,
           ln(1 + (%(common)s - df + 0.5)::float8 / (df + 0.5)::float8) AS idf
    FROM counted WHERE df < %(common)s OR (SELECT all_common FROM mode)
),
query AS (
    SELECT (SELECT tq FROM owner) &&
           string_agg('(' || match || ')',
                      CASE WHEN (SELECT all_common FROM mode) THEN ' & ' ELSE ' | ' END
                      ORDER BY i)::tsquery AS tsq
    FROM chosen
),
candidates AS MATERIALIZED (
    SELECT m.id, m.app_name, m.user_id, m.updated_at, m.search_terms,
           length(m.content)::float8 AS len
    FROM memories AS m
    WHERE (array_to_tsvector(string_to_array(m.search_terms, ' '))
           || array_to_tsvector(ARRAY['@' || md5(length(m.app_name)::text || ':'
                                                 || m.app_name || m.user_id)]))
          @@ (SELECT tsq FROM query)
      AND (%(topics)s::text IS NULL
           OR m.topics::jsonb ?| ARRAY(SELECT jsonb_array_elements_text(%(topics)s::jsonb)))
),
stats AS MATERIALIZED (SELECT avg(len) AS avg_len FROM candidates),
hits AS (
    SELECT c.id, c.updated_at, n.idf * 2.2
               / (1 + 1.2 * (0.25 + 0.75 * c.len / (SELECT avg_len FROM stats))) AS b,
           strpos(' ' || c.search_terms || ' ', n.whole) > 0 AS whole
    FROM candidates AS c JOIN chosen AS n ON strpos(c.search_terms, n.text) > 0
    -- the owner lexeme already scoped the index lookup; this makes it exact
    WHERE c.app_name = %(app_name)s AND c.user_id = %(user_id)s
),
best AS (
    SELECT id, updated_at, sum(CASE WHEN whole THEN 1 + b ELSE b / (1 + b) END) AS score
    FROM hits
    GROUP BY id, updated_at
    HAVING count(*) >= CASE WHEN (SELECT all_common FROM mode)
                            THEN (SELECT count(*) FROM chosen) ELSE 1 END
    ORDER BY score DESC, updated_at DESC, id
    LIMIT %(limit)s
)
SELECT m.id, m.app_name, m.user_id, m.content, m.topics, m.created_at, m.updated_at, b.score
FROM best AS b
JOIN memories AS m USING (id)
ORDER BY b.score DESC, b.updated_at DESC, b.id;
