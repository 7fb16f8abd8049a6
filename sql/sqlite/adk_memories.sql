-- name: list_session_entry_ids :many
-- The ids of the entries already made from a session's events.
SELECT entry_id FROM adk_memory_entries
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id;

-- name: insert_entry :batch
-- Record an entry; an id recorded before is left as it was (idempotent).
INSERT INTO adk_memory_entries (app_name, user_id, entry_id, memory_id, session_id, author,
                                timestamp, content, custom_metadata, created_at)
VALUES (:app_name, :user_id, :entry_id, :memory_id, :session_id, :author, :timestamp, :content,
        :custom_metadata, :now)
ON CONFLICT (app_name, user_id, entry_id) DO NOTHING;

-- name: list_memory_entries :many
-- The entries behind some memories (a JSON array of memory ids), each memory's oldest first.
SELECT memory_id, entry_id, author, timestamp, content, custom_metadata FROM adk_memory_entries
WHERE memory_id IN (SELECT value FROM json_each(:memory_ids))
ORDER BY memory_id, created_at, entry_id;

-- name: find_entry_memory :scalar
SELECT memory_id FROM adk_memory_entries
WHERE app_name = :app_name AND user_id = :user_id AND entry_id = :entry_id;

-- name: delete_entry :exec
DELETE FROM adk_memory_entries
WHERE app_name = :app_name AND user_id = :user_id AND entry_id = :entry_id;

-- name: count_memory_entries :scalar
SELECT count(*) FROM adk_memory_entries WHERE memory_id = :memory_id;
