-- name: upsert :exec
-- Set the value and expiry. created_at stays while the old entry is live; replacing an expired
-- entry starts a new one.
INSERT INTO short_memories (key, memory_type, value, expires_at, created_at)
VALUES (%(key)s, %(memory_type)s, %(value)s, %(expires_at)s, %(now)s)
ON CONFLICT (key, memory_type) DO UPDATE
SET value = excluded.value,
    expires_at = excluded.expires_at,
    created_at = CASE WHEN short_memories.expires_at > excluded.created_at
                      THEN short_memories.created_at ELSE excluded.created_at END;

-- name: insert_if_absent :opt
-- Insert unless a live entry exists; an expired one is replaced. One statement, so of many
-- concurrent callers exactly one gets a row back.
INSERT INTO short_memories (key, memory_type, value, expires_at, created_at)
VALUES (%(key)s, %(memory_type)s, %(value)s, %(expires_at)s, %(now)s)
ON CONFLICT (key, memory_type) DO UPDATE
SET value = excluded.value, expires_at = excluded.expires_at, created_at = excluded.created_at
WHERE short_memories.expires_at <= excluded.created_at
RETURNING key;

-- name: find_value :scalar
-- The live value only (the hot path of get: no timestamps to decode).
SELECT value FROM short_memories
WHERE key = %(key)s AND memory_type = %(memory_type)s AND expires_at > %(now)s;

-- name: find_live :opt
SELECT memory_type, key, value, expires_at, created_at FROM short_memories
WHERE key = %(key)s AND memory_type = %(memory_type)s AND expires_at > %(now)s;

-- name: delete :exec
DELETE FROM short_memories WHERE key = %(key)s AND memory_type = %(memory_type)s;

-- name: count_live :scalar
SELECT count(*) FROM short_memories WHERE memory_type = %(memory_type)s AND expires_at > %(now)s;

-- name: delete_expired :exec
DELETE FROM short_memories WHERE expires_at <= %(now)s;
