DROP INDEX idx_checkpoints_lineage_id;
CREATE INDEX idx_checkpoints_ns_ts ON checkpoints (lineage_id, checkpoint_ns, ts, checkpoint_id);
CREATE INDEX idx_checkpoints_lineage_ts ON checkpoints (lineage_id, ts, checkpoint_id);
