-- Sessions hot path: every append_event bumps its session row (last_seq, updated_at). With
-- idx_sessions_updated gone no index covers a changed column, so that update is HOT (no index
-- entries, less WAL), and fillfactor 80 keeps room on the page for it. list_sessions reads the
-- user's sessions by primary key and sorts them instead.
-- depends: 0007_trpc_sessions

DROP INDEX idx_sessions_updated;
ALTER TABLE sessions SET (fillfactor = 80);
