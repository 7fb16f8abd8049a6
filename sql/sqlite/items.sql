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
-- As search, ranked by full-text relevance (FTS5 bm25, negated so higher is better) of the
-- items' indexed text against :match (quoted words joined by OR, built by the store).
SELECT i.ns, i.key, json(i.value) AS value, i.created_at, i.updated_at, i.ttl_minutes,
       -bm25(store_items_fts) AS score
FROM store_items_fts JOIN store_items AS i ON i.rid = store_items_fts.rowid
WHERE store_items_fts MATCH :match
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
ORDER BY score DESC, i.updated_at DESC, i.ns, i.key
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
