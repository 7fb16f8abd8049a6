-- Checkpoints: "newest" is the greatest checkpoint_id (LangGraph's uuid6 ids sort by time), so
-- the primary key (lineage_id, checkpoint_ns, checkpoint_id) serves the latest-in-namespace
-- lookup and the newest-first page; one index orders a lineage across namespaces. The run_id
-- index stays (a put here is a round trip, the index a few microseconds of it).
-- depends: 0007_trpc_sessions

DROP INDEX idx_checkpoints_ns_ts;
DROP INDEX idx_checkpoints_lineage_ts;
CREATE INDEX idx_checkpoints_lineage_id ON checkpoints (lineage_id, checkpoint_id, checkpoint_ns);
