-- name: insert :one
-- Create a pending approval; returns the stored row.
INSERT INTO approvals (id, thread_id, run_id, tenant_id, tool_name, args, status, created_at,
                       expires_at, created_by, sender_context, question)
VALUES (%(id)s, %(thread_id)s, %(run_id)s, %(tenant_id)s, %(tool_name)s, %(args)s, 'pending', %(created_at)s,
        %(expires_at)s, %(created_by)s, %(sender_context)s, %(question)s)
RETURNING *;

-- name: find :opt
SELECT * FROM approvals WHERE id = %(id)s;

-- name: list_by_thread :many
-- Newest first.
SELECT * FROM approvals WHERE thread_id = %(thread_id)s
ORDER BY created_at DESC, id DESC LIMIT %(limit)s;

-- name: list_by_tenant :many
SELECT * FROM approvals WHERE tenant_id = %(tenant_id)s
ORDER BY created_at DESC, id DESC LIMIT %(limit)s;

-- name: list_by_status :many
SELECT * FROM approvals WHERE status = %(status)s
ORDER BY created_at DESC, id DESC LIMIT %(limit)s;

-- name: list_pending :many
-- Pending and not yet expired, newest first (what a waiter can still act on).
SELECT * FROM approvals
WHERE status = 'pending' AND (expires_at IS NULL OR expires_at > %(now)s)
ORDER BY created_at DESC, id DESC LIMIT %(limit)s;

-- name: resolve :opt
-- Compare-and-set: only a pending, unexpired approval can be resolved, so one caller wins.
UPDATE approvals
SET status = %(status)s, resolved_at = %(now)s, resolved_by = %(resolved_by)s, feedback = %(feedback)s
WHERE id = %(id)s AND status = 'pending' AND (expires_at IS NULL OR expires_at > %(now)s)
RETURNING *;

-- name: expire_stale :exec
UPDATE approvals
SET status = 'expired', resolved_at = %(now)s, resolved_by = %(resolved_by)s
WHERE status = 'pending' AND expires_at IS NOT NULL AND expires_at <= %(now)s;
