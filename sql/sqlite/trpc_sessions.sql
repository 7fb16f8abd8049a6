-- name: get_extras :one
-- The conversation count (NULL before the service first wrote it) and the historical events
-- as a JSON array of event JSON texts, oldest first.
SELECT (SELECT conversation_count FROM trpc_sessions
        WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id)
         AS conversation_count,
       (SELECT json_group_array(event_data ORDER BY hseq) FROM trpc_historical_events
        WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id)
         AS historical;

-- name: latest_anchor :opt
-- The newest active event a window may start at: authored by the user, or a summary
-- (model_flags bit 2). Read only when the newest events hold none.
SELECT seq, event_data FROM session_events
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id
  AND (lower(author) = 'user' OR (json_extract(event_data, '$.model_flags') & 2) != 0)
ORDER BY seq DESC LIMIT 1;

-- name: active_events :many
-- Every active event's seq and id, oldest first, with the JSON of the ids asked for (a JSON
-- array) only: what update_session needs to diff a caller's events against storage.
SELECT seq, event_id,
       CASE WHEN event_id IN (SELECT value FROM json_each(:event_ids)) THEN event_data END
         AS event_data
FROM session_events
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id
ORDER BY seq;

-- name: insert_history :batch
-- Append an event to the history (after the newest); an id already there is kept as it is.
INSERT INTO trpc_historical_events (app_name, user_id, session_id, hseq, event_id, event_data)
SELECT :app_name, :user_id, :session_id, COALESCE(MAX(hseq), 0) + 1, :event_id, :event_data
FROM trpc_historical_events
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id
ON CONFLICT (app_name, user_id, session_id, event_id) DO NOTHING;

-- name: upsert_conversation_count :exec
INSERT INTO trpc_sessions (app_name, user_id, session_id, conversation_count)
VALUES (:app_name, :user_id, :session_id, :conversation_count)
ON CONFLICT (app_name, user_id, session_id)
DO UPDATE SET conversation_count = excluded.conversation_count;

-- name: list_sessions :many
-- The app's sessions (one user's when :user_id is set) not updated before :cutoff (NULL: all),
-- each with its own state as a JSON object and its conversation count; newest first.
SELECT s.user_id, s.session_id, s.updated_at,
       COALESCE(t.conversation_count, 0) AS conversation_count,
       (SELECT json_group_object(st.key, json(st.value)) FROM session_states st
        WHERE st.app_name = s.app_name AND st.user_id = s.user_id
          AND st.session_id = s.session_id) AS state
FROM sessions s
LEFT JOIN trpc_sessions t
  ON t.app_name = s.app_name AND t.user_id = s.user_id AND t.session_id = s.session_id
WHERE s.app_name = :app_name AND (:user_id IS NULL OR s.user_id = :user_id)
  AND (:cutoff IS NULL OR s.updated_at >= :cutoff)
ORDER BY s.updated_at DESC, s.user_id, s.session_id;

-- name: list_user_states :many
-- User state of the app's users (one user's when :user_id is set), for list_sessions.
SELECT user_id, key, value FROM user_states
WHERE app_name = :app_name AND (:user_id IS NULL OR user_id = :user_id);

-- name: list_expired :many
-- The sessions this integration created that were not updated since :cutoff (sessions made
-- through SessionStore directly are never listed), for SessionStore to delete.
SELECT s.app_name, s.user_id, s.session_id FROM sessions s
JOIN trpc_sessions t
  ON t.app_name = s.app_name AND t.user_id = s.user_id AND t.session_id = s.session_id
WHERE s.updated_at < :cutoff;

-- name: memory_event_ids :many
-- The ids of a session's events already turned into memories.
SELECT event_id FROM trpc_memory_events
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id;

-- name: insert_memory_event :batch
-- Record the event a memory came from; an event recorded before is left as it was.
INSERT INTO trpc_memory_events (app_name, user_id, session_id, event_id, memory_id, author,
                                timestamp, content)
VALUES (:app_name, :user_id, :session_id, :event_id, :memory_id, :author, :timestamp, :content)
ON CONFLICT (app_name, user_id, session_id, event_id) DO NOTHING;

-- name: memory_events :many
-- The events behind some memories (a JSON array of memory ids), each memory's oldest first.
SELECT memory_id, author, timestamp, content FROM trpc_memory_events
WHERE memory_id IN (SELECT value FROM json_each(:memory_ids))
ORDER BY memory_id, timestamp, session_id, event_id;
