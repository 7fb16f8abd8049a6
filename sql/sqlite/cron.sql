-- name: upsert_from_config :one
-- Insert a config task, or update the task of that name, in one statement. An existing task
-- keeps enabled, last_triggered_at and created_at; its next_run_at is replaced only when the
-- expression changed (or none was ever computed); updated_at moves only when the definition did.
INSERT INTO cron_tasks (id, name, expression, action, enabled, source, next_run_at,
                        created_at, updated_at)
VALUES (:id, :name, :expression, :action, TRUE, 'config', :next_run_at, :now, :now)
ON CONFLICT (name) DO UPDATE SET
    next_run_at = CASE
        WHEN cron_tasks.expression = excluded.expression AND cron_tasks.next_run_at IS NOT NULL
        THEN cron_tasks.next_run_at ELSE excluded.next_run_at END,
    updated_at = CASE
        WHEN cron_tasks.expression = excluded.expression AND cron_tasks.action = excluded.action
             AND cron_tasks.source = 'config'
        THEN cron_tasks.updated_at ELSE excluded.updated_at END,
    expression = excluded.expression,
    action = excluded.action,
    source = 'config'
RETURNING *;

-- name: insert_tool_task :one
-- A task created by an agent's tool call; a taken name (or id) is a unique violation.
INSERT INTO cron_tasks (id, name, expression, action, enabled, source, next_run_at,
                        created_at, updated_at)
VALUES (:id, :name, :expression, :action, TRUE, 'tool', :next_run_at, :now, :now)
RETURNING *;

-- name: find :opt
SELECT * FROM cron_tasks WHERE id = :id;

-- name: find_for_update :opt
-- The task, locked until the transaction ends (BEGIN IMMEDIATE already serialises writers).
SELECT * FROM cron_tasks WHERE id = :id;

-- name: list :many
-- Oldest first.
SELECT * FROM cron_tasks ORDER BY created_at, id LIMIT :limit;

-- name: set_enabled :one
UPDATE cron_tasks SET enabled = :enabled, next_run_at = :next_run_at, updated_at = :now
WHERE id = :id
RETURNING *;

-- name: delete :exec
-- History rows are kept (no foreign key), for audit.
DELETE FROM cron_tasks WHERE id = :id;

-- name: list_due_for_claim :many
-- Enabled tasks whose next run is due, earliest first; served by the partial index
-- idx_cron_tasks_next_run. Run inside the claiming transaction (BEGIN IMMEDIATE).
SELECT * FROM cron_tasks
WHERE enabled AND next_run_at <= :now
ORDER BY next_run_at, id
LIMIT :limit;

-- name: insert_claimed_runs :exec
-- One `running` history row per element of the JSON array :claims
-- ({task_id, task_name, history_id, scheduled_for, next_run_at}; timestamps as canonical UTC text).
INSERT INTO cron_history (id, task_id, task_name, started_at, scheduled_for, status, worker_id)
SELECT claim.value ->> 'history_id', claim.value ->> 'task_id', claim.value ->> 'task_name', :now,
       claim.value ->> 'scheduled_for', 'running', :worker_id
FROM json_each(:claims) AS claim;

-- name: mark_claimed :exec
-- Advance every claimed task past the run it was just handed, in one statement (next_run_at
-- is null when the expression never fires again).
UPDATE cron_tasks
SET next_run_at = claim.value ->> 'next_run_at', last_triggered_at = :now
FROM json_each(:claims) AS claim
WHERE cron_tasks.id = claim.value ->> 'task_id';

-- name: insert_manual_run :one
-- A run started by hand (not by the schedule): no scheduled slot.
INSERT INTO cron_history (id, task_id, task_name, started_at, status, worker_id)
VALUES (:id, :task_id, :task_name, :started_at, 'running', :worker_id)
RETURNING *;

-- name: find_run :opt
SELECT * FROM cron_history WHERE id = :id;

-- name: finish_run :opt
-- Compare-and-set: only a running row can finish, so a run finishes once.
UPDATE cron_history
SET status = :status, finished_at = :now, error = :error, run_id = COALESCE(:run_id, run_id)
WHERE id = :id AND status = 'running'
RETURNING *;

-- name: list_task_history :many
-- Newest first.
SELECT * FROM cron_history WHERE task_id = :task_id
ORDER BY started_at DESC, id DESC LIMIT :limit;

-- name: list_history :many
-- Every task's runs, newest first.
SELECT * FROM cron_history ORDER BY started_at DESC, id DESC LIMIT :limit;

-- name: list_failures :many
-- Failed runs, newest first (health checks).
SELECT * FROM cron_history WHERE status = 'failed'
ORDER BY started_at DESC, id DESC LIMIT :limit;

-- name: fail_stale_runs :exec
-- Runs still `running` long after they started: their worker died without finishing them.
UPDATE cron_history SET status = 'failed', finished_at = :now, error = :error
WHERE status = 'running' AND started_at < :cutoff;

-- name: prune_history :exec
DELETE FROM cron_history WHERE started_at < :cutoff;
