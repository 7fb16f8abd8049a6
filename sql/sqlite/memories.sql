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
-- effect), so the search is OR over the other words, or AND over all when every word is
-- common (a lone word is not counted: there is nothing to choose). A word scores BM25-style
-- (rarer words and shorter memories weigh more, b = idf x length factor): 1 + b for a
-- whole-word match, b / (1 + b) < 1 for a match inside a word, summed over the words; the
-- same formula as PostgreSQL uses. :topics is NULL or a JSON array: keep memories having any
-- of those topics.
WITH owner (token) AS (
    SELECT '"' || hex(:app_name) || 'x' || hex(:user_id) || '"'
),
needles AS MATERIALIZED (
    SELECT n.key AS i, n.value ->> '$.text' AS text, n.value ->> '$.match' AS match,
           n.value ->> '$.whole' AS whole
    FROM json_each(:needles) AS n
    LIMIT 32  -- text_search.MAX_NEEDLES
),
counted AS MATERIALIZED (
    SELECT n.i, n.text, n.match, n.whole,
           CASE WHEN (SELECT count(*) FROM needles) = 1 THEN 0 ELSE (SELECT count(*) FROM (
                SELECT 1 FROM memories_search AS f JOIN memories AS m ON m.rid = f.rowid
                WHERE memories_search MATCH ((SELECT token FROM owner) || ' AND ' || n.match)
                  AND instr(m.search_terms, n.text) > 0
                LIMIT :common)) END AS df
    FROM needles AS n
),
mode (all_common) AS (
    SELECT NOT EXISTS (SELECT 1 FROM counted WHERE df < :common)
),
chosen AS MATERIALIZED (
    SELECT i, text, match, whole, ln(1 + (:common - df + 0.5) / (df + 0.5)) AS idf
    FROM counted WHERE df < :common OR (SELECT all_common FROM mode)
),
expression (text) AS (
    SELECT (SELECT token FROM owner) || ' AND (' ||
           group_concat('(' || match || ')',
                        CASE WHEN (SELECT all_common FROM mode) THEN ' AND ' ELSE ' OR ' END)
           || ')'
    FROM chosen
),
candidates AS MATERIALIZED (
    SELECT m.rid, m.app_name, m.user_id, m.updated_at, m.id, m.search_terms,
           length(m.content) AS len
    FROM memories_search AS f
    JOIN memories AS m ON m.rid = f.rowid
    WHERE memories_search MATCH (SELECT text FROM expression)
      AND (:topics IS NULL OR EXISTS (
            SELECT 1 FROM json_each(m.topics) AS t
            WHERE t.value IN (SELECT value FROM json_each(:topics))))
),
stats AS MATERIALIZED (SELECT avg(len) AS avg_len FROM candidates),
hits AS (
    SELECT c.rid, c.updated_at, c.id, n.idf * 2.2
               / (1 + 1.2 * (0.25 + 0.75 * c.len / (SELECT avg_len FROM stats))) AS b,
           instr(' ' || c.search_terms || ' ', n.whole) > 0 AS whole
    FROM candidates AS c JOIN chosen AS n ON instr(c.search_terms, n.text) > 0
    -- the owner token already scoped the index lookup; this makes it exact
    WHERE c.app_name = :app_name AND c.user_id = :user_id
),
best AS (
    SELECT rid, updated_at, id, sum(CASE WHEN whole THEN 1 + b ELSE b / (1 + b) END) AS score
    FROM hits
    GROUP BY rid
    HAVING count(*) >= CASE WHEN (SELECT all_common FROM mode)
                            THEN (SELECT count(*) FROM chosen) ELSE 1 END
    ORDER BY score DESC, updated_at DESC, id
    LIMIT :limit
)
SELECT m.id, m.app_name, m.user_id, m.content, m.topics, m.created_at, m.updated_at, b.score
FROM best AS b
JOIN memories AS m ON m.rid = b.rid
ORDER BY b.score DESC, b.updated_at DESC, b.id;
