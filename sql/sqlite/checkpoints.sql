-- name: upsert_checkpoint :exec
-- Insert or overwrite one checkpoint; its pending writes are left alone.
INSERT INTO checkpoints (lineage_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, ts,
                         checkpoint_type, checkpoint_data, metadata)
VALUES (:lineage_id, :checkpoint_ns, :checkpoint_id, :parent_checkpoint_id, :ts,
        :checkpoint_type, :checkpoint_data, :metadata)
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
VALUES (:lineage_id, :checkpoint_ns, :checkpoint_id, :task_id, :idx, :channel,
        :value_type, :value_data, :task_path, :seq)
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
VALUES (:lineage_id, :checkpoint_ns, :checkpoint_id, :task_id, :idx, :channel,
        :value_type, :value_data, :task_path, :seq)
ON CONFLICT (lineage_id, checkpoint_ns, checkpoint_id, task_id, idx) DO NOTHING;

-- name: upsert_writes :exec
-- Pending writes given as a JSON array of [task_id, idx, channel, value_type, value_data as hex,
-- task_path, seq], in one statement (the store's shape for PostgreSQL; on SQLite it runs
-- upsert_write per row). The same (task_id, idx) again replaces the write.
INSERT INTO checkpoint_writes (lineage_id, checkpoint_ns, checkpoint_id, task_id, idx, channel,
                               value_type, value_data, task_path, seq)
SELECT :lineage_id, :checkpoint_ns, :checkpoint_id, w.value ->> 0, w.value ->> 1, w.value ->> 2,
       w.value ->> 3, unhex(w.value ->> 4), w.value ->> 5, w.value ->> 6
FROM json_each(:writes) AS w
WHERE true  -- an INSERT .. SELECT needs a WHERE before ON CONFLICT (SQLite's parser)
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
SELECT :lineage_id, :checkpoint_ns, :checkpoint_id, w.value ->> 0, w.value ->> 1, w.value ->> 2,
       w.value ->> 3, unhex(w.value ->> 4), w.value ->> 5, w.value ->> 6
FROM json_each(:writes) AS w
WHERE true  -- an INSERT .. SELECT needs a WHERE before ON CONFLICT (SQLite's parser)
ON CONFLICT (lineage_id, checkpoint_ns, checkpoint_id, task_id, idx) DO NOTHING;

-- name: delete_checkpoint_writes :exec
-- Every pending write of one checkpoint (put_full replaces them).
DELETE FROM checkpoint_writes
WHERE lineage_id = :lineage_id AND checkpoint_ns = :checkpoint_ns
  AND checkpoint_id = :checkpoint_id;

-- name: latest_checkpoint :opt
-- The newest checkpoint (greatest checkpoint_id) of one namespace; a backwards walk of the
-- primary key. Its writes come from list_writes in the same read transaction.
SELECT checkpoint_ns, checkpoint_id, parent_checkpoint_id, ts, checkpoint_type, checkpoint_data,
       metadata
FROM checkpoints
WHERE lineage_id = :lineage_id AND checkpoint_ns = :checkpoint_ns
ORDER BY checkpoint_id DESC
LIMIT 1;

-- name: find_checkpoint :opt
-- One checkpoint by its full key (a primary-key lookup).
SELECT checkpoint_ns, checkpoint_id, parent_checkpoint_id, ts, checkpoint_type, checkpoint_data,
       metadata
FROM checkpoints
WHERE lineage_id = :lineage_id AND checkpoint_ns = :checkpoint_ns
  AND checkpoint_id = :checkpoint_id;

-- name: list_writes :many
-- The pending writes of one checkpoint, unsorted (the store orders the few rows itself).
SELECT task_id, channel, value_type, value_data, task_path, idx, seq
FROM checkpoint_writes
WHERE lineage_id = :lineage_id AND checkpoint_ns = :checkpoint_ns
  AND checkpoint_id = :checkpoint_id;

-- name: list_in_ns :many
-- Newest first (checkpoint_id descending) in one namespace, strictly before before_id (NULL: no
-- cursor; a BLOB sorts after every TEXT), keeping rows whose metadata equals metadata_filter on
-- each of its top-level keys. Checkpoint rows only; their writes come from list_page_writes.
SELECT c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.ts, c.checkpoint_type,
       c.checkpoint_data, c.metadata
FROM checkpoints AS c
WHERE c.lineage_id = :lineage_id AND c.checkpoint_ns = :checkpoint_ns
  AND c.checkpoint_id < coalesce(:before_id, x'')
  AND NOT EXISTS (
      SELECT 1 FROM json_each(:metadata_filter) AS f
      WHERE NOT EXISTS (
          SELECT 1 FROM json_each(c.metadata) AS m
          WHERE m.key = f.key
            AND CASE WHEN f.type IN ('integer', 'real')
                     THEN m.type IN ('integer', 'real') AND m.value = f.value
                     ELSE m.type = f.type AND m.value IS f.value END))
ORDER BY c.checkpoint_id DESC
LIMIT :limit;

-- name: list_across_ns :many
-- As list_in_ns over every namespace of the lineage, ties on checkpoint_id by namespace. No
-- index serves this order (LangGraph lists one namespace), so SQLite sorts the lineage's rows.
SELECT c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.ts, c.checkpoint_type,
       c.checkpoint_data, c.metadata
FROM checkpoints AS c
WHERE c.lineage_id = :lineage_id
  AND c.checkpoint_id < coalesce(:before_id, x'')
  AND NOT EXISTS (
      SELECT 1 FROM json_each(:metadata_filter) AS f
      WHERE NOT EXISTS (
          SELECT 1 FROM json_each(c.metadata) AS m
          WHERE m.key = f.key
            AND CASE WHEN f.type IN ('integer', 'real')
                     THEN m.type IN ('integer', 'real') AND m.value = f.value
                     ELSE m.type = f.type AND m.value IS f.value END))
ORDER BY c.checkpoint_id DESC, c.checkpoint_ns DESC
LIMIT :limit;

-- name: list_page_writes :many
-- The pending writes of a page of checkpoints, keys given as a JSON array of [ns, id] pairs.
SELECT w.checkpoint_ns, w.checkpoint_id, w.task_id, w.channel, w.value_type, w.value_data,
       w.task_path, w.idx, w.seq
FROM json_each(:keys) AS k
CROSS JOIN checkpoint_writes AS w  -- CROSS JOIN: the keys outermost, one key lookup each
WHERE w.lineage_id = :lineage_id AND w.checkpoint_ns = k.value ->> 0
  AND w.checkpoint_id = k.value ->> 1;

-- name: latest_with_writes :many
-- latest_checkpoint with its writes.
-- Checkpoint rows (part 0) and their writes (part 1) in one statement, unsorted blobs: the
-- shape for a database a round trip away (the store uses it on PostgreSQL).
WITH c AS MATERIALIZED (
    SELECT c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.ts, c.checkpoint_type,
           c.checkpoint_data, c.metadata
    FROM checkpoints AS c
    WHERE c.lineage_id = :lineage_id AND c.checkpoint_ns = :checkpoint_ns
    ORDER BY c.checkpoint_id DESC
    LIMIT 1)
SELECT 0 AS part, c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.ts,
       c.checkpoint_type AS value_type, c.checkpoint_data AS value_data, c.metadata,
       NULL AS task_id, NULL AS idx, NULL AS channel, NULL AS task_path, NULL AS seq
FROM c
UNION ALL
SELECT 1, w.checkpoint_ns, w.checkpoint_id, NULL, NULL, w.value_type, w.value_data, NULL,
       w.task_id, w.idx, w.channel, w.task_path, w.seq
FROM c
CROSS JOIN checkpoint_writes AS w  -- CROSS JOIN: SQLite keeps the few checkpoints outermost
WHERE w.lineage_id = :lineage_id AND w.checkpoint_ns = c.checkpoint_ns
  AND w.checkpoint_id = c.checkpoint_id;

-- name: find_with_writes :many
-- find_checkpoint with its writes.
-- Checkpoint rows (part 0) and their writes (part 1) in one statement, unsorted blobs: the
-- shape for a database a round trip away (the store uses it on PostgreSQL).
WITH c AS MATERIALIZED (
    SELECT c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.ts, c.checkpoint_type,
           c.checkpoint_data, c.metadata
    FROM checkpoints AS c
    WHERE c.lineage_id = :lineage_id AND c.checkpoint_ns = :checkpoint_ns
      AND c.checkpoint_id = :checkpoint_id)
SELECT 0 AS part, c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.ts,
       c.checkpoint_type AS value_type, c.checkpoint_data AS value_data, c.metadata,
       NULL AS task_id, NULL AS idx, NULL AS channel, NULL AS task_path, NULL AS seq
FROM c
UNION ALL
SELECT 1, w.checkpoint_ns, w.checkpoint_id, NULL, NULL, w.value_type, w.value_data, NULL,
       w.task_id, w.idx, w.channel, w.task_path, w.seq
FROM c
CROSS JOIN checkpoint_writes AS w  -- CROSS JOIN: SQLite keeps the few checkpoints outermost
WHERE w.lineage_id = :lineage_id AND w.checkpoint_ns = c.checkpoint_ns
  AND w.checkpoint_id = c.checkpoint_id;

-- name: list_in_ns_with_writes :many
-- list_in_ns with the writes of the page.
-- Checkpoint rows (part 0) and their writes (part 1) in one statement, unsorted blobs: the
-- shape for a database a round trip away (the store uses it on PostgreSQL).
WITH c AS MATERIALIZED (
    SELECT c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.ts, c.checkpoint_type,
           c.checkpoint_data, c.metadata
    FROM checkpoints AS c
    WHERE c.lineage_id = :lineage_id AND c.checkpoint_ns = :checkpoint_ns
      AND c.checkpoint_id < coalesce(:before_id, x'')
      AND NOT EXISTS (
          SELECT 1 FROM json_each(:metadata_filter) AS f
          WHERE NOT EXISTS (
              SELECT 1 FROM json_each(c.metadata) AS m
              WHERE m.key = f.key
                AND CASE WHEN f.type IN ('integer', 'real')
                         THEN m.type IN ('integer', 'real') AND m.value = f.value
                         ELSE m.type = f.type AND m.value IS f.value END))
    ORDER BY c.checkpoint_id DESC
    LIMIT :limit)
SELECT 0 AS part, c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.ts,
       c.checkpoint_type AS value_type, c.checkpoint_data AS value_data, c.metadata,
       NULL AS task_id, NULL AS idx, NULL AS channel, NULL AS task_path, NULL AS seq
FROM c
UNION ALL
SELECT 1, w.checkpoint_ns, w.checkpoint_id, NULL, NULL, w.value_type, w.value_data, NULL,
       w.task_id, w.idx, w.channel, w.task_path, w.seq
FROM c
CROSS JOIN checkpoint_writes AS w  -- CROSS JOIN: SQLite keeps the few checkpoints outermost
WHERE w.lineage_id = :lineage_id AND w.checkpoint_ns = c.checkpoint_ns
  AND w.checkpoint_id = c.checkpoint_id;

-- name: list_across_ns_with_writes :many
-- list_across_ns with the writes of the page.
-- Checkpoint rows (part 0) and their writes (part 1) in one statement, unsorted blobs: the
-- shape for a database a round trip away (the store uses it on PostgreSQL).
WITH c AS MATERIALIZED (
    SELECT c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.ts, c.checkpoint_type,
           c.checkpoint_data, c.metadata
    FROM checkpoints AS c
    WHERE c.lineage_id = :lineage_id
      AND c.checkpoint_id < coalesce(:before_id, x'')
      AND NOT EXISTS (
          SELECT 1 FROM json_each(:metadata_filter) AS f
          WHERE NOT EXISTS (
              SELECT 1 FROM json_each(c.metadata) AS m
              WHERE m.key = f.key
                AND CASE WHEN f.type IN ('integer', 'real')
                         THEN m.type IN ('integer', 'real') AND m.value = f.value
                         ELSE m.type = f.type AND m.value IS f.value END))
    ORDER BY c.checkpoint_id DESC, c.checkpoint_ns DESC
    LIMIT :limit)
SELECT 0 AS part, c.checkpoint_ns, c.checkpoint_id, c.parent_checkpoint_id, c.ts,
       c.checkpoint_type AS value_type, c.checkpoint_data AS value_data, c.metadata,
       NULL AS task_id, NULL AS idx, NULL AS channel, NULL AS task_path, NULL AS seq
FROM c
UNION ALL
SELECT 1, w.checkpoint_ns, w.checkpoint_id, NULL, NULL, w.value_type, w.value_data, NULL,
       w.task_id, w.idx, w.channel, w.task_path, w.seq
FROM c
CROSS JOIN checkpoint_writes AS w  -- CROSS JOIN: SQLite keeps the few checkpoints outermost
WHERE w.lineage_id = :lineage_id AND w.checkpoint_ns = c.checkpoint_ns
  AND w.checkpoint_id = c.checkpoint_id;

-- name: has_checkpoint :scalar
-- Whether a `before` cursor names a checkpoint of the lineage, in one namespace or any.
SELECT EXISTS (
    SELECT 1 FROM checkpoints
    WHERE lineage_id = :lineage_id AND checkpoint_id = :checkpoint_id
      AND (:any_ns OR checkpoint_ns = :checkpoint_ns));

-- name: has_metadata_key :scalar
-- Whether any checkpoint of the lineage carries this top-level metadata key.
SELECT EXISTS (
    SELECT 1 FROM checkpoints AS c, json_each(c.metadata) AS m
    WHERE c.lineage_id = :lineage_id AND m.key = :key);

-- name: delete_lineage_writes :exec
DELETE FROM checkpoint_writes WHERE lineage_id = :lineage_id;

-- name: delete_lineage_checkpoints :exec
DELETE FROM checkpoints WHERE lineage_id = :lineage_id;

-- name: prune_writes :exec
-- Writes of every checkpoint but the newest keep_last of each namespace of the lineage.
DELETE FROM checkpoint_writes
WHERE lineage_id = :lineage_id AND (checkpoint_ns, checkpoint_id) IN (
    SELECT checkpoint_ns, checkpoint_id FROM (
        SELECT checkpoint_ns, checkpoint_id,
               row_number() OVER (PARTITION BY checkpoint_ns
                                  ORDER BY checkpoint_id DESC) AS position
        FROM checkpoints WHERE lineage_id = :lineage_id) AS ranked
    WHERE position > :keep_last);

-- name: prune_checkpoints :exec
-- Every checkpoint but the newest keep_last of each namespace of the lineage.
DELETE FROM checkpoints
WHERE lineage_id = :lineage_id AND (checkpoint_ns, checkpoint_id) IN (
    SELECT checkpoint_ns, checkpoint_id FROM (
        SELECT checkpoint_ns, checkpoint_id,
               row_number() OVER (PARTITION BY checkpoint_ns
                                  ORDER BY checkpoint_id DESC) AS position
        FROM checkpoints WHERE lineage_id = :lineage_id) AS ranked
    WHERE position > :keep_last);

-- name: prune_old_writes :exec
-- Writes of every checkpoint (any lineage) older than the cutoff.
DELETE FROM checkpoint_writes
WHERE (lineage_id, checkpoint_ns, checkpoint_id) IN (
    SELECT lineage_id, checkpoint_ns, checkpoint_id FROM checkpoints WHERE ts < :cutoff_ts);

-- name: prune_old_checkpoints :exec
DELETE FROM checkpoints WHERE ts < :cutoff_ts;

-- name: delete_run_writes :exec
-- Writes of every checkpoint whose metadata run_id is in the JSON array run_ids.
DELETE FROM checkpoint_writes
WHERE (lineage_id, checkpoint_ns, checkpoint_id) IN (
    SELECT lineage_id, checkpoint_ns, checkpoint_id FROM checkpoints
    WHERE run_id IN (SELECT value FROM json_each(:run_ids)));

-- name: delete_run_checkpoints :exec
DELETE FROM checkpoints WHERE run_id IN (SELECT value FROM json_each(:run_ids));

-- name: copy_checkpoints :exec
-- Every checkpoint of the source lineage into the target (same ids; existing ones overwritten).
INSERT INTO checkpoints (lineage_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, ts,
                         checkpoint_type, checkpoint_data, metadata)
SELECT :target_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, ts,
       checkpoint_type, checkpoint_data, metadata
FROM checkpoints WHERE lineage_id = :source_id
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
SELECT :target_id, checkpoint_ns, checkpoint_id, task_id, idx, channel,
       value_type, value_data, task_path, seq
FROM checkpoint_writes WHERE lineage_id = :source_id
ON CONFLICT (lineage_id, checkpoint_ns, checkpoint_id, task_id, idx) DO UPDATE SET
    channel = excluded.channel,
    value_type = excluded.value_type,
    value_data = excluded.value_data,
    task_path = excluded.task_path,
    seq = excluded.seq;
