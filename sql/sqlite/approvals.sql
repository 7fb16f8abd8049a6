-- name: insert :one
-- Create a pending approval; returns the stored row.
INSERT INTO approvals (id, thread_id, run_id, tenant_id, tool_name, args, status, created_at,
                       expires_at, created_by, sender_context, question)
VALUES (:id, :thread_id, :run_id, :tenant_id, :tool_name, :args, 'pending', :created_at,
        :expires_at, :created_by, :sender_context, :question)
RETURNING *;

-- name: find :opt
SELECT * FROM approvals WHERE id = :id;

-- name: list_by_thread :many
-- Newest first.
SELECT * FROM approvals WHERE thread_id = :thread_id
ORDER BY created_at DESC, id DESC LIMIT :limit;

-- name: list_by_tenant :many
SELECT * FROM approvals WHERE tenant_id = :tenant_id
ORDER BY created_at DESC, id DESC LIMIT :limit;

-- name: list_by_status :many
SELECT * FROM approvals WHERE status = :status
ORDER BY created_at DESC, id DESC LIMIT :limit;

-- name: list_pending :many
-- Pending and not yet expired, newest first (what a waiter can still act on).
SELECT * FROM approvals
WHERE status = 'pending' AND (expires_at IS NULL OR expires_at > :now)
ORDER BY created_at DESC, id DESC LIMIT :limit;

-- name: resolve :opt
-- Compare-and-set: only a pending, unexpired approval can be resolved, so one caller wins.
UPDATE approvals
SET status = :status, resolved_at = :now, resolved_by = :resolved_by, feedback = :feedback
WHERE id = :id AND status = 'pending' AND (expires_at IS NULL OR expires_at > :now)
RETURNING *;

-- name: expire_stale :exec
UPDATE approvals
SET status = 'expired', resolved_at = :now, resolved_by = :resolved_by
WHERE status = 'pending' AND expires_at IS NOT NULL AND expires_at <= :now;
