-- name: table_counts :many
-- Rows per table, for operators (`genie-repo status`).
SELECT 'approvals' AS table_name, count(*) AS row_count FROM approvals
UNION ALL SELECT 'clarifications', count(*) FROM clarifications
UNION ALL SELECT 'sessions', count(*) FROM sessions
UNION ALL SELECT 'session_events', count(*) FROM session_events
UNION ALL SELECT 'session_states', count(*) FROM session_states
UNION ALL SELECT 'app_states', count(*) FROM app_states
UNION ALL SELECT 'user_states', count(*) FROM user_states
UNION ALL SELECT 'session_summaries', count(*) FROM session_summaries
UNION ALL SELECT 'checkpoints', count(*) FROM checkpoints
UNION ALL SELECT 'checkpoint_writes', count(*) FROM checkpoint_writes
UNION ALL SELECT 'memories', count(*) FROM memories
UNION ALL SELECT 'short_memories', count(*) FROM short_memories
UNION ALL SELECT 'cron_tasks', count(*) FROM cron_tasks
UNION ALL SELECT 'cron_history', count(*) FROM cron_history;

-- name: size_bytes :scalar
-- Bytes the database occupies (SQLite: main file pages; PostgreSQL: the whole database).
SELECT pg_database_size(current_database());
