-- name: upsert_checkpoint :exec
-- Insert or overwrite one checkpoint; its pending writes are left alone.
INSERT INTO checkpoints (lineage_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, ts,
                         checkpoint_type, checkpoint_data, metadata)
VALUES (%(lineage_id)s, %(checkpoint_ns)s, %(checkpoint_id)s, %(parent_checkpoint_id)s, %(ts)s,
        %(checkpoint_type)s, %(checkpoint_data)s, CAST(%(metadata)s AS json))
ON CONFLICT (lineage_id, checkpoint_ns, checkpoint_id) DO UPDATE SET
    parent_checkpoint_id = excluded.parent_checkpoint_id,
    ts = excluded.ts,
    checkpoint_type = excluded.checkpoint_type,
    checkpoint_data = excluded.checkpoint_data,
    metadata = excluded.metadata;

-- name: upsert_write :batch
-- One pending write; the same (task_id, idx) again replaces it.
INSERT INTO checkpoint_writes (lineage_id, checkpoint_ns, checkpoint_id, task_id, idx, channel,
                               value_type, value_data, task_path, seq)
VALUES (%(lineage_id)s, %(checkpoint_ns)s, %(checkpoint_id)s, %(task_id)s, %(idx)s, %(channel)s,
        %(value_type)s, %(value_data)s, %(task_path)s, %(seq)s)
ON CONFLICT (lineage_id, checkpoint_ns, checkpoint_id, task_id, idx) DO UPDATE SET
    channel = excluded.channel,
    value_type = excluded.value_type,
    value_data = excluded.value_data,
    task_path = excluded.task_path,
    seq = excluded.seq;

-- name: insert_write_if_absent :batch
-- One pending write; the same (task_id, idx) again keeps the first one.
INSERT INTO checkpoint_writes (lineage_id, checkpoint_ns, checkpoint_id, task_id, idx, channel,
                               value_type, value_data, task_path, seq)
VALUES (%(lineage_id)s, %(checkpoint_ns)s, %(checkpoint_id)s, %(task_id)s, %(idx)s, %(channel)s,
        %(value_type)s, %(value_data)s, %(task_path)s, %(seq)s)
ON CONFLICT (lineage_id, checkpoint_ns, checkpoint_id, task_id, idx) DO NOTHING;

-- name: upsert_writes :exec
-- Pending writes given as a JSON array of [task_id, idx, channel, value_type, value_data as hex,
-- task_path, seq], in one statement: one round trip, atomic in autocommit (the store's shape on
-- PostgreSQL). The same (task_id, idx) again replaces the write.
INSERT INTO checkpoint_writes (lineage_id, checkpoint_ns, checkpoint_id, task_id, idx, channel,
                               value_type, value_data, task_path, seq)
SELECT %(lineage_id)s, %(checkpoint_ns)s, %(checkpoint_id)s, w.v ->> 0, (w.v ->> 1)::bigint,
       w.v ->> 2, w.v ->> 3, decode(w.v ->> 4, 'hex'), w.v ->> 5, (w.v ->> 6)::bigint
FROM json_array_elements(CAST(%(writes)s AS json)) AS w(v)
ON CONFLICT (lineage_id, checkpoint_ns, checkpoint_id, task_id, idx) DO UPDATE SET
    channel = excluded.channel,
    value_type = excluded.value_type,
    value_data = excluded.value_data,
    task_path = excluded.task_path,
    seq = excluded.seq;

-- name: insert_writes_if_absent :exec
-- As upsert_writes, but the same (task_id, idx) again keeps the first write.
INSERT INTO checkpoint_writes (lineage_id, checkpoint_ns, checkpoint_id, task_id, idx, channel,
                               value_type, value_data, task_path, seq)
SELECT %(lineage_id)s, %(checkpoint_ns)s, %(checkpoint_id)s, w.v ->> 0, (w.v ->> 1)::bigint,
       w.v ->> 2, w.v ->> 3, decode(w.v ->> 4, 'hex'), w.v ->> 5, (w.v ->> 6)::bigint
FROM json_array_elements(CAST(%(writes)s AS json)) AS w(v)
ON CONFLICT (lineage_id, checkpoint_ns, checkpoint_id, task_id, idx) DO NOTHING;

-- name: delete_checkpoint_writes :exec
-- Every pending write of one checkpoint (put_full replaces them).
DELETE FROM checkpoint_writes
WHERE lineage_id = %(lineage_id)s AND checkpoint_ns = %(checkpoint_ns)s
  AND checkpoint_id = %(checkpoint_id)s;

-- name: latest_checkpoint :opt
-- The newest checkpoint (greatest checkpoint_id) of one namespace, without its writes (the
-- store's shape on SQLite, where a statement is a function call; see latest_with_writes).
SELECT c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.ts, c.checkpoint_type,
       c.checkpoint_data, c.metadata::text AS metadata
FROM checkpoints AS c
WHERE c.lineage_id = %(lineage_id)s AND c.checkpoint_ns = %(checkpoint_ns)s
ORDER BY c.checkpoint_id DESC
LIMIT 1;

-- name: find_checkpoint :opt
-- One checkpoint by its full key, without its writes (SQLite's shape).
SELECT c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.ts, c.checkpoint_type,
       c.checkpoint_data, c.metadata::text AS metadata
FROM checkpoints AS c
WHERE c.lineage_id = %(lineage_id)s AND c.checkpoint_ns = %(checkpoint_ns)s
  AND c.checkpoint_id = %(checkpoint_id)s;

-- name: list_writes :many
-- The pending writes of one checkpoint, unsorted (SQLite's shape).
SELECT task_id, channel, value_type, value_data, task_path, idx, seq
FROM checkpoint_writes
WHERE lineage_id = %(lineage_id)s AND checkpoint_ns = %(checkpoint_ns)s
  AND checkpoint_id = %(checkpoint_id)s;

-- name: list_in_ns :many
-- Newest first (checkpoint_id descending) in one namespace, strictly before before_id (NULL: no
-- cursor), keeping rows whose metadata equals metadata_filter on each of its top-level keys.
-- Checkpoint rows only (SQLite's shape; list_in_ns_with_writes is this one's).
SELECT c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.ts, c.checkpoint_type,
       c.checkpoint_data, c.metadata::text AS metadata
FROM checkpoints AS c
WHERE c.lineage_id = %(lineage_id)s AND c.checkpoint_ns = %(checkpoint_ns)s
  AND (CAST(%(before_id)s AS text) IS NULL OR c.checkpoint_id < %(before_id)s)
  AND NOT EXISTS (
      SELECT 1 FROM jsonb_each(CAST(%(metadata_filter)s AS jsonb)) AS f
      WHERE c.metadata::jsonb -> f.key IS DISTINCT FROM f.value)
ORDER BY c.checkpoint_id DESC
LIMIT %(limit)s;

-- name: list_across_ns :many
-- As list_in_ns over every namespace of the lineage, ties on checkpoint_id by namespace.
SELECT c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.ts, c.checkpoint_type,
       c.checkpoint_data, c.metadata::text AS metadata
FROM checkpoints AS c
WHERE c.lineage_id = %(lineage_id)s
  AND (CAST(%(before_id)s AS text) IS NULL OR c.checkpoint_id < %(before_id)s)
  AND NOT EXISTS (
      SELECT 1 FROM jsonb_each(CAST(%(metadata_filter)s AS jsonb)) AS f
      WHERE c.metadata::jsonb -> f.key IS DISTINCT FROM f.value)
ORDER BY c.checkpoint_id DESC, c.checkpoint_ns DESC
LIMIT %(limit)s;

-- name: list_page_writes :many
-- The pending writes of a page of checkpoints, keys given as a JSON array of [ns, id] pairs.
SELECT w.checkpoint_ns, w.checkpoint_id, w.task_id, w.channel, w.value_type, w.value_data,
       w.task_path, w.idx, w.seq
FROM json_array_elements(CAST(%(keys)s AS json)) AS k(v)
JOIN checkpoint_writes AS w
  ON w.lineage_id = %(lineage_id)s AND w.checkpoint_ns = k.v ->> 0
 AND w.checkpoint_id = k.v ->> 1;

-- name: latest_with_writes :many
-- latest_checkpoint with its writes.
-- Checkpoint rows (part 0) and their writes (part 1) in one round trip, unsorted blobs (the
-- store's shape on PostgreSQL).
WITH c AS MATERIALIZED (
    SELECT c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.ts, c.checkpoint_type,
           c.checkpoint_data, c.metadata::text AS metadata
    FROM checkpoints AS c
    WHERE c.lineage_id = %(lineage_id)s AND c.checkpoint_ns = %(checkpoint_ns)s
    ORDER BY c.checkpoint_id DESC
    LIMIT 1)
SELECT 0 AS part, c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.ts,
       c.checkpoint_type AS value_type, c.checkpoint_data AS value_data, c.metadata,
       NULL::text AS task_id, NULL::bigint AS idx, NULL::text AS channel,
       NULL::text AS task_path, NULL::bigint AS seq
FROM c
UNION ALL
SELECT 1, w.checkpoint_ns, w.checkpoint_id, NULL, NULL, w.value_type, w.value_data, NULL,
       w.task_id, w.idx, w.channel, w.task_path, w.seq
FROM c
CROSS JOIN LATERAL (  -- one primary-key lookup per checkpoint, never a scan of the lineage
    SELECT * FROM checkpoint_writes
    WHERE lineage_id = %(lineage_id)s AND checkpoint_ns = c.checkpoint_ns
      AND checkpoint_id = c.checkpoint_id
    OFFSET 0  -- keeps the planner from flattening this into a join over the whole lineage
) AS w;

-- name: find_with_writes :many
-- find_checkpoint with its writes.
-- Checkpoint rows (part 0) and their writes (part 1) in one round trip, unsorted blobs (the
-- store's shape on PostgreSQL).
WITH c AS MATERIALIZED (
    SELECT c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.ts, c.checkpoint_type,
           c.checkpoint_data, c.metadata::text AS metadata
    FROM checkpoints AS c
    WHERE c.lineage_id = %(lineage_id)s AND c.checkpoint_ns = %(checkpoint_ns)s
      AND c.checkpoint_id = %(checkpoint_id)s)
SELECT 0 AS part, c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.ts,
       c.checkpoint_type AS value_type, c.checkpoint_data AS value_data, c.metadata,
       NULL::text AS task_id, NULL::bigint AS idx, NULL::text AS channel,
       NULL::text AS task_path, NULL::bigint AS seq
FROM c
UNION ALL
SELECT 1, w.checkpoint_ns, w.checkpoint_id, NULL, NULL, w.value_type, w.value_data, NULL,
       w.task_id, w.idx, w.channel, w.task_path, w.seq
FROM c
CROSS JOIN LATERAL (  -- one primary-key lookup per checkpoint, never a scan of the lineage
    SELECT * FROM checkpoint_writes
    WHERE lineage_id = %(lineage_id)s AND checkpoint_ns = c.checkpoint_ns
      AND checkpoint_id = c.checkpoint_id
    OFFSET 0  -- keeps the planner from flattening this into a join over the whole lineage
) AS w;

-- name: list_in_ns_with_writes :many
-- list_in_ns with the writes of the page.
-- Checkpoint rows (part 0) and their writes (part 1) in one round trip, unsorted blobs (the
-- store's shape on PostgreSQL).
WITH c AS MATERIALIZED (
    SELECT c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.ts, c.checkpoint_type,
           c.checkpoint_data, c.metadata::text AS metadata
    FROM checkpoints AS c
    WHERE c.lineage_id = %(lineage_id)s AND c.checkpoint_ns = %(checkpoint_ns)s
      AND (CAST(%(before_id)s AS text) IS NULL OR c.checkpoint_id < %(before_id)s)
      AND NOT EXISTS (
          SELECT 1 FROM jsonb_each(CAST(%(metadata_filter)s AS jsonb)) AS f
          WHERE c.metadata::jsonb -> f.key IS DISTINCT FROM f.value)
    ORDER BY c.checkpoint_id DESC
    LIMIT %(limit)s)
SELECT 0 AS part, c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.ts,
       c.checkpoint_type AS value_type, c.checkpoint_data AS value_data, c.metadata,
       NULL::text AS task_id, NULL::bigint AS idx, NULL::text AS channel,
       NULL::text AS task_path, NULL::bigint AS seq
FROM c
UNION ALL
SELECT 1, w.checkpoint_ns, w.checkpoint_id, NULL, NULL, w.value_type, w.value_data, NULL,
       w.task_id, w.idx, w.channel, w.task_path, w.seq
FROM c
CROSS JOIN LATERAL (  -- one primary-key lookup per checkpoint, never a scan of the lineage
    SELECT * FROM checkpoint_writes
    WHERE lineage_id = %(lineage_id)s AND checkpoint_ns = c.checkpoint_ns
      AND checkpoint_id = c.checkpoint_id
    OFFSET 0  -- keeps the planner from flattening this into a join over the whole lineage
) AS w;

-- name: list_across_ns_with_writes :many
-- list_across_ns with the writes of the page.
-- Checkpoint rows (part 0) and their writes (part 1) in one round trip, unsorted blobs (the
-- store's shape on PostgreSQL).
WITH c AS MATERIALIZED (
    SELECT c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.ts, c.checkpoint_type,
           c.checkpoint_data, c.metadata::text AS metadata
    FROM checkpoints AS c
    WHERE c.lineage_id = %(lineage_id)s
      AND (CAST(%(before_id)s AS text) IS NULL OR c.checkpoint_id < %(before_id)s)
      AND NOT EXISTS (
          SELECT 1 FROM jsonb_each(CAST(%(metadata_filter)s AS jsonb)) AS f
          WHERE c.metadata::jsonb -> f.key IS DISTINCT FROM f.value)
    ORDER BY c.checkpoint_id DESC, c.checkpoint_ns DESC
    LIMIT %(limit)s)
SELECT 0 AS part, c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.ts,
       c.checkpoint_type AS value_type, c.checkpoint_data AS value_data, c.metadata,
       NULL::text AS task_id, NULL::bigint AS idx, NULL::text AS channel,
       NULL::text AS task_path, NULL::bigint AS seq
FROM c
UNION ALL
SELECT 1, w.checkpoint_ns, w.checkpoint_id, NULL, NULL, w.value_type, w.value_data, NULL,
       w.task_id, w.idx, w.channel, w.task_path, w.seq
FROM c
CROSS JOIN LATERAL (  -- one primary-key lookup per checkpoint, never a scan of the lineage
    SELECT * FROM checkpoint_writes
    WHERE lineage_id = %(lineage_id)s AND checkpoint_ns = c.checkpoint_ns
      AND checkpoint_id = c.checkpoint_id
    OFFSET 0  -- keeps the planner from flattening this into a join over the whole lineage
) AS w;

-- name: has_checkpoint :scalar
-- Whether a `before` cursor names a checkpoint of the lineage, in one namespace or any.
SELECT EXISTS (
    SELECT 1 FROM checkpoints
    WHERE lineage_id = %(lineage_id)s AND checkpoint_id = %(checkpoint_id)s
      AND (%(any_ns)s OR checkpoint_ns = %(checkpoint_ns)s));

-- name: has_metadata_key :scalar
-- Whether any checkpoint of the lineage carries this top-level metadata key.
SELECT EXISTS (
    SELECT 1 FROM checkpoints WHERE lineage_id = %(lineage_id)s AND metadata::jsonb ? %(key)s);

-- name: delete_lineage_writes :exec
DELETE FROM checkpoint_writes WHERE lineage_id = %(lineage_id)s;

-- name: delete_lineage_checkpoints :exec
DELETE FROM checkpoints WHERE lineage_id = %(lineage_id)s;

-- name: prune_writes :exec
-- Writes of every checkpoint but the newest keep_last of each namespace of the lineage.
DELETE FROM checkpoint_writes
WHERE lineage_id = %(lineage_id)s AND (checkpoint_ns, checkpoint_id) IN (
    SELECT checkpoint_ns, checkpoint_id FROM (
        SELECT checkpoint_ns, checkpoint_id,
               row_number() OVER (PARTITION BY checkpoint_ns
                                  ORDER BY checkpoint_id DESC) AS position
        FROM checkpoints WHERE lineage_id = %(lineage_id)s) AS ranked
    WHERE position > %(keep_last)s);

-- name: prune_checkpoints :exec
-- Every checkpoint but the newest keep_last of each namespace of the lineage.
DELETE FROM checkpoints
WHERE lineage_id = %(lineage_id)s AND (checkpoint_ns, checkpoint_id) IN (
    SELECT checkpoint_ns, checkpoint_id FROM (
        SELECT checkpoint_ns, checkpoint_id,
               row_number() OVER (PARTITION BY checkpoint_ns
                                  ORDER BY checkpoint_id DESC) AS position
        FROM checkpoints WHERE lineage_id = %(lineage_id)s) AS ranked
    WHERE position > %(keep_last)s);

-- name: prune_old_writes :exec
-- Writes of every checkpoint (any lineage) older than the cutoff.
DELETE FROM checkpoint_writes
WHERE (lineage_id, checkpoint_ns, checkpoint_id) IN (
    SELECT lineage_id, checkpoint_ns, checkpoint_id FROM checkpoints WHERE ts < %(cutoff_ts)s);

-- name: prune_old_checkpoints :exec
DELETE FROM checkpoints WHERE ts < %(cutoff_ts)s;

-- name: delete_run_writes :exec
-- Writes of every checkpoint whose metadata run_id is in the JSON array run_ids.
DELETE FROM checkpoint_writes
WHERE (lineage_id, checkpoint_ns, checkpoint_id) IN (
    SELECT lineage_id, checkpoint_ns, checkpoint_id FROM checkpoints
    WHERE run_id IN (SELECT jsonb_array_elements_text(CAST(%(run_ids)s AS jsonb))));

-- name: delete_run_checkpoints :exec
DELETE FROM checkpoints WHERE run_id IN (SELECT jsonb_array_elements_text(CAST(%(run_ids)s AS jsonb)));

-- name: copy_checkpoints :exec
-- Every checkpoint of the source lineage into the target (same ids; existing ones overwritten).
INSERT INTO checkpoints (lineage_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, ts,
                         checkpoint_type, checkpoint_data, metadata)
SELECT %(target_id)s, checkpoint_ns, checkpoint_id, parent_checkpoint_id, ts,
       checkpoint_type, checkpoint_data, metadata
FROM checkpoints WHERE lineage_id = %(source_id)s
ON CONFLICT (lineage_id, checkpoint_ns, checkpoint_id) DO UPDATE SET
    parent_checkpoint_id = excluded.parent_checkpoint_id,
    ts = excluded.ts,
    checkpoint_type = excluded.checkpoint_type,
    checkpoint_data = excluded.checkpoint_data,
    metadata = excluded.metadata;

-- name: copy_writes :exec
-- Every pending write of the source lineage into the target (existing ones overwritten).
INSERT INTO checkpoint_writes (lineage_id, checkpoint_ns, checkpoint_id, task_id, idx, channel,
                               value_type, value_data, task_path, seq)
SELECT %(target_id)s, checkpoint_ns, checkpoint_id, task_id, idx, channel,
       value_type, value_data, task_path, seq
FROM checkpoint_writes WHERE lineage_id = %(source_id)s
ON CONFLICT (lineage_id, checkpoint_ns, checkpoint_id, task_id, idx) DO UPDATE SET
    channel = excluded.channel,
    value_type = excluded.value_type,
    value_data = excluded.value_data,
    task_path = excluded.task_path,
    seq = excluded.seq;
