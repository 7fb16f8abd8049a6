-- name: find :opt
-- A live item (expired ones are invisible before any sweep).
SELECT value::text AS value, created_at, updated_at, ttl_minutes FROM store_items
WHERE ns = %(ns)s AND key = %(key)s AND (expires_at IS NULL OR expires_at > %(now)s);

-- name: refresh :batch
-- Extend a live item's expiry by its own ttl (computed by the store); never revives one.
UPDATE store_items SET expires_at = %(expires_at)s
WHERE ns = %(ns)s AND key = %(key)s AND ttl_minutes IS NOT NULL AND expires_at > %(now)s;

-- name: upsert :batch
-- Write an item and register its namespace, in one round trip. The namespace row is updated in
-- place (not skipped) so this transaction holds its lock: a concurrent sweep of empty
-- namespaces (SKIP LOCKED) cannot drop it before the item commits. created_at is kept while
-- the previous item is live.
WITH namespace AS (
    INSERT INTO store_namespaces (ns, rns, labels, depth)
    VALUES (%(ns)s, %(rns)s, %(labels)s::jsonb, %(depth)s)
    ON CONFLICT (ns) DO UPDATE SET depth = excluded.depth
)
INSERT INTO store_items (ns, key, value, search_text, created_at, updated_at, expires_at,
                         ttl_minutes)
VALUES (%(ns)s, %(key)s, %(value)s::jsonb, %(search_text)s, %(now)s, %(now)s, %(expires_at)s,
        %(ttl_minutes)s)
ON CONFLICT (ns, key) DO UPDATE
SET value = excluded.value,
    search_text = excluded.search_text,
    updated_at = excluded.updated_at,
    expires_at = excluded.expires_at,
    ttl_minutes = excluded.ttl_minutes,
    created_at = CASE WHEN store_items.expires_at IS NOT NULL
                           AND store_items.expires_at <= excluded.updated_at
                      THEN excluded.created_at ELSE store_items.created_at END;

-- name: delete :batch
-- Delete an item, and its namespace row when no other item is left there (rows a concurrent
-- writer holds are skipped; a sweep removes what is left over).
WITH gone AS (
    DELETE FROM store_items WHERE ns = %(ns)s AND key = %(key)s RETURNING ns
),
empty AS (
    SELECT n.ns FROM store_namespaces AS n
    WHERE n.ns = %(ns)s AND EXISTS (SELECT 1 FROM gone)
      AND NOT EXISTS (SELECT 1 FROM store_items AS i WHERE i.ns = %(ns)s AND i.key <> %(key)s)
    FOR UPDATE SKIP LOCKED
)
DELETE FROM store_namespaces WHERE ns IN (SELECT ns FROM empty);

-- name: delete_expired :exec
DELETE FROM store_items WHERE expires_at IS NOT NULL AND expires_at <= %(now)s;

-- name: delete_empty_namespaces :exec
-- Namespaces left without items; rows a concurrent writer holds are skipped.
DELETE FROM store_namespaces WHERE ns IN (
    SELECT n.ns FROM store_namespaces AS n
    WHERE NOT EXISTS (SELECT 1 FROM store_items AS i WHERE i.ns = n.ns)
    FOR UPDATE SKIP LOCKED
);

-- name: search :many
-- Live items in the namespace range [:lo, :hi) (:hi NULL = unbounded) passing every filter
-- condition, newest first. :filters is NULL or a JSON array of [op, sqlite_path, operand,
-- negate, path] built by the store; a condition fails when its test equals `negate`.
SELECT i.ns, i.key, i.value::text AS value, i.created_at, i.updated_at, i.ttl_minutes,
       NULL::float8 AS score
FROM store_items AS i
WHERE i.ns >= %(lo)s AND (%(hi)s::text IS NULL OR i.ns < %(hi)s)
  AND (i.expires_at IS NULL OR i.expires_at > %(now)s)
  AND (%(filters)s::jsonb IS NULL OR NOT EXISTS (
        SELECT 1 FROM (SELECT c.x ->> 0 AS op, i.value #> (c.x ->> 4)::text[] AS j,
                              c.x -> 2 AS v, (c.x ->> 3)::int = 1 AS negate
                       FROM jsonb_array_elements(%(filters)s::jsonb) AS c (x)) AS f
        WHERE coalesce(CASE f.op
            WHEN 'null' THEN f.j IS NULL OR jsonb_typeof(f.j) = 'null'
            WHEN 'true' THEN f.j = 'true'::jsonb
            WHEN 'false' THEN f.j = 'false'::jsonb
            WHEN 'eq_text' THEN jsonb_typeof(f.j) = 'string' AND f.j = f.v
            WHEN 'eq_num' THEN jsonb_typeof(f.j) = 'number' AND f.j = f.v
            WHEN 'eq_json' THEN jsonb_typeof(f.j) IN ('array', 'object')
                                AND f.j = (f.v #>> '{}')::jsonb
            WHEN 'gt_num' THEN jsonb_typeof(f.j) = 'number' AND f.j > f.v
            WHEN 'gte_num' THEN jsonb_typeof(f.j) = 'number' AND f.j >= f.v
            WHEN 'lt_num' THEN jsonb_typeof(f.j) = 'number' AND f.j < f.v
            WHEN 'lte_num' THEN jsonb_typeof(f.j) = 'number' AND f.j <= f.v
            WHEN 'gt_text' THEN jsonb_typeof(f.j) = 'string'
                                AND (f.j #>> '{}') COLLATE "C" > (f.v #>> '{}')
            WHEN 'gte_text' THEN jsonb_typeof(f.j) = 'string'
                                 AND (f.j #>> '{}') COLLATE "C" >= (f.v #>> '{}')
            WHEN 'lt_text' THEN jsonb_typeof(f.j) = 'string'
                                AND (f.j #>> '{}') COLLATE "C" < (f.v #>> '{}')
            WHEN 'lte_text' THEN jsonb_typeof(f.j) = 'string'
                                 AND (f.j #>> '{}') COLLATE "C" <= (f.v #>> '{}')
            WHEN 'any_num' THEN jsonb_typeof(f.j) = 'number'
            ELSE false END, false) = f.negate))
ORDER BY i.updated_at DESC, i.ns, i.key
LIMIT %(limit)s OFFSET %(offset)s;

-- name: search_text :many
-- As search, ranked by relevance to the query's words. :needles is a JSON array of
-- {"text", "match", "whole"} from text_search.query_needles: `match` a tsquery of quoted
-- lexemes (user text is never tsquery syntax), `text` the word a matching item's terms
-- contain, `whole` the pattern of a whole-word match. An item matches when it holds any word;
-- each word scores BM25-style over the matching items (rarer words and shorter texts weigh
-- more, b = idf x length factor): 1 + b for a whole-word match, b / (1 + b) inside a word,
-- summed over the words: the same formula as SQLite's and as the memory store's.
WITH needles AS MATERIALIZED (
    SELECT w.n, w.value ->> 'text' AS text, w.value ->> 'match' AS match,
           w.value ->> 'whole' AS whole
    FROM jsonb_array_elements(%(needles)s::jsonb) WITH ORDINALITY AS w (value, n)
),
query AS (
    SELECT string_agg('(' || match || ')', ' | ' ORDER BY n)::tsquery AS tsq FROM needles
),
candidates AS MATERIALIZED (
    SELECT i.ns, i.key, i.search_text, length(i.search_text)::float8 AS len
    FROM store_items AS i
    WHERE i.search @@ (SELECT tsq FROM query)
      AND i.ns >= %(lo)s AND (%(hi)s::text IS NULL OR i.ns < %(hi)s)
      AND (i.expires_at IS NULL OR i.expires_at > %(now)s)
      AND (%(filters)s::jsonb IS NULL OR NOT EXISTS (
          SELECT 1 FROM (SELECT c.x ->> 0 AS op, i.value #> (c.x ->> 4)::text[] AS j,
                                c.x -> 2 AS v, (c.x ->> 3)::int = 1 AS negate
                         FROM jsonb_array_elements(%(filters)s::jsonb) AS c (x)) AS f
          WHERE coalesce(CASE f.op
              WHEN 'null' THEN f.j IS NULL OR jsonb_typeof(f.j) = 'null'
              WHEN 'true' THEN f.j = 'true'::jsonb
              WHEN 'false' THEN f.j = 'false'::jsonb
              WHEN 'eq_text' THEN jsonb_typeof(f.j) = 'string' AND f.j = f.v
              WHEN 'eq_num' THEN jsonb_typeof(f.j) = 'number' AND f.j = f.v
              WHEN 'eq_json' THEN jsonb_typeof(f.j) IN ('array', 'object')
                                  AND f.j = (f.v #>> '{}')::jsonb
              WHEN 'gt_num' THEN jsonb_typeof(f.j) = 'number' AND f.j > f.v
              WHEN 'gte_num' THEN jsonb_typeof(f.j) = 'number' AND f.j >= f.v
              WHEN 'lt_num' THEN jsonb_typeof(f.j) = 'number' AND f.j < f.v
              WHEN 'lte_num' THEN jsonb_typeof(f.j) = 'number' AND f.j <= f.v
              WHEN 'gt_text' THEN jsonb_typeof(f.j) = 'string'
                                  AND (f.j #>> '{}') COLLATE "C" > (f.v #>> '{}')
              WHEN 'gte_text' THEN jsonb_typeof(f.j) = 'string'
                                   AND (f.j #>> '{}') COLLATE "C" >= (f.v #>> '{}')
              WHEN 'lt_text' THEN jsonb_typeof(f.j) = 'string'
                                  AND (f.j #>> '{}') COLLATE "C" < (f.v #>> '{}')
              WHEN 'lte_text' THEN jsonb_typeof(f.j) = 'string'
                                   AND (f.j #>> '{}') COLLATE "C" <= (f.v #>> '{}')
              WHEN 'any_num' THEN jsonb_typeof(f.j) = 'number'
              ELSE false END, false) = f.negate))
),
hits AS MATERIALIZED (
    SELECT c.ns, c.key, c.len, w.n,
           strpos(' ' || c.search_text || ' ', w.whole) > 0 AS whole
    FROM candidates AS c JOIN needles AS w ON strpos(c.search_text, w.text) > 0
),
stats AS MATERIALIZED (
    SELECT count(DISTINCT (ns, key))::float8 AS items, avg(len) AS avg_len FROM hits
),
frequency AS MATERIALIZED (
    SELECT n, count(*)::float8 AS df FROM hits GROUP BY n
),
scores AS (
    SELECT h.ns, h.key,
           sum(CASE WHEN h.whole THEN 1 + h.b ELSE h.b / (1 + h.b) END)::float8 AS score
    FROM (SELECT hits.ns, hits.key, hits.whole,
                 ln(1 + (s.items - f.df + 0.5) / (f.df + 0.5))
                 * 2.2 / (1 + 1.2 * (0.25 + 0.75 * hits.len / s.avg_len)) AS b
          FROM hits JOIN frequency AS f USING (n) CROSS JOIN stats AS s) AS h
    GROUP BY h.ns, h.key
)
SELECT i.ns, i.key, i.value::text AS value, i.created_at, i.updated_at, i.ttl_minutes,
       s.score
FROM scores AS s JOIN store_items AS i USING (ns, key)
ORDER BY s.score DESC, i.updated_at DESC, i.ns, i.key
LIMIT %(limit)s OFFSET %(offset)s;

-- name: list_namespaces :many
-- Namespaces holding a live item, in tuple order: ns in [:lo, :hi), rns (the reversed labels)
-- in [:rlo, :rhi), at least :min_depth labels, each of :checks ([from_end, index, label])
-- holding; truncated to :max_depth labels (NULL: whole) and distinct after truncation.
SELECT DISTINCT
       CASE WHEN %(max_depth)s::int IS NULL OR n.depth <= %(max_depth)s::int THEN n.ns
            ELSE array_to_string((string_to_array(n.ns, chr(1)))[1:%(max_depth)s::int], chr(1))
       END COLLATE "C" AS ns
FROM store_namespaces AS n
WHERE n.ns >= %(lo)s AND (%(hi)s::text IS NULL OR n.ns < %(hi)s)
  AND n.rns >= %(rlo)s AND (%(rhi)s::text IS NULL OR n.rns < %(rhi)s)
  AND n.depth >= %(min_depth)s
  AND (%(checks)s::jsonb IS NULL OR NOT EXISTS (
        SELECT 1 FROM jsonb_array_elements(%(checks)s::jsonb) AS c (x)
        WHERE (CASE WHEN (c.x ->> 0)::int = 1 THEN n.labels ->> (-1 - (c.x ->> 1)::int)
                    ELSE n.labels ->> (c.x ->> 1)::int END) IS DISTINCT FROM c.x ->> 2))
  AND EXISTS (SELECT 1 FROM store_items AS i
              WHERE i.ns = n.ns AND (i.expires_at IS NULL OR i.expires_at > %(now)s))
ORDER BY 1
LIMIT %(limit)s OFFSET %(offset)s;

-- name: pin_snapshot :exec
-- Make every later read of the transaction see one snapshot (must run first in it).
SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;
