-- name: find :opt
-- A live item (expired ones are invisible before any sweep).
SELECT json(value) AS value, created_at, updated_at, ttl_minutes FROM store_items
WHERE ns = :ns AND key = :key AND (expires_at IS NULL OR expires_at > :now);

-- name: refresh :batch
-- Extend a live item's expiry by its own ttl (computed by the store); never revives one.
UPDATE store_items SET expires_at = :expires_at
WHERE ns = :ns AND key = :key AND ttl_minutes IS NOT NULL AND expires_at > :now;

-- name: upsert :batch
-- Write an item and register its namespace (the view's trigger); created_at is kept while the
-- previous item is live.
INSERT INTO store_item_writes (ns, rns, labels, depth, key, value, search_text, now, expires_at,
                               ttl_minutes)
VALUES (:ns, :rns, :labels, :depth, :key, jsonb(:value), :search_text, :now, :expires_at,
        :ttl_minutes);

-- name: delete :batch
-- A namespace row goes with its last item (trigger).
DELETE FROM store_items WHERE ns = :ns AND key = :key;

-- name: delete_expired :exec
DELETE FROM store_items WHERE expires_at IS NOT NULL AND expires_at <= :now;

-- name: delete_empty_namespaces :exec
-- Namespaces left without items (the delete trigger already removes them on SQLite).
DELETE FROM store_namespaces
WHERE NOT EXISTS (SELECT 1 FROM store_items AS i WHERE i.ns = store_namespaces.ns);

-- name: search :many
-- Live items in the namespace range [:lo, :hi) (:hi NULL = unbounded) passing every filter
-- condition, newest first. :filters is NULL or a JSON array of [op, path, operand, negate,
-- pg_path] built by the store; a condition fails when its test equals `negate`.
SELECT i.ns, i.key, json(i.value) AS value, i.created_at, i.updated_at, i.ttl_minutes,
       NULL AS score
FROM store_items AS i
WHERE i.ns >= :lo AND (:hi IS NULL OR i.ns < :hi)
  AND (i.expires_at IS NULL OR i.expires_at > :now)
  AND (:filters IS NULL OR NOT EXISTS (
        SELECT 1 FROM (SELECT c.value ->> 0 AS op, c.value ->> 1 AS path, c.value ->> 2 AS v,
                              c.value ->> 3 AS negate
                       FROM json_each(:filters) AS c) AS f
        WHERE coalesce(CASE f.op
            WHEN 'null' THEN coalesce(json_type(i.value, f.path), 'null') = 'null'
            WHEN 'true' THEN json_type(i.value, f.path) = 'true'
            WHEN 'false' THEN json_type(i.value, f.path) = 'false'
            WHEN 'eq_text' THEN json_type(i.value, f.path) = 'text' AND i.value ->> f.path = f.v
            WHEN 'eq_num' THEN json_type(i.value, f.path) IN ('integer', 'real')
                               AND i.value ->> f.path = f.v
            WHEN 'eq_json' THEN json_type(i.value, f.path) IN ('array', 'object')
                                AND i.value -> f.path = f.v
            WHEN 'gt_num' THEN json_type(i.value, f.path) IN ('integer', 'real')
                               AND i.value ->> f.path > f.v
            WHEN 'gte_num' THEN json_type(i.value, f.path) IN ('integer', 'real')
                                AND i.value ->> f.path >= f.v
            WHEN 'lt_num' THEN json_type(i.value, f.path) IN ('integer', 'real')
                               AND i.value ->> f.path < f.v
            WHEN 'lte_num' THEN json_type(i.value, f.path) IN ('integer', 'real')
                                AND i.value ->> f.path <= f.v
            WHEN 'gt_text' THEN json_type(i.value, f.path) = 'text' AND i.value ->> f.path > f.v
            WHEN 'gte_text' THEN json_type(i.value, f.path) = 'text' AND i.value ->> f.path >= f.v
            WHEN 'lt_text' THEN json_type(i.value, f.path) = 'text' AND i.value ->> f.path < f.v
            WHEN 'lte_text' THEN json_type(i.value, f.path) = 'text' AND i.value ->> f.path <= f.v
            WHEN 'any_num' THEN json_type(i.value, f.path) IN ('integer', 'real')
            ELSE 0 END, 0) = f.negate))
ORDER BY i.updated_at DESC, i.ns, i.key
LIMIT :limit OFFSET :offset;

-- name: search_text :many
-- As search, ranked by relevance to the query's words. :needles is a JSON array of
-- {"text", "match", "whole"} from text_search.query_needles: `match` an FTS5 expression of
-- quoted terms (user text is never FTS syntax), `text` the word a matching item's terms
-- contain, `whole` the pattern of a whole-word match. An item matches when it holds any word;
-- each word scores BM25-style over the matching items (rarer words and shorter texts weigh
-- more, b = idf x length factor): 1 + b for a whole-word match, b / (1 + b) inside a word,
-- summed over the words, as the memory store ranks.
WITH needles AS MATERIALIZED (
    SELECT n.key AS n, n.value ->> '$.text' AS text, n.value ->> '$.match' AS match,
           n.value ->> '$.whole' AS whole
    FROM json_each(:needles) AS n
),
expression (text) AS (
    SELECT group_concat('(' || match || ')', ' OR ') FROM needles
),
candidates AS MATERIALIZED (
    SELECT i.rid, i.search_text, length(i.search_text) AS len
    FROM store_items_fts AS s
    JOIN store_items AS i ON i.rid = s.rowid
    WHERE store_items_fts MATCH (SELECT text FROM expression)
      AND i.ns >= :lo AND (:hi IS NULL OR i.ns < :hi)
      AND (i.expires_at IS NULL OR i.expires_at > :now)
      AND (:filters IS NULL OR NOT EXISTS (
          SELECT 1 FROM (SELECT c.value ->> 0 AS op, c.value ->> 1 AS path, c.value ->> 2 AS v,
                                c.value ->> 3 AS negate
                         FROM json_each(:filters) AS c) AS f
          WHERE coalesce(CASE f.op
              WHEN 'null' THEN coalesce(json_type(i.value, f.path), 'null') = 'null'
              WHEN 'true' THEN json_type(i.value, f.path) = 'true'
              WHEN 'false' THEN json_type(i.value, f.path) = 'false'
              WHEN 'eq_text' THEN json_type(i.value, f.path) = 'text' AND i.value ->> f.path = f.v
              WHEN 'eq_num' THEN json_type(i.value, f.path) IN ('integer', 'real')
                                 AND i.value ->> f.path = f.v
              WHEN 'eq_json' THEN json_type(i.value, f.path) IN ('array', 'object')
                                  AND i.value -> f.path = f.v
              WHEN 'gt_num' THEN json_type(i.value, f.path) IN ('integer', 'real')
                                 AND i.value ->> f.path > f.v
              WHEN 'gte_num' THEN json_type(i.value, f.path) IN ('integer', 'real')
                                  AND i.value ->> f.path >= f.v
              WHEN 'lt_num' THEN json_type(i.value, f.path) IN ('integer', 'real')
                                 AND i.value ->> f.path < f.v
              WHEN 'lte_num' THEN json_type(i.value, f.path) IN ('integer', 'real')
                                  AND i.value ->> f.path <= f.v
              WHEN 'gt_text' THEN json_type(i.value, f.path) = 'text' AND i.value ->> f.path > f.v
              WHEN 'gte_text' THEN json_type(i.value, f.path) = 'text' AND i.value ->> f.path >= f.v
              WHEN 'lt_text' THEN json_type(i.value, f.path) = 'text' AND i.value ->> f.path < f.v
              WHEN 'lte_text' THEN json_type(i.value, f.path) = 'text' AND i.value ->> f.path <= f.v
              WHEN 'any_num' THEN json_type(i.value, f.path) IN ('integer', 'real')
              ELSE 0 END, 0) = f.negate))
),
hits AS MATERIALIZED (
    SELECT c.rid, c.len, w.n, instr(' ' || c.search_text || ' ', w.whole) > 0 AS whole
    FROM candidates AS c JOIN needles AS w ON instr(c.search_text, w.text) > 0
),
stats AS MATERIALIZED (
    SELECT count(DISTINCT rid) AS items, avg(len) AS avg_len FROM hits
),
frequency AS MATERIALIZED (
    SELECT n, count(*) AS df FROM hits GROUP BY n
),
scores AS (
    SELECT h.rid, sum(CASE WHEN h.whole THEN 1 + h.b ELSE h.b / (1 + h.b) END) AS score
    FROM (SELECT hits.rid, hits.whole,
                 ln(1 + (s.items - f.df + 0.5) / (f.df + 0.5))
                 * 2.2 / (1 + 1.2 * (0.25 + 0.75 * hits.len / s.avg_len)) AS b
          FROM hits JOIN frequency AS f USING (n) CROSS JOIN stats AS s) AS h
    GROUP BY h.rid
)
SELECT i.ns, i.key, json(i.value) AS value, i.created_at, i.updated_at, i.ttl_minutes,
       s.score
FROM scores AS s JOIN store_items AS i ON i.rid = s.rid
ORDER BY s.score DESC, i.updated_at DESC, i.ns, i.key
LIMIT :limit OFFSET :offset;

-- name: list_namespaces :many
-- Namespaces holding a live item, in tuple order: ns in [:lo, :hi), rns (the reversed labels)
-- in [:rlo, :rhi), at least :min_depth labels, each of :checks ([from_end, index, label])
-- holding; truncated to :max_depth labels (NULL: whole) and distinct after truncation.
SELECT DISTINCT
       CASE WHEN :max_depth IS NULL OR n.depth <= :max_depth THEN n.ns
            ELSE (SELECT group_concat(l.value, char(1) ORDER BY l.key)
                  FROM json_each(n.labels) AS l WHERE l.key < :max_depth) END AS ns
FROM store_namespaces AS n
WHERE n.ns >= :lo AND (:hi IS NULL OR n.ns < :hi)
  AND n.rns >= :rlo AND (:rhi IS NULL OR n.rns < :rhi)
  AND n.depth >= :min_depth
  AND (:checks IS NULL OR NOT EXISTS (
        SELECT 1 FROM json_each(:checks) AS c
        WHERE (CASE WHEN c.value ->> 0 = 1
                    THEN n.labels ->> ('$[#-' || (c.value ->> 1 + 1) || ']')
                    ELSE n.labels ->> (c.value ->> 1) END) IS NOT c.value ->> 2))
  AND EXISTS (SELECT 1 FROM store_items AS i
              WHERE i.ns = n.ns AND (i.expires_at IS NULL OR i.expires_at > :now))
ORDER BY 1
LIMIT :limit OFFSET :offset;

-- name: pin_snapshot :exec
-- Make every later read of the transaction see one snapshot. SQLite already does (a WAL
-- transaction reads the snapshot of its first read), so this statement does nothing.
SELECT 0 WHERE 0;
