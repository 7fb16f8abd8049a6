-- name: upsert :one
-- Insert a memory, or refresh the topics and updated_at of the one with the same id (the same
-- owner and text). created_at is the first insert's; the stored row is returned. :search_terms
-- are the text's and topics' index terms (genie_repo.stores.text_search.index_terms).
INSERT INTO memories (id, app_name, user_id, content, topics, search_terms, created_at,
                      updated_at)
VALUES (:id, :app_name, :user_id, :content, :topics, :search_terms, :created_at, :now)
ON CONFLICT (id) DO UPDATE
SET topics = excluded.topics,
    search_terms = excluded.search_terms,
    updated_at = excluded.updated_at,
    created_at = min(memories.created_at, excluded.created_at)
RETURNING id, app_name, user_id, content, topics, created_at, updated_at;

-- name: find_for_update :opt
-- The memory being rewritten (the write transaction already holds SQLite's write lock).
SELECT id, app_name, user_id, content, topics, created_at, updated_at FROM memories
WHERE app_name = :app_name AND user_id = :user_id AND id = :id;

-- name: delete :exec
DELETE FROM memories WHERE app_name = :app_name AND user_id = :user_id AND id = :id;

-- name: delete_all :exec
DELETE FROM memories WHERE app_name = :app_name AND user_id = :user_id;

-- name: evict_oldest :exec
-- Keep the owner's `keep` most recently updated memories, delete the rest.
DELETE FROM memories WHERE rid IN (
    SELECT rid FROM memories
    WHERE app_name = :app_name AND user_id = :user_id
    ORDER BY updated_at DESC, id DESC
    LIMIT -1 OFFSET :keep
);

-- name: list_recent :many
-- Newest (most recently updated) first.
SELECT id, app_name, user_id, content, topics, created_at, updated_at FROM memories
WHERE app_name = :app_name AND user_id = :user_id
ORDER BY updated_at DESC, id DESC
LIMIT :limit;

-- name: search :many
-- Ranked search within one owner. :needles is a JSON array of the query's words, each
-- {"text", "match", "whole"} from text_search.query_needles: `match` an FTS5 expression of
-- quoted terms (user text is never FTS syntax), `text` the word a matching memory's terms
-- contain, `whole` the pattern of a whole-word match. Every lookup is ANDed with the owner
-- token, so the index only visits the owner's rows. Each word's memories are counted up to
-- :common; a word in :common or more of them is too common to select by (a stop word, in
-- effect), so the search is OR over the other words, or AND over all when every word is common.
-- A word scores BM25-style (rarer words and shorter memories weigh more, b = idf x length
-- factor): 1 + b for a whole-word match, b / (1 + b) < 1 for a match inside a word, summed over
-- the words. :topics is NULL or a JSON array: keep memories having any of those topics.
WITH owner (token) AS (
    SELECT '"' || hex(:app_name) || 'x' || hex(:user_id) || '"'
),
needles AS MATERIALIZED (
    SELECT n.key AS i, n.value ->> '$.text' AS text, n.value ->> '$.match' AS match,
           n.value ->> '$.whole' AS whole
    FROM json_each(:needles) AS n
),
counted AS MATERIALIZED (
    SELECT n.i, n.text, n.match, n.whole,
           (SELECT count(*) FROM (
                SELECT 1 FROM memories_search AS f JOIN memories AS m ON m.rid = f.rowid
                WHERE memories_search MATCH ((SELECT token FROM owner) || ' AND ' || n.match)
                  AND instr(m.search_terms, n.text) > 0
                LIMIT :common)) AS df
    FROM needles AS n
),
mode (all_common) AS (
    SELECT NOT EXISTS (SELECT 1 FROM counted WHERE df < :common)
),
chosen AS MATERIALIZED (
    SELECT * FROM counted WHERE df < :common OR (SELECT all_common FROM mode)
),
expression (text) AS (
    SELECT (SELECT token FROM owner) || ' AND (' ||
           group_concat('(' || match || ')',
                        CASE WHEN (SELECT all_common FROM mode) THEN ' AND ' ELSE ' OR ' END)
           || ')'
    FROM chosen
),
candidates AS MATERIALIZED (
    SELECT m.rid, m.search_terms, length(m.content) AS len
    FROM memories_search AS f
    JOIN memories AS m ON m.rid = f.rowid
    WHERE memories_search MATCH (SELECT text FROM expression)
      AND m.app_name = :app_name AND m.user_id = :user_id
      AND (:topics IS NULL OR EXISTS (
            SELECT 1 FROM json_each(m.topics) AS t
            WHERE t.value IN (SELECT value FROM json_each(:topics))))
),
hits AS MATERIALIZED (
    SELECT c.rid, c.len, n.df,
           instr(' ' || c.search_terms || ' ', n.whole) > 0 AS whole
    FROM candidates AS c JOIN chosen AS n ON instr(c.search_terms, n.text) > 0
),
weighed AS (
    SELECT h.rid, h.whole,
           ln(1 + (:common - h.df + 0.5) / (h.df + 0.5))
           * 2.2 / (1 + 1.2 * (0.25 + 0.75 * h.len / (SELECT avg(len) FROM candidates))) AS b
    FROM hits AS h
),
scores AS (
    SELECT rid, sum(CASE WHEN whole THEN 1 + b ELSE b / (1 + b) END) AS score
    FROM weighed
    GROUP BY rid
    HAVING count(*) >= CASE WHEN (SELECT all_common FROM mode)
                            THEN (SELECT count(*) FROM chosen) ELSE 1 END
)
SELECT m.id, m.app_name, m.user_id, m.content, m.topics, m.created_at, m.updated_at, s.score
FROM scores AS s
JOIN memories AS m ON m.rid = s.rid
ORDER BY s.score DESC, m.updated_at DESC, m.id
LIMIT :limit;
