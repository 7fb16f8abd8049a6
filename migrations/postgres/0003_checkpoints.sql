-- Graph checkpoints and their pending writes. Payloads are bytes plus a type tag, so JSON
-- checkpoints and LangGraph serde output (type, bytes) both fit. Metadata is JSON text kept as
-- written (jsonb would normalise numbers: 1e16 would read back as an integer) and compared as
-- jsonb when filtered; run_id is derived from it so delete-by-run is an index lookup.
-- depends: 0002_sessions

CREATE TABLE checkpoints (
    lineage_id           TEXT NOT NULL,
    checkpoint_ns        TEXT NOT NULL DEFAULT '',
    checkpoint_id        TEXT NOT NULL,
    parent_checkpoint_id TEXT NOT NULL DEFAULT '',
    ts                   BIGINT NOT NULL,    -- checkpoint time, Unix nanoseconds (UTC)
    checkpoint_type      TEXT NOT NULL,
    checkpoint_data      BYTEA NOT NULL,
    metadata             JSON NOT NULL DEFAULT '{}',  -- JSON object, exactly as written
    run_id               TEXT GENERATED ALWAYS AS (metadata ->> 'run_id') STORED,
    PRIMARY KEY (lineage_id, checkpoint_ns, checkpoint_id)
);
-- Newest-first listing within one namespace, and across the namespaces of a lineage.
CREATE INDEX idx_checkpoints_ns_ts ON checkpoints (lineage_id, checkpoint_ns, ts, checkpoint_id);
CREATE INDEX idx_checkpoints_lineage_ts ON checkpoints (lineage_id, ts, checkpoint_id);
CREATE INDEX idx_checkpoints_run ON checkpoints (run_id) WHERE run_id IS NOT NULL;

CREATE TABLE checkpoint_writes (
    lineage_id    TEXT NOT NULL,
    checkpoint_ns TEXT NOT NULL DEFAULT '',
    checkpoint_id TEXT NOT NULL,
    task_id       TEXT NOT NULL,
    idx           BIGINT NOT NULL,
    channel       TEXT NOT NULL,
    value_type    TEXT NOT NULL,
    value_data    BYTEA NOT NULL,
    task_path     TEXT NOT NULL DEFAULT '',
    seq           BIGINT NOT NULL,
    PRIMARY KEY (lineage_id, checkpoint_ns, checkpoint_id, task_id, idx)
);
