-- name: upsert :one
-- Insert a memory, or refresh the topics and updated_at of the one with the same id (the same
-- owner and text). created_at is the first insert's; the stored row is returned.
INSERT INTO memories (id, app_name, user_id, content, topics, created_at, updated_at)
VALUES (%(id)s, %(app_name)s, %(user_id)s, %(content)s, %(topics)s, %(created_at)s, %(now)s)
ON CONFLICT (id) DO UPDATE
SET topics = excluded.topics,
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
-- Ranked full-text search within one owner. :match is plain words (the store drops everything
-- else); they are split and lower-cased exactly as the indexed text, and each becomes a quoted
-- lexeme, so user text is never tsquery syntax. The owner lexeme (the generated column's
-- expression) lets the GIN index skip other owners' rows. Each word's memories are counted up to :common; a word in :common or more
-- of the owner's memories is too common to select by (like a stop word), so the search is OR
-- over the other words, or AND over all when every word is common. ts_rank has no notion of a
-- rare word, so the score is BM25 (k1 = 1.2, b = 0.75, a word counted once per memory) with
-- document frequencies taken over the matching memories, as SQLite's bm25 ranks.
-- :topics is NULL or a JSON array: keep memories having any of those topics.
WITH owner AS (
    SELECT ('''@' || md5(length(%(app_name)s::text)::text || ':' || %(app_name)s::text
                         || %(user_id)s::text) || '''')::tsquery AS tq
),
lexemes AS (
    SELECT lexeme,
           ('''' || replace(replace(lexeme, '\', '\\'), '''', '''''') || '''')::tsquery AS tq
    FROM (SELECT DISTINCT unnest(tsvector_to_array(to_tsvector('simple'::regconfig,
              regexp_replace(%(match)s::text, '[^[:alnum:]]+', ' ', 'g'))))) AS w (lexeme)
),
counted AS MATERIALIZED (
    SELECT l.lexeme, l.tq,
           (SELECT count(*) FROM (
                SELECT 1 FROM memories AS m
                WHERE m.search @@ ((SELECT tq FROM owner) && l.tq)
                LIMIT %(common)s) AS p) AS df
    FROM lexemes AS l
),
words AS MATERIALIZED (
    SELECT lexeme, tq FROM counted
    WHERE df < %(common)s OR NOT EXISTS (SELECT 1 FROM counted WHERE df < %(common)s)
),
query AS (
    SELECT (SELECT tq FROM owner) &&
           CASE WHEN EXISTS (SELECT 1 FROM counted WHERE df < %(common)s)
                THEN string_agg(tq::text, ' | ') ELSE string_agg(tq::text, ' & ') END::tsquery
           AS tsq
    FROM words
),
candidates AS MATERIALIZED (
    SELECT m.id, m.updated_at, m.search, length(m.search)::float8 AS len
    FROM memories AS m
    WHERE m.search @@ (SELECT tsq FROM query)
      AND m.app_name = %(app_name)s AND m.user_id = %(user_id)s
      AND (%(topics)s::text IS NULL
           OR m.topics::jsonb ?| ARRAY(SELECT jsonb_array_elements_text(%(topics)s::jsonb)))
),
hits AS MATERIALIZED (
    SELECT c.id, c.len, w.lexeme FROM candidates AS c JOIN words AS w ON c.search @@ w.tq
),
stats AS MATERIALIZED (SELECT count(*)::float8 AS n, avg(len) AS avg_len FROM candidates),
frequency AS MATERIALIZED (SELECT lexeme, count(*)::float8 AS df FROM hits GROUP BY lexeme),
scores AS (
    SELECT h.id,
           sum(ln(1 + (s.n - f.df + 0.5) / (f.df + 0.5))
               * 2.2 / (1 + 1.2 * (0.25 + 0.75 * h.len / s.avg_len))) AS score
    FROM hits AS h JOIN frequency AS f USING (lexeme) CROSS JOIN stats AS s
    GROUP BY h.id
),
best AS (
    SELECT sc.id, sc.score, c.updated_at
    FROM scores AS sc JOIN candidates AS c USING (id)
    ORDER BY sc.score DESC, c.updated_at DESC, sc.id
    LIMIT %(limit)s
)
SELECT m.id, m.app_name, m.user_id, m.content, m.topics, m.created_at, m.updated_at, b.score
FROM best AS b JOIN memories AS m USING (id)
ORDER BY b.score DESC, b.updated_at DESC, b.id;
