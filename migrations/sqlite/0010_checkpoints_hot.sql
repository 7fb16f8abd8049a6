-- Checkpoints: "newest" is the greatest checkpoint_id (LangGraph's uuid6 ids sort by time), so
-- the primary key (lineage_id, checkpoint_ns, checkpoint_id) serves the latest-in-namespace
-- lookup and the newest-first page, and a put touches two b-trees (the table and its key)
-- instead of five. Gone: the two (.., ts, checkpoint_id) orderings, and the run_id index (a
-- LangGraph put always carries a run_id, so it was written on every put for the rare
-- delete_for_runs, which now scans). A listing across namespaces sorts the lineage's rows.
-- depends: 0007_trpc_sessions

DROP INDEX idx_checkpoints_ns_ts;
DROP INDEX idx_checkpoints_lineage_ts;
DROP INDEX idx_checkpoints_run;
