-- name: insert :one
INSERT INTO clarifications (id, question, context, status, sender_context, created_at)
VALUES (:id, :question, :context, 'pending', :sender_context, :created_at)
RETURNING *;

-- name: find :opt
SELECT * FROM clarifications WHERE id = :id;

-- name: find_pending_by_question :opt
-- The newest pending clarification asking exactly this question (dedup of repeated asks).
SELECT * FROM clarifications WHERE status = 'pending' AND question = :question
ORDER BY created_at DESC, id DESC LIMIT 1;

-- name: answer :opt
-- Compare-and-set: only a pending clarification takes an answer.
UPDATE clarifications SET status = 'answered', answer = :answer, answered_at = :now
WHERE id = :id AND status = 'pending'
RETURNING *;

-- name: expire :opt
UPDATE clarifications SET status = 'expired', answered_at = :now
WHERE id = :id AND status = 'pending'
RETURNING *;

-- name: list_pending :many
-- Oldest first, so a restarted process re-registers waiters in the order they were asked.
SELECT * FROM clarifications WHERE status = 'pending'
ORDER BY created_at, id LIMIT :limit;

-- name: expire_older_than :exec
UPDATE clarifications SET status = 'expired', answered_at = :now
WHERE status = 'pending' AND created_at < :cutoff;
