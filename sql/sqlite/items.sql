-- name: find :scalar
-- A live item (expired ones are invisible before any sweep) as one JSON array [value,
-- created_at, updated_at, ttl_minutes]: a single column decoded by one json.loads.
SELECT json_array(json(value), created_at, updated_at, ttl_minutes) FROM store_items
WHERE ns = :ns AND key = :key AND (expires_at IS NULL OR expires_at > :now);

-- name: refresh :exec
-- Extend live items' expiry: :refreshes is a JSON array of [ns, key, new expires_at] (the
-- store adds each item's own ttl to the read's time). One statement for a whole page of reads;
-- an item that expired meanwhile is never revived.
UPDATE store_items SET expires_at = r.value ->> 2
FROM json_each(:refreshes) AS r
WHERE store_items.ns = r.value ->> 0 AND store_items.key = r.value ->> 1
  AND store_items.ttl_minutes IS NOT NULL AND store_items.expires_at > :now;

-- name: upsert :exec
-- Write an item and register its namespace in one statement (the view's trigger); created_at
-- is kept while the previous item is live.
INSERT INTO store_item_writes (ns, rns, labels, depth, key, value, search_text, now, expires_at,
                               ttl_minutes)
VALUES (:ns, :rns, :labels, :depth, :key, jsonb(:value), :search_text, :now, :expires_at,
        :ttl_minutes);

-- name: delete :exec
-- A namespace row goes with its last item (trigger).
DELETE FROM store_items WHERE ns = :ns AND key = :key;

-- name: delete_expired :exec
DELETE FROM store_items WHERE expires_at IS NOT NULL AND expires_at <= :now;

-- name: delete_empty_namespaces :exec
-- Namespaces left without items (on SQLite the delete trigger already removed them).
DELETE FROM store_namespaces
WHERE NOT EXISTS (SELECT 1 FROM store_items AS i WHERE i.ns = store_namespaces.ns);

-- name: search :many
-- Live items in the namespace range [:lo, :hi) (:hi NULL = unbounded) passing every filter
-- condition, newest first. The page is chosen first and only its rows are rendered as JSON.
-- Filters: up to four conditions in the slots o1..o4 (op code, 0 = unused), p1..p4 (SQLite JSON
-- path; a text[] literal on PostgreSQL), v1..v4 (operand; JSON text on PostgreSQL), n1..n4 (1
-- negates, for $ne); further conditions in :more, a JSON array of [o, p, v, n, q]. Op codes:
-- 1 text =, 2 number =, 3-6 number > >= < <=, 7-10 text > >= < <= (code point order),
-- 11 array/object =, 12 null or missing, 13 true, 14 false, 15 any number, else never.
WITH page AS MATERIALIZED (
    SELECT i.ns, i.key, i.updated_at FROM store_items AS i
    WHERE i.ns >= :lo AND (:hi IS NULL OR i.ns < :hi)
      AND (i.expires_at IS NULL OR i.expires_at > :now)
      AND (:o1 = 0 OR coalesce(CASE :o1
            WHEN 1 THEN i.value ->> :p1 = :v1 AND json_type(i.value, :p1) = 'text'
            WHEN 2 THEN i.value ->> :p1 = :v1 AND json_type(i.value, :p1) IN ('integer', 'real')
            WHEN 3 THEN i.value ->> :p1 > :v1 AND json_type(i.value, :p1) IN ('integer', 'real')
            WHEN 4 THEN i.value ->> :p1 >= :v1 AND json_type(i.value, :p1) IN ('integer', 'real')
            WHEN 5 THEN i.value ->> :p1 < :v1 AND json_type(i.value, :p1) IN ('integer', 'real')
            WHEN 6 THEN i.value ->> :p1 <= :v1 AND json_type(i.value, :p1) IN ('integer', 'real')
            WHEN 7 THEN i.value ->> :p1 > :v1 AND json_type(i.value, :p1) = 'text'
            WHEN 8 THEN i.value ->> :p1 >= :v1 AND json_type(i.value, :p1) = 'text'
            WHEN 9 THEN i.value ->> :p1 < :v1 AND json_type(i.value, :p1) = 'text'
            WHEN 10 THEN i.value ->> :p1 <= :v1 AND json_type(i.value, :p1) = 'text'
            WHEN 11 THEN json_type(i.value, :p1) IN ('array', 'object') AND i.value -> :p1 = :v1
            WHEN 12 THEN coalesce(json_type(i.value, :p1), 'null') = 'null'
            WHEN 13 THEN json_type(i.value, :p1) = 'true'
            WHEN 14 THEN json_type(i.value, :p1) = 'false'
            WHEN 15 THEN json_type(i.value, :p1) IN ('integer', 'real')
            ELSE 0 END, 0) <> :n1)
      AND (:o2 = 0 OR coalesce(CASE :o2
            WHEN 1 THEN i.value ->> :p2 = :v2 AND json_type(i.value, :p2) = 'text'
            WHEN 2 THEN i.value ->> :p2 = :v2 AND json_type(i.value, :p2) IN ('integer', 'real')
            WHEN 3 THEN i.value ->> :p2 > :v2 AND json_type(i.value, :p2) IN ('integer', 'real')
            WHEN 4 THEN i.value ->> :p2 >= :v2 AND json_type(i.value, :p2) IN ('integer', 'real')
            WHEN 5 THEN i.value ->> :p2 < :v2 AND json_type(i.value, :p2) IN ('integer', 'real')
            WHEN 6 THEN i.value ->> :p2 <= :v2 AND json_type(i.value, :p2) IN ('integer', 'real')
            WHEN 7 THEN i.value ->> :p2 > :v2 AND json_type(i.value, :p2) = 'text'
            WHEN 8 THEN i.value ->> :p2 >= :v2 AND json_type(i.value, :p2) = 'text'
            WHEN 9 THEN i.value ->> :p2 < :v2 AND json_type(i.value, :p2) = 'text'
            WHEN 10 THEN i.value ->> :p2 <= :v2 AND json_type(i.value, :p2) = 'text'
            WHEN 11 THEN json_type(i.value, :p2) IN ('array', 'object') AND i.value -> :p2 = :v2
            WHEN 12 THEN coalesce(json_type(i.value, :p2), 'null') = 'null'
            WHEN 13 THEN json_type(i.value, :p2) = 'true'
            WHEN 14 THEN json_type(i.value, :p2) = 'false'
            WHEN 15 THEN json_type(i.value, :p2) IN ('integer', 'real')
            ELSE 0 END, 0) <> :n2)
      AND (:o3 = 0 OR coalesce(CASE :o3
            WHEN 1 THEN i.value ->> :p3 = :v3 AND json_type(i.value, :p3) = 'text'
            WHEN 2 THEN i.value ->> :p3 = :v3 AND json_type(i.value, :p3) IN ('integer', 'real')
            WHEN 3 THEN i.value ->> :p3 > :v3 AND json_type(i.value, :p3) IN ('integer', 'real')
            WHEN 4 THEN i.value ->> :p3 >= :v3 AND json_type(i.value, :p3) IN ('integer', 'real')
            WHEN 5 THEN i.value ->> :p3 < :v3 AND json_type(i.value, :p3) IN ('integer', 'real')
            WHEN 6 THEN i.value ->> :p3 <= :v3 AND json_type(i.value, :p3) IN ('integer', 'real')
            WHEN 7 THEN i.value ->> :p3 > :v3 AND json_type(i.value, :p3) = 'text'
            WHEN 8 THEN i.value ->> :p3 >= :v3 AND json_type(i.value, :p3) = 'text'
            WHEN 9 THEN i.value ->> :p3 < :v3 AND json_type(i.value, :p3) = 'text'
            WHEN 10 THEN i.value ->> :p3 <= :v3 AND json_type(i.value, :p3) = 'text'
            WHEN 11 THEN json_type(i.value, :p3) IN ('array', 'object') AND i.value -> :p3 = :v3
            WHEN 12 THEN coalesce(json_type(i.value, :p3), 'null') = 'null'
            WHEN 13 THEN json_type(i.value, :p3) = 'true'
            WHEN 14 THEN json_type(i.value, :p3) = 'false'
            WHEN 15 THEN json_type(i.value, :p3) IN ('integer', 'real')
            ELSE 0 END, 0) <> :n3)
      AND (:o4 = 0 OR coalesce(CASE :o4
            WHEN 1 THEN i.value ->> :p4 = :v4 AND json_type(i.value, :p4) = 'text'
            WHEN 2 THEN i.value ->> :p4 = :v4 AND json_type(i.value, :p4) IN ('integer', 'real')
            WHEN 3 THEN i.value ->> :p4 > :v4 AND json_type(i.value, :p4) IN ('integer', 'real')
            WHEN 4 THEN i.value ->> :p4 >= :v4 AND json_type(i.value, :p4) IN ('integer', 'real')
            WHEN 5 THEN i.value ->> :p4 < :v4 AND json_type(i.value, :p4) IN ('integer', 'real')
            WHEN 6 THEN i.value ->> :p4 <= :v4 AND json_type(i.value, :p4) IN ('integer', 'real')
            WHEN 7 THEN i.value ->> :p4 > :v4 AND json_type(i.value, :p4) = 'text'
            WHEN 8 THEN i.value ->> :p4 >= :v4 AND json_type(i.value, :p4) = 'text'
            WHEN 9 THEN i.value ->> :p4 < :v4 AND json_type(i.value, :p4) = 'text'
            WHEN 10 THEN i.value ->> :p4 <= :v4 AND json_type(i.value, :p4) = 'text'
            WHEN 11 THEN json_type(i.value, :p4) IN ('array', 'object') AND i.value -> :p4 = :v4
            WHEN 12 THEN coalesce(json_type(i.value, :p4), 'null') = 'null'
            WHEN 13 THEN json_type(i.value, :p4) = 'true'
            WHEN 14 THEN json_type(i.value, :p4) = 'false'
            WHEN 15 THEN json_type(i.value, :p4) IN ('integer', 'real')
            ELSE 0 END, 0) <> :n4)
      AND (:more IS NULL OR NOT EXISTS (
        SELECT 1 FROM (SELECT c.value ->> 0 AS o, c.value ->> 1 AS p, c.value ->> 2 AS v,
                              c.value ->> 3 AS n
                       FROM json_each(:more) AS c) AS f
        WHERE coalesce(CASE f.o
            WHEN 1 THEN i.value ->> f.p = f.v AND json_type(i.value, f.p) = 'text'
            WHEN 2 THEN i.value ->> f.p = f.v AND json_type(i.value, f.p) IN ('integer', 'real')
            WHEN 3 THEN i.value ->> f.p > f.v AND json_type(i.value, f.p) IN ('integer', 'real')
            WHEN 4 THEN i.value ->> f.p >= f.v AND json_type(i.value, f.p) IN ('integer', 'real')
            WHEN 5 THEN i.value ->> f.p < f.v AND json_type(i.value, f.p) IN ('integer', 'real')
            WHEN 6 THEN i.value ->> f.p <= f.v AND json_type(i.value, f.p) IN ('integer', 'real')
            WHEN 7 THEN i.value ->> f.p > f.v AND json_type(i.value, f.p) = 'text'
            WHEN 8 THEN i.value ->> f.p >= f.v AND json_type(i.value, f.p) = 'text'
            WHEN 9 THEN i.value ->> f.p < f.v AND json_type(i.value, f.p) = 'text'
            WHEN 10 THEN i.value ->> f.p <= f.v AND json_type(i.value, f.p) = 'text'
            WHEN 11 THEN json_type(i.value, f.p) IN ('array', 'object') AND i.value -> f.p = f.v
            WHEN 12 THEN coalesce(json_type(i.value, f.p), 'null') = 'null'
            WHEN 13 THEN json_type(i.value, f.p) = 'true'
            WHEN 14 THEN json_type(i.value, f.p) = 'false'
            WHEN 15 THEN json_type(i.value, f.p) IN ('integer', 'real')
            ELSE 0 END, 0) = f.n))
    ORDER BY i.updated_at DESC, i.ns, i.key
    LIMIT :limit OFFSET :offset
)
SELECT i.ns, i.key, json(i.value) AS value, i.created_at, i.updated_at, i.ttl_minutes,
       NULL AS score
FROM page JOIN store_items AS i ON i.ns = page.ns AND i.key = page.key
ORDER BY page.updated_at DESC, page.ns, page.key;

-- name: search_contained :many
-- As search, for filters with equalities on strings, numbers or booleans: :contains is a JSON
-- object holding them (PostgreSQL narrows by it through a GIN index first). SQLite has no
-- containment index and the filter slots check the same equalities, so it only requires it.
WITH page AS MATERIALIZED (
    SELECT i.ns, i.key, i.updated_at FROM store_items AS i
    WHERE i.ns >= :lo AND (:hi IS NULL OR i.ns < :hi)
      AND (i.expires_at IS NULL OR i.expires_at > :now)
      AND :contains IS NOT NULL
      AND (:o1 = 0 OR coalesce(CASE :o1
            WHEN 1 THEN i.value ->> :p1 = :v1 AND json_type(i.value, :p1) = 'text'
            WHEN 2 THEN i.value ->> :p1 = :v1 AND json_type(i.value, :p1) IN ('integer', 'real')
            WHEN 3 THEN i.value ->> :p1 > :v1 AND json_type(i.value, :p1) IN ('integer', 'real')
            WHEN 4 THEN i.value ->> :p1 >= :v1 AND json_type(i.value, :p1) IN ('integer', 'real')
            WHEN 5 THEN i.value ->> :p1 < :v1 AND json_type(i.value, :p1) IN ('integer', 'real')
            WHEN 6 THEN i.value ->> :p1 <= :v1 AND json_type(i.value, :p1) IN ('integer', 'real')
            WHEN 7 THEN i.value ->> :p1 > :v1 AND json_type(i.value, :p1) = 'text'
            WHEN 8 THEN i.value ->> :p1 >= :v1 AND json_type(i.value, :p1) = 'text'
            WHEN 9 THEN i.value ->> :p1 < :v1 AND json_type(i.value, :p1) = 'text'
            WHEN 10 THEN i.value ->> :p1 <= :v1 AND json_type(i.value, :p1) = 'text'
            WHEN 11 THEN json_type(i.value, :p1) IN ('array', 'object') AND i.value -> :p1 = :v1
            WHEN 12 THEN coalesce(json_type(i.value, :p1), 'null') = 'null'
            WHEN 13 THEN json_type(i.value, :p1) = 'true'
            WHEN 14 THEN json_type(i.value, :p1) = 'false'
            WHEN 15 THEN json_type(i.value, :p1) IN ('integer', 'real')
            ELSE 0 END, 0) <> :n1)
      AND (:o2 = 0 OR coalesce(CASE :o2
            WHEN 1 THEN i.value ->> :p2 = :v2 AND json_type(i.value, :p2) = 'text'
            WHEN 2 THEN i.value ->> :p2 = :v2 AND json_type(i.value, :p2) IN ('integer', 'real')
            WHEN 3 THEN i.value ->> :p2 > :v2 AND json_type(i.value, :p2) IN ('integer', 'real')
            WHEN 4 THEN i.value ->> :p2 >= :v2 AND json_type(i.value, :p2) IN ('integer', 'real')
            WHEN 5 THEN i.value ->> :p2 < :v2 AND json_type(i.value, :p2) IN ('integer', 'real')
            WHEN 6 THEN i.value ->> :p2 <= :v2 AND json_type(i.value, :p2) IN ('integer', 'real')
            WHEN 7 THEN i.value ->> :p2 > :v2 AND json_type(i.value, :p2) = 'text'
            WHEN 8 THEN i.value ->> :p2 >= :v2 AND json_type(i.value, :p2) = 'text'
            WHEN 9 THEN i.value ->> :p2 < :v2 AND json_type(i.value, :p2) = 'text'
            WHEN 10 THEN i.value ->> :p2 <= :v2 AND json_type(i.value, :p2) = 'text'
            WHEN 11 THEN json_type(i.value, :p2) IN ('array', 'object') AND i.value -> :p2 = :v2
            WHEN 12 THEN coalesce(json_type(i.value, :p2), 'null') = 'null'
            WHEN 13 THEN json_type(i.value, :p2) = 'true'
            WHEN 14 THEN json_type(i.value, :p2) = 'false'
            WHEN 15 THEN json_type(i.value, :p2) IN ('integer', 'real')
            ELSE 0 END, 0) <> :n2)
      AND (:o3 = 0 OR coalesce(CASE :o3
            WHEN 1 THEN i.value ->> :p3 = :v3 AND json_type(i.value, :p3) = 'text'
            WHEN 2 THEN i.value ->> :p3 = :v3 AND json_type(i.value, :p3) IN ('integer', 'real')
            WHEN 3 THEN i.value ->> :p3 > :v3 AND json_type(i.value, :p3) IN ('integer', 'real')
            WHEN 4 THEN i.value ->> :p3 >= :v3 AND json_type(i.value, :p3) IN ('integer', 'real')
            WHEN 5 THEN i.value ->> :p3 < :v3 AND json_type(i.value, :p3) IN ('integer', 'real')
            WHEN 6 THEN i.value ->> :p3 <= :v3 AND json_type(i.value, :p3) IN ('integer', 'real')
            WHEN 7 THEN i.value ->> :p3 > :v3 AND json_type(i.value, :p3) = 'text'
            WHEN 8 THEN i.value ->> :p3 >= :v3 AND json_type(i.value, :p3) = 'text'
            WHEN 9 THEN i.value ->> :p3 < :v3 AND json_type(i.value, :p3) = 'text'
            WHEN 10 THEN i.value ->> :p3 <= :v3 AND json_type(i.value, :p3) = 'text'
            WHEN 11 THEN json_type(i.value, :p3) IN ('array', 'object') AND i.value -> :p3 = :v3
            WHEN 12 THEN coalesce(json_type(i.value, :p3), 'null') = 'null'
            WHEN 13 THEN json_type(i.value, :p3) = 'true'
            WHEN 14 THEN json_type(i.value, :p3) = 'false'
            WHEN 15 THEN json_type(i.value, :p3) IN ('integer', 'real')
            ELSE 0 END, 0) <> :n3)
      AND (:o4 = 0 OR coalesce(CASE :o4
            WHEN 1 THEN i.value ->> :p4 = :v4 AND json_type(i.value, :p4) = 'text'
            WHEN 2 THEN i.value ->> :p4 = :v4 AND json_type(i.value, :p4) IN ('integer', 'real')
            WHEN 3 THEN i.value ->> :p4 > :v4 AND json_type(i.value, :p4) IN ('integer', 'real')
            WHEN 4 THEN i.value ->> :p4 >= :v4 AND json_type(i.value, :p4) IN ('integer', 'real')
            WHEN 5 THEN i.value ->> :p4 < :v4 AND json_type(i.value, :p4) IN ('integer', 'real')
            WHEN 6 THEN i.value ->> :p4 <= :v4 AND json_type(i.value, :p4) IN ('integer', 'real')
            WHEN 7 THEN i.value ->> :p4 > :v4 AND json_type(i.value, :p4) = 'text'
            WHEN 8 THEN i.value ->> :p4 >= :v4 AND json_type(i.value, :p4) = 'text'
            WHEN 9 THEN i.value ->> :p4 < :v4 AND json_type(i.value, :p4) = 'text'
            WHEN 10 THEN i.value ->> :p4 <= :v4 AND json_type(i.value, :p4) = 'text'
            WHEN 11 THEN json_type(i.value, :p4) IN ('array', 'object') AND i.value -> :p4 = :v4
            WHEN 12 THEN coalesce(json_type(i.value, :p4), 'null') = 'null'
            WHEN 13 THEN json_type(i.value, :p4) = 'true'
            WHEN 14 THEN json_type(i.value, :p4) = 'false'
            WHEN 15 THEN json_type(i.value, :p4) IN ('integer', 'real')
            ELSE 0 END, 0) <> :n4)
      AND (:more IS NULL OR NOT EXISTS (
        SELECT 1 FROM (SELECT c.value ->> 0 AS o, c.value ->> 1 AS p, c.value ->> 2 AS v,
                              c.value ->> 3 AS n
                       FROM json_each(:more) AS c) AS f
        WHERE coalesce(CASE f.o
            WHEN 1 THEN i.value ->> f.p = f.v AND json_type(i.value, f.p) = 'text'
            WHEN 2 THEN i.value ->> f.p = f.v AND json_type(i.value, f.p) IN ('integer', 'real')
            WHEN 3 THEN i.value ->> f.p > f.v AND json_type(i.value, f.p) IN ('integer', 'real')
            WHEN 4 THEN i.value ->> f.p >= f.v AND json_type(i.value, f.p) IN ('integer', 'real')
            WHEN 5 THEN i.value ->> f.p < f.v AND json_type(i.value, f.p) IN ('integer', 'real')
            WHEN 6 THEN i.value ->> f.p <= f.v AND json_type(i.value, f.p) IN ('integer', 'real')
            WHEN 7 THEN i.value ->> f.p > f.v AND json_type(i.value, f.p) = 'text'
            WHEN 8 THEN i.value ->> f.p >= f.v AND json_type(i.value, f.p) = 'text'
            WHEN 9 THEN i.value ->> f.p < f.v AND json_type(i.value, f.p) = 'text'
            WHEN 10 THEN i.value ->> f.p <= f.v AND json_type(i.value, f.p) = 'text'
            WHEN 11 THEN json_type(i.value, f.p) IN ('array', 'object') AND i.value -> f.p = f.v
            WHEN 12 THEN coalesce(json_type(i.value, f.p), 'null') = 'null'
            WHEN 13 THEN json_type(i.value, f.p) = 'true'
            WHEN 14 THEN json_type(i.value, f.p) = 'false'
            WHEN 15 THEN json_type(i.value, f.p) IN ('integer', 'real')
            ELSE 0 END, 0) = f.n))
    ORDER BY i.updated_at DESC, i.ns, i.key
    LIMIT :limit OFFSET :offset
)
SELECT i.ns, i.key, json(i.value) AS value, i.created_at, i.updated_at, i.ttl_minutes,
       NULL AS score
FROM page JOIN store_items AS i ON i.ns = page.ns AND i.key = page.key
ORDER BY page.updated_at DESC, page.ns, page.key;

-- name: search_text :many
-- As search, ranked by relevance to the query's words. :needles is a JSON array of
-- {"text", "match", "whole"} from text_search.query_needles: `match` an FTS5 expression of
-- quoted terms (user text is never FTS syntax), `text` the word a matching item's terms
-- contain, `whole` the pattern of a whole-word match. An item matches when it holds any word;
-- each word scores BM25-style over the matching items (rarer words and shorter texts weigh
-- more, b = idf x length factor): 1 + b for a whole-word match, b / (1 + b) inside a word,
-- summed over the words, as the memory store ranks. Filters as in search.
WITH needles AS MATERIALIZED (
    SELECT w.key AS n, w.value ->> '$.text' AS text, w.value ->> '$.match' AS match,
           w.value ->> '$.whole' AS whole
    FROM json_each(:needles) AS w
),
expression (text) AS (
    SELECT group_concat('(' || match || ')', ' OR ') FROM needles
),
candidates AS MATERIALIZED (
    SELECT i.ns, i.key, i.search_text, length(i.search_text) AS len
    FROM store_items_fts AS s
    JOIN store_items AS i ON i.rid = s.rowid
    WHERE store_items_fts MATCH (SELECT text FROM expression)
      AND i.ns >= :lo AND (:hi IS NULL OR i.ns < :hi)
      AND (i.expires_at IS NULL OR i.expires_at > :now)
      AND (:o1 = 0 OR coalesce(CASE :o1
            WHEN 1 THEN i.value ->> :p1 = :v1 AND json_type(i.value, :p1) = 'text'
            WHEN 2 THEN i.value ->> :p1 = :v1 AND json_type(i.value, :p1) IN ('integer', 'real')
            WHEN 3 THEN i.value ->> :p1 > :v1 AND json_type(i.value, :p1) IN ('integer', 'real')
            WHEN 4 THEN i.value ->> :p1 >= :v1 AND json_type(i.value, :p1) IN ('integer', 'real')
            WHEN 5 THEN i.value ->> :p1 < :v1 AND json_type(i.value, :p1) IN ('integer', 'real')
            WHEN 6 THEN i.value ->> :p1 <= :v1 AND json_type(i.value, :p1) IN ('integer', 'real')
            WHEN 7 THEN i.value ->> :p1 > :v1 AND json_type(i.value, :p1) = 'text'
            WHEN 8 THEN i.value ->> :p1 >= :v1 AND json_type(i.value, :p1) = 'text'
            WHEN 9 THEN i.value ->> :p1 < :v1 AND json_type(i.value, :p1) = 'text'
            WHEN 10 THEN i.value ->> :p1 <= :v1 AND json_type(i.value, :p1) = 'text'
            WHEN 11 THEN json_type(i.value, :p1) IN ('array', 'object') AND i.value -> :p1 = :v1
            WHEN 12 THEN coalesce(json_type(i.value, :p1), 'null') = 'null'
            WHEN 13 THEN json_type(i.value, :p1) = 'true'
            WHEN 14 THEN json_type(i.value, :p1) = 'false'
            WHEN 15 THEN json_type(i.value, :p1) IN ('integer', 'real')
            ELSE 0 END, 0) <> :n1)
      AND (:o2 = 0 OR coalesce(CASE :o2
            WHEN 1 THEN i.value ->> :p2 = :v2 AND json_type(i.value, :p2) = 'text'
            WHEN 2 THEN i.value ->> :p2 = :v2 AND json_type(i.value, :p2) IN ('integer', 'real')
            WHEN 3 THEN i.value ->> :p2 > :v2 AND json_type(i.value, :p2) IN ('integer', 'real')
            WHEN 4 THEN i.value ->> :p2 >= :v2 AND json_type(i.value, :p2) IN ('integer', 'real')
            WHEN 5 THEN i.value ->> :p2 < :v2 AND json_type(i.value, :p2) IN ('integer', 'real')
            WHEN 6 THEN i.value ->> :p2 <= :v2 AND json_type(i.value, :p2) IN ('integer', 'real')
            WHEN 7 THEN i.value ->> :p2 > :v2 AND json_type(i.value, :p2) = 'text'
            WHEN 8 THEN i.value ->> :p2 >= :v2 AND json_type(i.value, :p2) = 'text'
            WHEN 9 THEN i.value ->> :p2 < :v2 AND json_type(i.value, :p2) = 'text'
            WHEN 10 THEN i.value ->> :p2 <= :v2 AND json_type(i.value, :p2) = 'text'
            WHEN 11 THEN json_type(i.value, :p2) IN ('array', 'object') AND i.value -> :p2 = :v2
            WHEN 12 THEN coalesce(json_type(i.value, :p2), 'null') = 'null'
            WHEN 13 THEN json_type(i.value, :p2) = 'true'
            WHEN 14 THEN json_type(i.value, :p2) = 'false'
            WHEN 15 THEN json_type(i.value, :p2) IN ('integer', 'real')
            ELSE 0 END, 0) <> :n2)
      AND (:o3 = 0 OR coalesce(CASE :o3
            WHEN 1 THEN i.value ->> :p3 = :v3 AND json_type(i.value, :p3) = 'text'
            WHEN 2 THEN i.value ->> :p3 = :v3 AND json_type(i.value, :p3) IN ('integer', 'real')
            WHEN 3 THEN i.value ->> :p3 > :v3 AND json_type(i.value, :p3) IN ('integer', 'real')
            WHEN 4 THEN i.value ->> :p3 >= :v3 AND json_type(i.value, :p3) IN ('integer', 'real')
            WHEN 5 THEN i.value ->> :p3 < :v3 AND json_type(i.value, :p3) IN ('integer', 'real')
            WHEN 6 THEN i.value ->> :p3 <= :v3 AND json_type(i.value, :p3) IN ('integer', 'real')
            WHEN 7 THEN i.value ->> :p3 > :v3 AND json_type(i.value, :p3) = 'text'
            WHEN 8 THEN i.value ->> :p3 >= :v3 AND json_type(i.value, :p3) = 'text'
            WHEN 9 THEN i.value ->> :p3 < :v3 AND json_type(i.value, :p3) = 'text'
            WHEN 10 THEN i.value ->> :p3 <= :v3 AND json_type(i.value, :p3) = 'text'
            WHEN 11 THEN json_type(i.value, :p3) IN ('array', 'object') AND i.value -> :p3 = :v3
            WHEN 12 THEN coalesce(json_type(i.value, :p3), 'null') = 'null'
            WHEN 13 THEN json_type(i.value, :p3) = 'true'
            WHEN 14 THEN json_type(i.value, :p3) = 'false'
            WHEN 15 THEN json_type(i.value, :p3) IN ('integer', 'real')
            ELSE 0 END, 0) <> :n3)
      AND (:o4 = 0 OR coalesce(CASE :o4
            WHEN 1 THEN i.value ->> :p4 = :v4 AND json_type(i.value, :p4) = 'text'
            WHEN 2 THEN i.value ->> :p4 = :v4 AND json_type(i.value, :p4) IN ('integer', 'real')
            WHEN 3 THEN i.value ->> :p4 > :v4 AND json_type(i.value, :p4) IN ('integer', 'real')
            WHEN 4 THEN i.value ->> :p4 >= :v4 AND json_type(i.value, :p4) IN ('integer', 'real')
            WHEN 5 THEN i.value ->> :p4 < :v4 AND json_type(i.value, :p4) IN ('integer', 'real')
            WHEN 6 THEN i.value ->> :p4 <= :v4 AND json_type(i.value, :p4) IN ('integer', 'real')
            WHEN 7 THEN i.value ->> :p4 > :v4 AND json_type(i.value, :p4) = 'text'
            WHEN 8 THEN i.value ->> :p4 >= :v4 AND json_type(i.value, :p4) = 'text'
            WHEN 9 THEN i.value ->> :p4 < :v4 AND json_type(i.value, :p4) = 'text'
            WHEN 10 THEN i.value ->> :p4 <= :v4 AND json_type(i.value, :p4) = 'text'
            WHEN 11 THEN json_type(i.value, :p4) IN ('array', 'object') AND i.value -> :p4 = :v4
            WHEN 12 THEN coalesce(json_type(i.value, :p4), 'null') = 'null'
            WHEN 13 THEN json_type(i.value, :p4) = 'true'
            WHEN 14 THEN json_type(i.value, :p4) = 'false'
            WHEN 15 THEN json_type(i.value, :p4) IN ('integer', 'real')
            ELSE 0 END, 0) <> :n4)
      AND (:more IS NULL OR NOT EXISTS (
        SELECT 1 FROM (SELECT c.value ->> 0 AS o, c.value ->> 1 AS p, c.value ->> 2 AS v,
                              c.value ->> 3 AS n
                       FROM json_each(:more) AS c) AS f
        WHERE coalesce(CASE f.o
            WHEN 1 THEN i.value ->> f.p = f.v AND json_type(i.value, f.p) = 'text'
            WHEN 2 THEN i.value ->> f.p = f.v AND json_type(i.value, f.p) IN ('integer', 'real')
            WHEN 3 THEN i.value ->> f.p > f.v AND json_type(i.value, f.p) IN ('integer', 'real')
            WHEN 4 THEN i.value ->> f.p >= f.v AND json_type(i.value, f.p) IN ('integer', 'real')
            WHEN 5 THEN i.value ->> f.p < f.v AND json_type(i.value, f.p) IN ('integer', 'real')
            WHEN 6 THEN i.value ->> f.p <= f.v AND json_type(i.value, f.p) IN ('integer', 'real')
            WHEN 7 THEN i.value ->> f.p > f.v AND json_type(i.value, f.p) = 'text'
            WHEN 8 THEN i.value ->> f.p >= f.v AND json_type(i.value, f.p) = 'text'
            WHEN 9 THEN i.value ->> f.p < f.v AND json_type(i.value, f.p) = 'text'
            WHEN 10 THEN i.value ->> f.p <= f.v AND json_type(i.value, f.p) = 'text'
            WHEN 11 THEN json_type(i.value, f.p) IN ('array', 'object') AND i.value -> f.p = f.v
            WHEN 12 THEN coalesce(json_type(i.value, f.p), 'null') = 'null'
            WHEN 13 THEN json_type(i.value, f.p) = 'true'
            WHEN 14 THEN json_type(i.value, f.p) = 'false'
            WHEN 15 THEN json_type(i.value, f.p) IN ('integer', 'real')
            ELSE 0 END, 0) = f.n))
),
hits AS MATERIALIZED (
    SELECT c.ns, c.key, c.len, w.n, instr(' ' || c.search_text || ' ', w.whole) > 0 AS whole
    FROM candidates AS c JOIN needles AS w ON instr(c.search_text, w.text) > 0
),
stats AS MATERIALIZED (
    SELECT count(*) AS items, avg(len) AS avg_len FROM (SELECT DISTINCT ns, key, len FROM hits)
),
frequency AS MATERIALIZED (
    SELECT n, count(*) AS df FROM hits GROUP BY n
),
scores AS (
    SELECT h.ns, h.key, sum(CASE WHEN h.whole THEN 1 + h.b ELSE h.b / (1 + h.b) END) AS score
    FROM (SELECT hits.ns, hits.key, hits.whole,
                 ln(1 + (s.items - f.df + 0.5) / (f.df + 0.5))
                 * 2.2 / (1 + 1.2 * (0.25 + 0.75 * hits.len / s.avg_len)) AS b
          FROM hits JOIN frequency AS f USING (n) CROSS JOIN stats AS s) AS h
    GROUP BY h.ns, h.key
)
SELECT i.ns, i.key, json(i.value) AS value, i.created_at, i.updated_at, i.ttl_minutes,
       s.score
FROM scores AS s JOIN store_items AS i ON i.ns = s.ns AND i.key = s.key
ORDER BY s.score DESC, i.updated_at DESC, i.ns, i.key
LIMIT :limit OFFSET :offset;

-- name: list_namespaces :many
-- Namespaces holding a live item, in tuple order (the primary key's): ns in [:lo, :hi), rns
-- (the reversed labels) in [:rlo, :rhi), at least :min_depth labels, each of :checks
-- ([from_end, index, label]) holding.
SELECT n.ns FROM store_namespaces AS n
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
ORDER BY n.ns
LIMIT :limit OFFSET :offset;

-- name: list_namespace_prefixes :many
-- As list_namespaces, each namespace cut to its first :max_depth labels, distinct.
SELECT DISTINCT
       CASE WHEN n.depth <= :max_depth THEN n.ns
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
