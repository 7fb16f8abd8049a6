-- name: insert :one
INSERT INTO clarifications (id, question, context, status, sender_context, created_at)
VALUES (%(id)s, %(question)s, %(context)s, 'pending', %(sender_context)s, %(created_at)s)
RETURNING *;

-- name: find :opt
SELECT * FROM clarifications WHERE id = %(id)s;

-- name: find_pending_by_question :opt
-- The newest pending clarification asking exactly this question (dedup of repeated asks).
SELECT * FROM clarifications WHERE status = 'pending' AND question = %(question)s
ORDER BY created_at DESC, id DESC LIMIT 1;

-- name: answer :opt
-- Compare-and-set: only a pending clarification takes an answer.
UPDATE clarifications SET status = 'answered', answer = %(answer)s, answered_at = %(now)s
WHERE id = %(id)s AND status = 'pending'
RETURNING *;

-- name: expire :opt
UPDATE clarifications SET status = 'expired', answered_at = %(now)s
WHERE id = %(id)s AND status = 'pending'
RETURNING *;

-- name: list_pending :many
-- Oldest first, so a restarted process re-registers waiters in the order they were asked.
SELECT * FROM clarifications WHERE status = 'pending'
ORDER BY created_at, id LIMIT %(limit)s;

-- name: expire_older_than :exec
UPDATE clarifications SET status = 'expired', answered_at = %(now)s
WHERE status = 'pending' AND created_at < %(cutoff)s;
