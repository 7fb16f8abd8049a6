-- name: insert_session :exec
-- Create a session; an existing one is left untouched (0 rows).
INSERT INTO sessions (app_name, user_id, session_id, created_at, updated_at, last_seq)
VALUES (:app_name, :user_id, :session_id, :now, :now, 0)
ON CONFLICT (app_name, user_id, session_id) DO NOTHING;

-- name: delete_session :exec
-- Events, session state and summaries go with it (ON DELETE CASCADE), in this one statement.
DELETE FROM sessions
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id;

-- name: touch_session :exec
UPDATE sessions SET updated_at = :now
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id;

-- name: get_session :many
-- The session (part 0: its row, merged state and summaries as JSON) and its events as plain
-- rows (part 1: the newest event_limit, only timestamp >= since, newest first), in one statement
-- so all of it is one consistent snapshot. A missing session gives no rows at all.
SELECT 0 AS part, s.created_at, s.updated_at, s.last_seq,
  (SELECT '{' || group_concat(json_quote(k) || ':' || v, ',') || '}' FROM (
      SELECT key AS k, value AS v FROM session_states
      WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id
      UNION ALL
      SELECT 'app:' || key, value FROM app_states WHERE app_name = :app_name
      UNION ALL
      SELECT 'user:' || key, value FROM user_states
      WHERE app_name = :app_name AND user_id = :user_id)) AS state,
  (SELECT json_group_array(json_array(filter_key, summary, json(topics), updated_at))
   FROM session_summaries
   WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id) AS summaries,
  NULL AS seq, NULL AS event_id, NULL AS invocation_id, NULL AS author, NULL AS filter_key,
  NULL AS branch, NULL AS timestamp, NULL AS state_delta, NULL AS event_data
FROM sessions s
WHERE s.app_name = :app_name AND s.user_id = :user_id AND s.session_id = :session_id
UNION ALL
SELECT * FROM (
  SELECT 1, NULL, NULL, NULL, NULL, NULL, seq, event_id, invocation_id, author, filter_key,
         branch, timestamp, state_delta, event_data
  FROM session_events
  WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id
    AND (:since IS NULL OR timestamp >= :since)
  ORDER BY seq DESC LIMIT COALESCE(:event_limit, -1));

-- name: list_sessions_first :many
-- Newest first (idx_sessions_updated).
SELECT app_name, user_id, session_id, created_at, updated_at, last_seq FROM sessions
WHERE app_name = :app_name AND user_id = :user_id
ORDER BY updated_at DESC, session_id DESC LIMIT :limit;

-- name: list_sessions_after :many
-- The page after the cursor row (updated_at, session_id): keyset, so stable under inserts.
SELECT app_name, user_id, session_id, created_at, updated_at, last_seq FROM sessions
WHERE app_name = :app_name AND user_id = :user_id
  AND (updated_at, session_id) < (:after_updated_at, :after_session_id)
ORDER BY updated_at DESC, session_id DESC LIMIT :limit;

-- name: list_events :many
-- Events after a sequence number, oldest first.
SELECT seq, event_id, invocation_id, author, filter_key, branch, timestamp, state_delta,
       event_data
FROM session_events
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id
  AND seq > :after_seq
ORDER BY seq LIMIT :limit;

-- name: append_event :one
-- The whole append, run as one script inside the caller's BEGIN IMMEDIATE transaction. The
-- state upserts run first, guarded by "the session exists and this event id is not stored
-- yet" (computed once, in a CTE); then the event takes seq = last_seq + 1 unless its id is
-- stored (ON CONFLICT), and the session row is bumped only when it did insert (changes()
-- still counts the INSERT there). A retried append writes nothing. The last SELECT reports
-- whether the session exists and the event's seq.
WITH fresh(ok) AS (
    SELECT EXISTS (SELECT 1 FROM sessions WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id)
       AND NOT EXISTS (SELECT 1 FROM session_events WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id AND event_id = :event_id))
INSERT INTO session_states (app_name, user_id, session_id, key, value, updated_at)
SELECT :app_name, :user_id, :session_id, d.key, d.value, :now
FROM fresh, json_each(:session_delta) AS d
WHERE fresh.ok
ON CONFLICT (app_name, user_id, session_id, key)
DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
WITH fresh(ok) AS (
    SELECT EXISTS (SELECT 1 FROM sessions WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id)
       AND NOT EXISTS (SELECT 1 FROM session_events WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id AND event_id = :event_id))
INSERT INTO app_states (app_name, key, value, updated_at)
SELECT :app_name, d.key, d.value, :now FROM fresh, json_each(:app_delta) AS d
WHERE fresh.ok
ON CONFLICT (app_name, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
WITH fresh(ok) AS (
    SELECT EXISTS (SELECT 1 FROM sessions WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id)
       AND NOT EXISTS (SELECT 1 FROM session_events WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id AND event_id = :event_id))
INSERT INTO user_states (app_name, user_id, key, value, updated_at)
SELECT :app_name, :user_id, d.key, d.value, :now FROM fresh, json_each(:user_delta) AS d
WHERE fresh.ok
ON CONFLICT (app_name, user_id, key)
DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
INSERT INTO session_events (app_name, user_id, session_id, seq, event_id, invocation_id,
                            author, filter_key, branch, timestamp, state_delta, event_data,
                            created_at)
SELECT :app_name, :user_id, :session_id, last_seq + 1, :event_id, :invocation_id, :author,
       :filter_key, :branch, :timestamp, :state_delta, :event_data, :now
FROM sessions
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id
ON CONFLICT (app_name, user_id, session_id, event_id) DO NOTHING;
UPDATE sessions SET last_seq = last_seq + 1, updated_at = :now
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id AND changes() = 1;
DELETE FROM session_events
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id
  AND seq <= (SELECT CASE WHEN :max_events > 0 THEN last_seq - :max_events ELSE 0 END
              FROM sessions WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id);
SELECT EXISTS (SELECT 1 FROM sessions WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id) AS session_exists,
       (SELECT seq FROM session_events WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id AND event_id = :event_id) AS seq;

-- name: append_plain_event :one
-- append_event for an event without a state delta (most events): cheaper, same guarantees.
-- The insert takes seq = last_seq + 1 and skips a stored event id (ON CONFLICT); the session
-- row is bumped only when it did insert (changes() still counts the INSERT there).
INSERT INTO session_events (app_name, user_id, session_id, seq, event_id, invocation_id,
                            author, filter_key, branch, timestamp, state_delta, event_data,
                            created_at)
SELECT :app_name, :user_id, :session_id, last_seq + 1, :event_id, :invocation_id, :author,
       :filter_key, :branch, :timestamp, '{}', :event_data, :now
FROM sessions
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id
ON CONFLICT (app_name, user_id, session_id, event_id) DO NOTHING;
UPDATE sessions SET last_seq = last_seq + 1, updated_at = :now
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id AND changes() = 1;
DELETE FROM session_events
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id
  AND seq <= (SELECT CASE WHEN :max_events > 0 THEN last_seq - :max_events ELSE 0 END
              FROM sessions WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id);
SELECT EXISTS (SELECT 1 FROM sessions WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id) AS session_exists,
       (SELECT seq FROM session_events WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id AND event_id = :event_id) AS seq;

-- name: apply_state_delta :exec
-- Upsert routed state (JSON objects {key: "<value JSON text>"}, one row per key) into the
-- three scopes; the caller checks the session exists in the same transaction.
INSERT INTO session_states (app_name, user_id, session_id, key, value, updated_at)
SELECT :app_name, :user_id, :session_id, d.key, d.value, :now FROM json_each(:session_delta) AS d
WHERE true
ON CONFLICT (app_name, user_id, session_id, key)
DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
INSERT INTO app_states (app_name, key, value, updated_at)
SELECT :app_name, d.key, d.value, :now FROM json_each(:app_delta) AS d
WHERE true
ON CONFLICT (app_name, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
INSERT INTO user_states (app_name, user_id, key, value, updated_at)
SELECT :app_name, :user_id, d.key, d.value, :now FROM json_each(:user_delta) AS d
WHERE true
ON CONFLICT (app_name, user_id, key)
DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;

-- name: upsert_app_states :exec
INSERT INTO app_states (app_name, key, value, updated_at)
SELECT :app_name, d.key, d.value, :now FROM json_each(:delta) AS d
WHERE true
ON CONFLICT (app_name, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;

-- name: upsert_user_states :exec
INSERT INTO user_states (app_name, user_id, key, value, updated_at)
SELECT :app_name, :user_id, d.key, d.value, :now FROM json_each(:delta) AS d
WHERE true
ON CONFLICT (app_name, user_id, key)
DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;

-- name: delete_session_state :exec
DELETE FROM session_states
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id AND key = :key;

-- name: delete_app_state :exec
DELETE FROM app_states WHERE app_name = :app_name AND key = :key;

-- name: delete_user_state :exec
DELETE FROM user_states WHERE app_name = :app_name AND user_id = :user_id AND key = :key;

-- name: list_session_states :many
SELECT key, value FROM session_states
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id ORDER BY key;

-- name: list_app_states :many
SELECT key, value FROM app_states WHERE app_name = :app_name ORDER BY key;

-- name: list_user_states :many
SELECT key, value FROM user_states WHERE app_name = :app_name AND user_id = :user_id
ORDER BY key;

-- name: upsert_summary :exec
-- One summary per (session, filter_key); the newest write wins.
INSERT INTO session_summaries (app_name, user_id, session_id, filter_key, summary, topics,
                               updated_at)
VALUES (:app_name, :user_id, :session_id, :filter_key, :summary, :topics, :now)
ON CONFLICT (app_name, user_id, session_id, filter_key)
DO UPDATE SET summary = excluded.summary, topics = excluded.topics,
              updated_at = excluded.updated_at;

-- name: find_summary_text :scalar
SELECT summary FROM session_summaries
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id
  AND filter_key = :filter_key;

-- name: append_events :many
-- Several events (no state deltas) appended in order, run as one script inside the caller's
-- BEGIN IMMEDIATE transaction. :events is a JSON array of {id, invocation_id, author,
-- filter_key, branch, timestamp, payload} with distinct ids. The session is created first when
-- :create_session and it is missing. The events whose id is not stored yet take the seqs
-- after last_seq, in order. Then last_seq moves to the newest seq and the
-- session is pruned to :max_events (0 keeps all). One row per input event, in input order:
-- whether the session exists and the event's seq (NULL when pruned at once).
INSERT INTO sessions (app_name, user_id, session_id, created_at, updated_at, last_seq)
SELECT :app_name, :user_id, :session_id, :now, :now, 0 WHERE :create_session
ON CONFLICT (app_name, user_id, session_id) DO NOTHING;
INSERT INTO session_events (app_name, user_id, session_id, seq, event_id, invocation_id,
                            author, filter_key, branch, timestamp, state_delta, event_data,
                            created_at)
SELECT :app_name, :user_id, :session_id, s.last_seq + row_number() OVER (ORDER BY e.key),
       e.value ->> 'id', e.value ->> 'invocation_id', e.value ->> 'author',
       e.value ->> 'filter_key', e.value ->> 'branch', e.value ->> 'timestamp', '{}',
       e.value ->> 'payload', :now
FROM sessions s, json_each(:events) AS e
WHERE s.app_name = :app_name AND s.user_id = :user_id AND s.session_id = :session_id
  AND NOT EXISTS (SELECT 1 FROM session_events x WHERE x.app_name = :app_name AND x.user_id = :user_id AND x.session_id = :session_id AND x.event_id = e.value ->> 'id')
ON CONFLICT (app_name, user_id, session_id, event_id) DO NOTHING;
UPDATE sessions
SET updated_at = :now,
    last_seq = max(last_seq, COALESCE((SELECT max(seq) FROM session_events WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id), 0))
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id;
DELETE FROM session_events
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id
  AND seq <= (SELECT CASE WHEN :max_events > 0 THEN last_seq - :max_events ELSE 0 END
              FROM sessions WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id);
SELECT EXISTS (SELECT 1 FROM sessions WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id) AS session_exists,
       e.key AS position, x.seq
FROM json_each(:events) AS e
LEFT JOIN session_events x
  ON x.app_name = :app_name AND x.user_id = :user_id AND x.session_id = :session_id
 AND x.event_id = e.value ->> 'id'
ORDER BY e.key;

-- name: get_event_payloads :one
-- The payloads of the newest :limit events (all when NULL) as one JSON array text in seq
-- order, in one statement; '[]' for an empty or missing session.
SELECT '[' || COALESCE(group_concat(event_data, ',' ORDER BY seq), '') || ']' AS payloads
FROM (SELECT seq, event_data FROM session_events
      WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id
      ORDER BY seq DESC LIMIT COALESCE(:limit, -1));

-- name: pop_event :opt
-- Delete and return the newest event, in one statement (a write statement holds the write
-- lock from its start, so two pops never return the same event).
DELETE FROM session_events
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id
  AND seq = (SELECT max(seq) FROM session_events
             WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id)
RETURNING seq, event_id, invocation_id, author, filter_key, branch, timestamp, state_delta,
          event_data;
