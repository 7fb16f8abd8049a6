-- name: find :scalar
-- A live item (expired ones are invisible before any sweep) as one JSON array [value,
-- created_at, updated_at, ttl_minutes]: a single column decoded by one json.loads.
SELECT json_build_array(value, created_at, updated_at, ttl_minutes)::text FROM store_items
WHERE ns = %(ns)s AND key = %(key)s AND (expires_at IS NULL OR expires_at > %(now)s);

-- name: refresh :exec
-- Extend live items' expiry: :refreshes is a JSON array of [ns, key, new expires_at] (the
-- store adds each item's own ttl to the read's time). One statement for a whole page of reads;
-- an item that expired meanwhile is never revived.
UPDATE store_items AS i SET expires_at = (r.x ->> 2)::timestamptz
FROM jsonb_array_elements(%(refreshes)s::jsonb) AS r (x)
WHERE i.ns = r.x ->> 0 AND i.key = r.x ->> 1
  AND i.ttl_minutes IS NOT NULL AND i.expires_at > %(now)s;

-- name: upsert :exec
-- Write an item and register its namespace, in one round trip. An existing namespace row is
-- locked FOR KEY SHARE (no new row version) until the transaction ends, so a concurrent sweep
-- of empty namespaces (FOR UPDATE SKIP LOCKED) cannot drop it under an uncommitted item.
-- created_at is kept while the previous item is live.
WITH held AS (
    SELECT ns FROM store_namespaces WHERE ns = %(ns)s FOR KEY SHARE
),
namespace AS (
    INSERT INTO store_namespaces (ns, rns, labels, depth)
    SELECT %(ns)s, %(rns)s, %(labels)s::jsonb, %(depth)s WHERE NOT EXISTS (SELECT 1 FROM held)
    ON CONFLICT (ns) DO NOTHING
),
terms AS (
    INSERT INTO store_item_terms (ns, key, search_text)
    SELECT %(ns)s, %(key)s, %(search_text)s WHERE %(search_text)s <> ''
    ON CONFLICT (ns, key) DO UPDATE SET search_text = excluded.search_text
    WHERE store_item_terms.search_text <> excluded.search_text
),
no_terms AS (
    DELETE FROM store_item_terms
    WHERE ns = %(ns)s AND key = %(key)s AND %(search_text)s = ''
)
INSERT INTO store_items (ns, key, value, created_at, updated_at, expires_at, ttl_minutes)
VALUES (%(ns)s, %(key)s, %(value)s::jsonb, %(now)s, %(now)s, %(expires_at)s, %(ttl_minutes)s)
ON CONFLICT (ns, key) DO UPDATE
SET value = excluded.value,
    updated_at = excluded.updated_at,
    expires_at = excluded.expires_at,
    ttl_minutes = excluded.ttl_minutes,
    created_at = CASE WHEN store_items.expires_at IS NOT NULL
                           AND store_items.expires_at <= excluded.updated_at
                      THEN excluded.created_at ELSE store_items.created_at END;

-- name: delete :exec
-- The item and its terms. The namespace row stays until a sweep (delete_empty_namespaces);
-- reads never list a namespace without a live item.
WITH terms AS (
    DELETE FROM store_item_terms WHERE ns = %(ns)s AND key = %(key)s
)
DELETE FROM store_items WHERE ns = %(ns)s AND key = %(key)s;

-- name: delete_expired :exec
-- Expired items and their terms; the count is the items'.
WITH terms AS (
    DELETE FROM store_item_terms AS t USING store_items AS i
    WHERE i.ns = t.ns AND i.key = t.key
      AND i.expires_at IS NOT NULL AND i.expires_at <= %(now)s
)
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
-- condition, newest first. The page is chosen first and only its rows are rendered as text.
-- Filters: up to four conditions in the slots o1..o4 (op code, 0 = unused), p1..p4 (SQLite JSON
-- path; a text[] literal on PostgreSQL), v1..v4 (operand; JSON text on PostgreSQL), n1..n4 (1
-- negates, for $ne); further conditions in :more, a JSON array of [o, p, v, n, q]. Op codes:
-- 1 text =, 2 number =, 3-6 number > >= < <=, 7-10 text > >= < <= (code point order),
-- 11 array/object =, 12 null or missing, 13 true, 14 false, 15 any number, else never.
WITH page AS MATERIALIZED (
    SELECT i.ns, i.key, i.updated_at FROM store_items AS i
    CROSS JOIN LATERAL (  -- OFFSET 0: not inlined, so one lookup per slot per row
    SELECT
           CASE WHEN %(o1)s::int = 0 THEN NULL WHEN cardinality(%(p1)s::text[]) = 1
                THEN i.value -> (%(p1)s::text[])[1] ELSE i.value #> %(p1)s::text[] END AS j1,
           CASE WHEN %(o2)s::int = 0 THEN NULL WHEN cardinality(%(p2)s::text[]) = 1
                THEN i.value -> (%(p2)s::text[])[1] ELSE i.value #> %(p2)s::text[] END AS j2,
           CASE WHEN %(o3)s::int = 0 THEN NULL WHEN cardinality(%(p3)s::text[]) = 1
                THEN i.value -> (%(p3)s::text[])[1] ELSE i.value #> %(p3)s::text[] END AS j3,
           CASE WHEN %(o4)s::int = 0 THEN NULL WHEN cardinality(%(p4)s::text[]) = 1
                THEN i.value -> (%(p4)s::text[])[1] ELSE i.value #> %(p4)s::text[] END AS j4
    OFFSET 0) AS f
    WHERE i.ns >= %(lo)s AND (%(hi)s::text IS NULL OR i.ns < %(hi)s)
      AND (i.expires_at IS NULL OR i.expires_at > %(now)s)
      AND (%(o1)s::int = 0 OR coalesce(CASE %(o1)s::int
            WHEN 1 THEN f.j1 = %(v1)s::jsonb
            WHEN 2 THEN f.j1 = %(v1)s::jsonb
            WHEN 3 THEN f.j1 > %(v1)s::jsonb AND jsonb_typeof(f.j1) = 'number'
            WHEN 4 THEN f.j1 >= %(v1)s::jsonb AND jsonb_typeof(f.j1) = 'number'
            WHEN 5 THEN f.j1 < %(v1)s::jsonb AND jsonb_typeof(f.j1) = 'number'
            WHEN 6 THEN f.j1 <= %(v1)s::jsonb AND jsonb_typeof(f.j1) = 'number'
            WHEN 7 THEN (f.j1 #>> '{}') COLLATE "C" > (%(v1)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j1) = 'string'
            WHEN 8 THEN (f.j1 #>> '{}') COLLATE "C" >= (%(v1)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j1) = 'string'
            WHEN 9 THEN (f.j1 #>> '{}') COLLATE "C" < (%(v1)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j1) = 'string'
            WHEN 10 THEN (f.j1 #>> '{}') COLLATE "C" <= (%(v1)s::jsonb #>> '{}')
                         AND jsonb_typeof(f.j1) = 'string'
            WHEN 11 THEN f.j1 = %(v1)s::jsonb
            WHEN 12 THEN f.j1 IS NULL OR f.j1 = 'null'::jsonb
            WHEN 13 THEN f.j1 = 'true'::jsonb
            WHEN 14 THEN f.j1 = 'false'::jsonb
            WHEN 15 THEN jsonb_typeof(f.j1) = 'number'
            ELSE false END, false) <> (%(n1)s::int = 1))
      AND (%(o2)s::int = 0 OR coalesce(CASE %(o2)s::int
            WHEN 1 THEN f.j2 = %(v2)s::jsonb
            WHEN 2 THEN f.j2 = %(v2)s::jsonb
            WHEN 3 THEN f.j2 > %(v2)s::jsonb AND jsonb_typeof(f.j2) = 'number'
            WHEN 4 THEN f.j2 >= %(v2)s::jsonb AND jsonb_typeof(f.j2) = 'number'
            WHEN 5 THEN f.j2 < %(v2)s::jsonb AND jsonb_typeof(f.j2) = 'number'
            WHEN 6 THEN f.j2 <= %(v2)s::jsonb AND jsonb_typeof(f.j2) = 'number'
            WHEN 7 THEN (f.j2 #>> '{}') COLLATE "C" > (%(v2)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j2) = 'string'
            WHEN 8 THEN (f.j2 #>> '{}') COLLATE "C" >= (%(v2)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j2) = 'string'
            WHEN 9 THEN (f.j2 #>> '{}') COLLATE "C" < (%(v2)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j2) = 'string'
            WHEN 10 THEN (f.j2 #>> '{}') COLLATE "C" <= (%(v2)s::jsonb #>> '{}')
                         AND jsonb_typeof(f.j2) = 'string'
            WHEN 11 THEN f.j2 = %(v2)s::jsonb
            WHEN 12 THEN f.j2 IS NULL OR f.j2 = 'null'::jsonb
            WHEN 13 THEN f.j2 = 'true'::jsonb
            WHEN 14 THEN f.j2 = 'false'::jsonb
            WHEN 15 THEN jsonb_typeof(f.j2) = 'number'
            ELSE false END, false) <> (%(n2)s::int = 1))
      AND (%(o3)s::int = 0 OR coalesce(CASE %(o3)s::int
            WHEN 1 THEN f.j3 = %(v3)s::jsonb
            WHEN 2 THEN f.j3 = %(v3)s::jsonb
            WHEN 3 THEN f.j3 > %(v3)s::jsonb AND jsonb_typeof(f.j3) = 'number'
            WHEN 4 THEN f.j3 >= %(v3)s::jsonb AND jsonb_typeof(f.j3) = 'number'
            WHEN 5 THEN f.j3 < %(v3)s::jsonb AND jsonb_typeof(f.j3) = 'number'
            WHEN 6 THEN f.j3 <= %(v3)s::jsonb AND jsonb_typeof(f.j3) = 'number'
            WHEN 7 THEN (f.j3 #>> '{}') COLLATE "C" > (%(v3)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j3) = 'string'
            WHEN 8 THEN (f.j3 #>> '{}') COLLATE "C" >= (%(v3)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j3) = 'string'
            WHEN 9 THEN (f.j3 #>> '{}') COLLATE "C" < (%(v3)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j3) = 'string'
            WHEN 10 THEN (f.j3 #>> '{}') COLLATE "C" <= (%(v3)s::jsonb #>> '{}')
                         AND jsonb_typeof(f.j3) = 'string'
            WHEN 11 THEN f.j3 = %(v3)s::jsonb
            WHEN 12 THEN f.j3 IS NULL OR f.j3 = 'null'::jsonb
            WHEN 13 THEN f.j3 = 'true'::jsonb
            WHEN 14 THEN f.j3 = 'false'::jsonb
            WHEN 15 THEN jsonb_typeof(f.j3) = 'number'
            ELSE false END, false) <> (%(n3)s::int = 1))
      AND (%(o4)s::int = 0 OR coalesce(CASE %(o4)s::int
            WHEN 1 THEN f.j4 = %(v4)s::jsonb
            WHEN 2 THEN f.j4 = %(v4)s::jsonb
            WHEN 3 THEN f.j4 > %(v4)s::jsonb AND jsonb_typeof(f.j4) = 'number'
            WHEN 4 THEN f.j4 >= %(v4)s::jsonb AND jsonb_typeof(f.j4) = 'number'
            WHEN 5 THEN f.j4 < %(v4)s::jsonb AND jsonb_typeof(f.j4) = 'number'
            WHEN 6 THEN f.j4 <= %(v4)s::jsonb AND jsonb_typeof(f.j4) = 'number'
            WHEN 7 THEN (f.j4 #>> '{}') COLLATE "C" > (%(v4)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j4) = 'string'
            WHEN 8 THEN (f.j4 #>> '{}') COLLATE "C" >= (%(v4)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j4) = 'string'
            WHEN 9 THEN (f.j4 #>> '{}') COLLATE "C" < (%(v4)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j4) = 'string'
            WHEN 10 THEN (f.j4 #>> '{}') COLLATE "C" <= (%(v4)s::jsonb #>> '{}')
                         AND jsonb_typeof(f.j4) = 'string'
            WHEN 11 THEN f.j4 = %(v4)s::jsonb
            WHEN 12 THEN f.j4 IS NULL OR f.j4 = 'null'::jsonb
            WHEN 13 THEN f.j4 = 'true'::jsonb
            WHEN 14 THEN f.j4 = 'false'::jsonb
            WHEN 15 THEN jsonb_typeof(f.j4) = 'number'
            ELSE false END, false) <> (%(n4)s::int = 1))
      AND (%(more)s::jsonb IS NULL OR NOT EXISTS (
        SELECT 1 FROM (SELECT (c.x ->> 0)::int AS o, (c.x ->> 4)::text[] AS q, c.x -> 2 AS v,
                              (c.x ->> 3)::int = 1 AS n
                       FROM jsonb_array_elements(%(more)s::jsonb) AS c (x)) AS m
        WHERE coalesce(CASE m.o
            WHEN 1 THEN (i.value #> m.q) = m.v
            WHEN 2 THEN (i.value #> m.q) = m.v
            WHEN 3 THEN (i.value #> m.q) > m.v AND jsonb_typeof((i.value #> m.q)) = 'number'
            WHEN 4 THEN (i.value #> m.q) >= m.v AND jsonb_typeof((i.value #> m.q)) = 'number'
            WHEN 5 THEN (i.value #> m.q) < m.v AND jsonb_typeof((i.value #> m.q)) = 'number'
            WHEN 6 THEN (i.value #> m.q) <= m.v AND jsonb_typeof((i.value #> m.q)) = 'number'
            WHEN 7 THEN ((i.value #> m.q) #>> '{}') COLLATE "C" > (m.v #>> '{}')
                        AND jsonb_typeof((i.value #> m.q)) = 'string'
            WHEN 8 THEN ((i.value #> m.q) #>> '{}') COLLATE "C" >= (m.v #>> '{}')
                        AND jsonb_typeof((i.value #> m.q)) = 'string'
            WHEN 9 THEN ((i.value #> m.q) #>> '{}') COLLATE "C" < (m.v #>> '{}')
                        AND jsonb_typeof((i.value #> m.q)) = 'string'
            WHEN 10 THEN ((i.value #> m.q) #>> '{}') COLLATE "C" <= (m.v #>> '{}')
                         AND jsonb_typeof((i.value #> m.q)) = 'string'
            WHEN 11 THEN (i.value #> m.q) = m.v
            WHEN 12 THEN (i.value #> m.q) IS NULL OR (i.value #> m.q) = 'null'::jsonb
            WHEN 13 THEN (i.value #> m.q) = 'true'::jsonb
            WHEN 14 THEN (i.value #> m.q) = 'false'::jsonb
            WHEN 15 THEN jsonb_typeof((i.value #> m.q)) = 'number'
            ELSE false END, false) = m.n))
    ORDER BY i.updated_at DESC, i.ns, i.key
    LIMIT %(limit)s OFFSET %(offset)s
)
SELECT i.ns, i.key, i.value::text AS value, i.created_at, i.updated_at, i.ttl_minutes,
       NULL::float8 AS score
FROM page JOIN store_items AS i USING (ns, key)
ORDER BY page.updated_at DESC, page.ns, page.key;

-- name: search_contained :many
-- As search, for filters with equalities on strings, numbers or booleans: :contains is a JSON
-- object holding them, and the GIN index on value finds the items containing it first.
WITH page AS MATERIALIZED (
    SELECT i.ns, i.key, i.updated_at FROM store_items AS i
    CROSS JOIN LATERAL (  -- OFFSET 0: not inlined, so one lookup per slot per row
    SELECT
           CASE WHEN %(o1)s::int = 0 THEN NULL WHEN cardinality(%(p1)s::text[]) = 1
                THEN i.value -> (%(p1)s::text[])[1] ELSE i.value #> %(p1)s::text[] END AS j1,
           CASE WHEN %(o2)s::int = 0 THEN NULL WHEN cardinality(%(p2)s::text[]) = 1
                THEN i.value -> (%(p2)s::text[])[1] ELSE i.value #> %(p2)s::text[] END AS j2,
           CASE WHEN %(o3)s::int = 0 THEN NULL WHEN cardinality(%(p3)s::text[]) = 1
                THEN i.value -> (%(p3)s::text[])[1] ELSE i.value #> %(p3)s::text[] END AS j3,
           CASE WHEN %(o4)s::int = 0 THEN NULL WHEN cardinality(%(p4)s::text[]) = 1
                THEN i.value -> (%(p4)s::text[])[1] ELSE i.value #> %(p4)s::text[] END AS j4
    OFFSET 0) AS f
    WHERE i.value @> %(contains)s::jsonb
      AND i.ns >= %(lo)s AND (%(hi)s::text IS NULL OR i.ns < %(hi)s)
      AND (i.expires_at IS NULL OR i.expires_at > %(now)s)
      AND (%(o1)s::int = 0 OR coalesce(CASE %(o1)s::int
            WHEN 1 THEN f.j1 = %(v1)s::jsonb
            WHEN 2 THEN f.j1 = %(v1)s::jsonb
            WHEN 3 THEN f.j1 > %(v1)s::jsonb AND jsonb_typeof(f.j1) = 'number'
            WHEN 4 THEN f.j1 >= %(v1)s::jsonb AND jsonb_typeof(f.j1) = 'number'
            WHEN 5 THEN f.j1 < %(v1)s::jsonb AND jsonb_typeof(f.j1) = 'number'
            WHEN 6 THEN f.j1 <= %(v1)s::jsonb AND jsonb_typeof(f.j1) = 'number'
            WHEN 7 THEN (f.j1 #>> '{}') COLLATE "C" > (%(v1)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j1) = 'string'
            WHEN 8 THEN (f.j1 #>> '{}') COLLATE "C" >= (%(v1)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j1) = 'string'
            WHEN 9 THEN (f.j1 #>> '{}') COLLATE "C" < (%(v1)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j1) = 'string'
            WHEN 10 THEN (f.j1 #>> '{}') COLLATE "C" <= (%(v1)s::jsonb #>> '{}')
                         AND jsonb_typeof(f.j1) = 'string'
            WHEN 11 THEN f.j1 = %(v1)s::jsonb
            WHEN 12 THEN f.j1 IS NULL OR f.j1 = 'null'::jsonb
            WHEN 13 THEN f.j1 = 'true'::jsonb
            WHEN 14 THEN f.j1 = 'false'::jsonb
            WHEN 15 THEN jsonb_typeof(f.j1) = 'number'
            ELSE false END, false) <> (%(n1)s::int = 1))
      AND (%(o2)s::int = 0 OR coalesce(CASE %(o2)s::int
            WHEN 1 THEN f.j2 = %(v2)s::jsonb
            WHEN 2 THEN f.j2 = %(v2)s::jsonb
            WHEN 3 THEN f.j2 > %(v2)s::jsonb AND jsonb_typeof(f.j2) = 'number'
            WHEN 4 THEN f.j2 >= %(v2)s::jsonb AND jsonb_typeof(f.j2) = 'number'
            WHEN 5 THEN f.j2 < %(v2)s::jsonb AND jsonb_typeof(f.j2) = 'number'
            WHEN 6 THEN f.j2 <= %(v2)s::jsonb AND jsonb_typeof(f.j2) = 'number'
            WHEN 7 THEN (f.j2 #>> '{}') COLLATE "C" > (%(v2)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j2) = 'string'
            WHEN 8 THEN (f.j2 #>> '{}') COLLATE "C" >= (%(v2)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j2) = 'string'
            WHEN 9 THEN (f.j2 #>> '{}') COLLATE "C" < (%(v2)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j2) = 'string'
            WHEN 10 THEN (f.j2 #>> '{}') COLLATE "C" <= (%(v2)s::jsonb #>> '{}')
                         AND jsonb_typeof(f.j2) = 'string'
            WHEN 11 THEN f.j2 = %(v2)s::jsonb
            WHEN 12 THEN f.j2 IS NULL OR f.j2 = 'null'::jsonb
            WHEN 13 THEN f.j2 = 'true'::jsonb
            WHEN 14 THEN f.j2 = 'false'::jsonb
            WHEN 15 THEN jsonb_typeof(f.j2) = 'number'
            ELSE false END, false) <> (%(n2)s::int = 1))
      AND (%(o3)s::int = 0 OR coalesce(CASE %(o3)s::int
            WHEN 1 THEN f.j3 = %(v3)s::jsonb
            WHEN 2 THEN f.j3 = %(v3)s::jsonb
            WHEN 3 THEN f.j3 > %(v3)s::jsonb AND jsonb_typeof(f.j3) = 'number'
            WHEN 4 THEN f.j3 >= %(v3)s::jsonb AND jsonb_typeof(f.j3) = 'number'
            WHEN 5 THEN f.j3 < %(v3)s::jsonb AND jsonb_typeof(f.j3) = 'number'
            WHEN 6 THEN f.j3 <= %(v3)s::jsonb AND jsonb_typeof(f.j3) = 'number'
            WHEN 7 THEN (f.j3 #>> '{}') COLLATE "C" > (%(v3)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j3) = 'string'
            WHEN 8 THEN (f.j3 #>> '{}') COLLATE "C" >= (%(v3)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j3) = 'string'
            WHEN 9 THEN (f.j3 #>> '{}') COLLATE "C" < (%(v3)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j3) = 'string'
            WHEN 10 THEN (f.j3 #>> '{}') COLLATE "C" <= (%(v3)s::jsonb #>> '{}')
                         AND jsonb_typeof(f.j3) = 'string'
            WHEN 11 THEN f.j3 = %(v3)s::jsonb
            WHEN 12 THEN f.j3 IS NULL OR f.j3 = 'null'::jsonb
            WHEN 13 THEN f.j3 = 'true'::jsonb
            WHEN 14 THEN f.j3 = 'false'::jsonb
            WHEN 15 THEN jsonb_typeof(f.j3) = 'number'
            ELSE false END, false) <> (%(n3)s::int = 1))
      AND (%(o4)s::int = 0 OR coalesce(CASE %(o4)s::int
            WHEN 1 THEN f.j4 = %(v4)s::jsonb
            WHEN 2 THEN f.j4 = %(v4)s::jsonb
            WHEN 3 THEN f.j4 > %(v4)s::jsonb AND jsonb_typeof(f.j4) = 'number'
            WHEN 4 THEN f.j4 >= %(v4)s::jsonb AND jsonb_typeof(f.j4) = 'number'
            WHEN 5 THEN f.j4 < %(v4)s::jsonb AND jsonb_typeof(f.j4) = 'number'
            WHEN 6 THEN f.j4 <= %(v4)s::jsonb AND jsonb_typeof(f.j4) = 'number'
            WHEN 7 THEN (f.j4 #>> '{}') COLLATE "C" > (%(v4)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j4) = 'string'
            WHEN 8 THEN (f.j4 #>> '{}') COLLATE "C" >= (%(v4)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j4) = 'string'
            WHEN 9 THEN (f.j4 #>> '{}') COLLATE "C" < (%(v4)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j4) = 'string'
            WHEN 10 THEN (f.j4 #>> '{}') COLLATE "C" <= (%(v4)s::jsonb #>> '{}')
                         AND jsonb_typeof(f.j4) = 'string'
            WHEN 11 THEN f.j4 = %(v4)s::jsonb
            WHEN 12 THEN f.j4 IS NULL OR f.j4 = 'null'::jsonb
            WHEN 13 THEN f.j4 = 'true'::jsonb
            WHEN 14 THEN f.j4 = 'false'::jsonb
            WHEN 15 THEN jsonb_typeof(f.j4) = 'number'
            ELSE false END, false) <> (%(n4)s::int = 1))
      AND (%(more)s::jsonb IS NULL OR NOT EXISTS (
        SELECT 1 FROM (SELECT (c.x ->> 0)::int AS o, (c.x ->> 4)::text[] AS q, c.x -> 2 AS v,
                              (c.x ->> 3)::int = 1 AS n
                       FROM jsonb_array_elements(%(more)s::jsonb) AS c (x)) AS m
        WHERE coalesce(CASE m.o
            WHEN 1 THEN (i.value #> m.q) = m.v
            WHEN 2 THEN (i.value #> m.q) = m.v
            WHEN 3 THEN (i.value #> m.q) > m.v AND jsonb_typeof((i.value #> m.q)) = 'number'
            WHEN 4 THEN (i.value #> m.q) >= m.v AND jsonb_typeof((i.value #> m.q)) = 'number'
            WHEN 5 THEN (i.value #> m.q) < m.v AND jsonb_typeof((i.value #> m.q)) = 'number'
            WHEN 6 THEN (i.value #> m.q) <= m.v AND jsonb_typeof((i.value #> m.q)) = 'number'
            WHEN 7 THEN ((i.value #> m.q) #>> '{}') COLLATE "C" > (m.v #>> '{}')
                        AND jsonb_typeof((i.value #> m.q)) = 'string'
            WHEN 8 THEN ((i.value #> m.q) #>> '{}') COLLATE "C" >= (m.v #>> '{}')
                        AND jsonb_typeof((i.value #> m.q)) = 'string'
            WHEN 9 THEN ((i.value #> m.q) #>> '{}') COLLATE "C" < (m.v #>> '{}')
                        AND jsonb_typeof((i.value #> m.q)) = 'string'
            WHEN 10 THEN ((i.value #> m.q) #>> '{}') COLLATE "C" <= (m.v #>> '{}')
                         AND jsonb_typeof((i.value #> m.q)) = 'string'
            WHEN 11 THEN (i.value #> m.q) = m.v
            WHEN 12 THEN (i.value #> m.q) IS NULL OR (i.value #> m.q) = 'null'::jsonb
            WHEN 13 THEN (i.value #> m.q) = 'true'::jsonb
            WHEN 14 THEN (i.value #> m.q) = 'false'::jsonb
            WHEN 15 THEN jsonb_typeof((i.value #> m.q)) = 'number'
            ELSE false END, false) = m.n))
    ORDER BY i.updated_at DESC, i.ns, i.key
    LIMIT %(limit)s OFFSET %(offset)s
)
SELECT i.ns, i.key, i.value::text AS value, i.created_at, i.updated_at, i.ttl_minutes,
       NULL::float8 AS score
FROM page JOIN store_items AS i USING (ns, key)
ORDER BY page.updated_at DESC, page.ns, page.key;

-- name: search_text :many
-- As search, ranked by relevance to the query's words. :needles is a JSON array of
-- {"text", "match", "whole"} from text_search.query_needles: `match` a tsquery of quoted
-- lexemes (user text is never tsquery syntax), `text` the word a matching item's terms
-- contain, `whole` the pattern of a whole-word match. An item matches when it holds any word;
-- each word scores BM25-style over the matching items (rarer words and shorter texts weigh
-- more, b = idf x length factor): 1 + b for a whole-word match, b / (1 + b) inside a word,
-- summed over the words: the same formula as SQLite's and as the memory store's. Filters as in
-- search.
WITH needles AS MATERIALIZED (
    SELECT w.n, w.value ->> 'text' AS text, w.value ->> 'match' AS match,
           w.value ->> 'whole' AS whole
    FROM jsonb_array_elements(%(needles)s::jsonb) WITH ORDINALITY AS w (value, n)
),
query AS (
    SELECT string_agg('(' || match || ')', ' | ' ORDER BY n)::tsquery AS tsq FROM needles
),
candidates AS MATERIALIZED (
    SELECT i.ns, i.key, t.search_text, length(t.search_text)::float8 AS len
    FROM store_item_terms AS t JOIN store_items AS i USING (ns, key)
    CROSS JOIN LATERAL (  -- OFFSET 0: not inlined, so one lookup per slot per row
    SELECT
           CASE WHEN %(o1)s::int = 0 THEN NULL WHEN cardinality(%(p1)s::text[]) = 1
                THEN i.value -> (%(p1)s::text[])[1] ELSE i.value #> %(p1)s::text[] END AS j1,
           CASE WHEN %(o2)s::int = 0 THEN NULL WHEN cardinality(%(p2)s::text[]) = 1
                THEN i.value -> (%(p2)s::text[])[1] ELSE i.value #> %(p2)s::text[] END AS j2,
           CASE WHEN %(o3)s::int = 0 THEN NULL WHEN cardinality(%(p3)s::text[]) = 1
                THEN i.value -> (%(p3)s::text[])[1] ELSE i.value #> %(p3)s::text[] END AS j3,
           CASE WHEN %(o4)s::int = 0 THEN NULL WHEN cardinality(%(p4)s::text[]) = 1
                THEN i.value -> (%(p4)s::text[])[1] ELSE i.value #> %(p4)s::text[] END AS j4
    OFFSET 0) AS f
    WHERE t.search @@ (SELECT tsq FROM query)
      AND i.ns >= %(lo)s AND (%(hi)s::text IS NULL OR i.ns < %(hi)s)
      AND (i.expires_at IS NULL OR i.expires_at > %(now)s)
      AND (%(o1)s::int = 0 OR coalesce(CASE %(o1)s::int
            WHEN 1 THEN f.j1 = %(v1)s::jsonb
            WHEN 2 THEN f.j1 = %(v1)s::jsonb
            WHEN 3 THEN f.j1 > %(v1)s::jsonb AND jsonb_typeof(f.j1) = 'number'
            WHEN 4 THEN f.j1 >= %(v1)s::jsonb AND jsonb_typeof(f.j1) = 'number'
            WHEN 5 THEN f.j1 < %(v1)s::jsonb AND jsonb_typeof(f.j1) = 'number'
            WHEN 6 THEN f.j1 <= %(v1)s::jsonb AND jsonb_typeof(f.j1) = 'number'
            WHEN 7 THEN (f.j1 #>> '{}') COLLATE "C" > (%(v1)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j1) = 'string'
            WHEN 8 THEN (f.j1 #>> '{}') COLLATE "C" >= (%(v1)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j1) = 'string'
            WHEN 9 THEN (f.j1 #>> '{}') COLLATE "C" < (%(v1)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j1) = 'string'
            WHEN 10 THEN (f.j1 #>> '{}') COLLATE "C" <= (%(v1)s::jsonb #>> '{}')
                         AND jsonb_typeof(f.j1) = 'string'
            WHEN 11 THEN f.j1 = %(v1)s::jsonb
            WHEN 12 THEN f.j1 IS NULL OR f.j1 = 'null'::jsonb
            WHEN 13 THEN f.j1 = 'true'::jsonb
            WHEN 14 THEN f.j1 = 'false'::jsonb
            WHEN 15 THEN jsonb_typeof(f.j1) = 'number'
            ELSE false END, false) <> (%(n1)s::int = 1))
      AND (%(o2)s::int = 0 OR coalesce(CASE %(o2)s::int
            WHEN 1 THEN f.j2 = %(v2)s::jsonb
            WHEN 2 THEN f.j2 = %(v2)s::jsonb
            WHEN 3 THEN f.j2 > %(v2)s::jsonb AND jsonb_typeof(f.j2) = 'number'
            WHEN 4 THEN f.j2 >= %(v2)s::jsonb AND jsonb_typeof(f.j2) = 'number'
            WHEN 5 THEN f.j2 < %(v2)s::jsonb AND jsonb_typeof(f.j2) = 'number'
            WHEN 6 THEN f.j2 <= %(v2)s::jsonb AND jsonb_typeof(f.j2) = 'number'
            WHEN 7 THEN (f.j2 #>> '{}') COLLATE "C" > (%(v2)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j2) = 'string'
            WHEN 8 THEN (f.j2 #>> '{}') COLLATE "C" >= (%(v2)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j2) = 'string'
            WHEN 9 THEN (f.j2 #>> '{}') COLLATE "C" < (%(v2)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j2) = 'string'
            WHEN 10 THEN (f.j2 #>> '{}') COLLATE "C" <= (%(v2)s::jsonb #>> '{}')
                         AND jsonb_typeof(f.j2) = 'string'
            WHEN 11 THEN f.j2 = %(v2)s::jsonb
            WHEN 12 THEN f.j2 IS NULL OR f.j2 = 'null'::jsonb
            WHEN 13 THEN f.j2 = 'true'::jsonb
            WHEN 14 THEN f.j2 = 'false'::jsonb
            WHEN 15 THEN jsonb_typeof(f.j2) = 'number'
            ELSE false END, false) <> (%(n2)s::int = 1))
      AND (%(o3)s::int = 0 OR coalesce(CASE %(o3)s::int
            WHEN 1 THEN f.j3 = %(v3)s::jsonb
            WHEN 2 THEN f.j3 = %(v3)s::jsonb
            WHEN 3 THEN f.j3 > %(v3)s::jsonb AND jsonb_typeof(f.j3) = 'number'
            WHEN 4 THEN f.j3 >= %(v3)s::jsonb AND jsonb_typeof(f.j3) = 'number'
            WHEN 5 THEN f.j3 < %(v3)s::jsonb AND jsonb_typeof(f.j3) = 'number'
            WHEN 6 THEN f.j3 <= %(v3)s::jsonb AND jsonb_typeof(f.j3) = 'number'
            WHEN 7 THEN (f.j3 #>> '{}') COLLATE "C" > (%(v3)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j3) = 'string'
            WHEN 8 THEN (f.j3 #>> '{}') COLLATE "C" >= (%(v3)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j3) = 'string'
            WHEN 9 THEN (f.j3 #>> '{}') COLLATE "C" < (%(v3)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j3) = 'string'
            WHEN 10 THEN (f.j3 #>> '{}') COLLATE "C" <= (%(v3)s::jsonb #>> '{}')
                         AND jsonb_typeof(f.j3) = 'string'
            WHEN 11 THEN f.j3 = %(v3)s::jsonb
            WHEN 12 THEN f.j3 IS NULL OR f.j3 = 'null'::jsonb
            WHEN 13 THEN f.j3 = 'true'::jsonb
            WHEN 14 THEN f.j3 = 'false'::jsonb
            WHEN 15 THEN jsonb_typeof(f.j3) = 'number'
            ELSE false END, false) <> (%(n3)s::int = 1))
      AND (%(o4)s::int = 0 OR coalesce(CASE %(o4)s::int
            WHEN 1 THEN f.j4 = %(v4)s::jsonb
            WHEN 2 THEN f.j4 = %(v4)s::jsonb
            WHEN 3 THEN f.j4 > %(v4)s::jsonb AND jsonb_typeof(f.j4) = 'number'
            WHEN 4 THEN f.j4 >= %(v4)s::jsonb AND jsonb_typeof(f.j4) = 'number'
            WHEN 5 THEN f.j4 < %(v4)s::jsonb AND jsonb_typeof(f.j4) = 'number'
            WHEN 6 THEN f.j4 <= %(v4)s::jsonb AND jsonb_typeof(f.j4) = 'number'
            WHEN 7 THEN (f.j4 #>> '{}') COLLATE "C" > (%(v4)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j4) = 'string'
            WHEN 8 THEN (f.j4 #>> '{}') COLLATE "C" >= (%(v4)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j4) = 'string'
            WHEN 9 THEN (f.j4 #>> '{}') COLLATE "C" < (%(v4)s::jsonb #>> '{}')
                        AND jsonb_typeof(f.j4) = 'string'
            WHEN 10 THEN (f.j4 #>> '{}') COLLATE "C" <= (%(v4)s::jsonb #>> '{}')
                         AND jsonb_typeof(f.j4) = 'string'
            WHEN 11 THEN f.j4 = %(v4)s::jsonb
            WHEN 12 THEN f.j4 IS NULL OR f.j4 = 'null'::jsonb
            WHEN 13 THEN f.j4 = 'true'::jsonb
            WHEN 14 THEN f.j4 = 'false'::jsonb
            WHEN 15 THEN jsonb_typeof(f.j4) = 'number'
            ELSE false END, false) <> (%(n4)s::int = 1))
      AND (%(more)s::jsonb IS NULL OR NOT EXISTS (
        SELECT 1 FROM (SELECT (c.x ->> 0)::int AS o, (c.x ->> 4)::text[] AS q, c.x -> 2 AS v,
                              (c.x ->> 3)::int = 1 AS n
                       FROM jsonb_array_elements(%(more)s::jsonb) AS c (x)) AS m
        WHERE coalesce(CASE m.o
            WHEN 1 THEN (i.value #> m.q) = m.v
            WHEN 2 THEN (i.value #> m.q) = m.v
            WHEN 3 THEN (i.value #> m.q) > m.v AND jsonb_typeof((i.value #> m.q)) = 'number'
            WHEN 4 THEN (i.value #> m.q) >= m.v AND jsonb_typeof((i.value #> m.q)) = 'number'
            WHEN 5 THEN (i.value #> m.q) < m.v AND jsonb_typeof((i.value #> m.q)) = 'number'
            WHEN 6 THEN (i.value #> m.q) <= m.v AND jsonb_typeof((i.value #> m.q)) = 'number'
            WHEN 7 THEN ((i.value #> m.q) #>> '{}') COLLATE "C" > (m.v #>> '{}')
                        AND jsonb_typeof((i.value #> m.q)) = 'string'
            WHEN 8 THEN ((i.value #> m.q) #>> '{}') COLLATE "C" >= (m.v #>> '{}')
                        AND jsonb_typeof((i.value #> m.q)) = 'string'
            WHEN 9 THEN ((i.value #> m.q) #>> '{}') COLLATE "C" < (m.v #>> '{}')
                        AND jsonb_typeof((i.value #> m.q)) = 'string'
            WHEN 10 THEN ((i.value #> m.q) #>> '{}') COLLATE "C" <= (m.v #>> '{}')
                         AND jsonb_typeof((i.value #> m.q)) = 'string'
            WHEN 11 THEN (i.value #> m.q) = m.v
            WHEN 12 THEN (i.value #> m.q) IS NULL OR (i.value #> m.q) = 'null'::jsonb
            WHEN 13 THEN (i.value #> m.q) = 'true'::jsonb
            WHEN 14 THEN (i.value #> m.q) = 'false'::jsonb
            WHEN 15 THEN jsonb_typeof((i.value #> m.q)) = 'number'
            ELSE false END, false) = m.n))
),
hits AS MATERIALIZED (
    SELECT c.ns, c.key, c.len, w.n,
           strpos(' ' || c.search_text || ' ', w.whole) > 0 AS whole
    FROM candidates AS c JOIN needles AS w ON strpos(c.search_text, w.text) > 0
),
stats AS MATERIALIZED (
    SELECT count(*)::float8 AS items, avg(len) AS avg_len
    FROM (SELECT DISTINCT ns, key, len FROM hits) AS h
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
-- Namespaces holding a live item, in tuple order (the primary key's): ns in [:lo, :hi), rns
-- (the reversed labels) in [:rlo, :rhi), at least :min_depth labels, each of :checks
-- ([from_end, index, label]) holding.
SELECT n.ns FROM store_namespaces AS n
WHERE n.ns >= %(lo)s AND (%(hi)s::text IS NULL OR n.ns < %(hi)s)
  AND n.rns >= %(rlo)s AND (%(rhi)s::text IS NULL OR n.rns < %(rhi)s)
  AND n.depth >= %(min_depth)s
  AND (%(checks)s::jsonb IS NULL OR NOT EXISTS (
        SELECT 1 FROM jsonb_array_elements(%(checks)s::jsonb) AS c (x)
        WHERE (CASE WHEN (c.x ->> 0)::int = 1 THEN n.labels ->> (-1 - (c.x ->> 1)::int)
                    ELSE n.labels ->> (c.x ->> 1)::int END) IS DISTINCT FROM c.x ->> 2))
  AND EXISTS (SELECT 1 FROM store_items AS i
              WHERE i.ns = n.ns AND (i.expires_at IS NULL OR i.expires_at > %(now)s))
ORDER BY n.ns
LIMIT %(limit)s OFFSET %(offset)s;

-- name: list_namespace_prefixes :many
-- As list_namespaces, each namespace cut to its first :max_depth labels, distinct.
SELECT DISTINCT
       (CASE WHEN n.depth <= %(max_depth)s THEN n.ns
             ELSE array_to_string((string_to_array(n.ns, chr(1)))[1:%(max_depth)s], chr(1))
        END) COLLATE "C" AS ns
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
