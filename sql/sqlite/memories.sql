-- name: upsert :one
-- Insert a memory, or refresh the topics and updated_at of the one with the same id (the same
-- owner and text). created_at is the first insert's; the stored row is returned.
INSERT INTO memories (id, app_name, user_id, content, topics, created_at, updated_at)
VALUES (:id, :app_name, :user_id, :content, :topics, :created_at, :now)
ON CONFLICT (id) DO UPDATE
SET topics = excluded.topics,
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
-- Ranked full-text search within one owner. :match is a JSON array of FTS5 phrases the store
-- built from quoted words only ('"tea"', '"coffee"'), so user text is never FTS syntax; they
-- look in content and topics only. Each phrase is ANDed with the owner token (the index
-- triggers' expression) and counted up to
-- :common; a word in :common or more of the owner's memories is too common to select by (like a
-- stop word), so the search is OR over the other words, or AND over all when every word is
-- common. bm25 is negated so a higher score is a better hit; the owner column weighs nothing.
-- :topics is NULL or a JSON array: keep memories having any of those topics.
WITH owner (token) AS (
    SELECT 'owner : "' || hex(:app_name) || 'x' || hex(:user_id) || '"'
),
words AS MATERIALIZED (
    SELECT w.value AS phrase,
           (SELECT count(*) FROM (
                SELECT 1 FROM memories_fts
                WHERE memories_fts MATCH
                    ((SELECT token FROM owner) || ' AND {content topics} : ' || w.value)
                LIMIT :common)) AS df
    FROM json_each(:match) AS w
),
expression (text) AS (
    SELECT (SELECT token FROM owner) || ' AND {content topics} : (' ||
           CASE WHEN min(df) < :common
                THEN group_concat(CASE WHEN df < :common THEN phrase END, ' OR ')
                ELSE group_concat(phrase, ' AND ') END || ')'
    FROM words
)
SELECT m.id, m.app_name, m.user_id, m.content, m.topics, m.created_at, m.updated_at,
       -bm25(memories_fts, 1.0, 1.0, 0.0) AS score
FROM memories_fts
JOIN memories AS m ON m.rid = memories_fts.rowid
WHERE memories_fts MATCH (SELECT text FROM expression)
  AND m.app_name = :app_name AND m.user_id = :user_id
  AND (:topics IS NULL OR EXISTS (
        SELECT 1 FROM json_each(m.topics) AS t
        WHERE t.value IN (SELECT value FROM json_each(:topics))))
ORDER BY score DESC, m.updated_at DESC, m.id
LIMIT :limit;
