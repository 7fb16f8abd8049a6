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
-- Newest first: the user's sessions by primary key prefix, sorted (no index on updated_at, which
-- every append moves).
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
-- With :expected_seq not NULL, only while the session's last_seq is still that revision (else
-- no seq is reported: the caller's Conflict). The session's updated_at becomes :updated_at.
-- The whole append in one call, for PostgreSQL's one-round-trip plan (see SessionStore); SQLite
-- runs the plain statements below instead (a statement is a function call there) and this
-- script is the same plan, kept exact by the tests that run both plans on both dialects. Runs
-- inside the caller's BEGIN IMMEDIATE. The state upserts run first, guarded by "the session
-- exists and this event id is not stored yet"; then the event takes seq = last_seq + 1 unless
-- its id is stored (ON CONFLICT), and the session row is bumped only when it did insert
-- (changes() still counts the INSERT there). The last SELECT reports the session and the seq.
WITH fresh(ok) AS (
    SELECT EXISTS (SELECT 1 FROM sessions WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id AND (:expected_seq IS NULL OR last_seq = :expected_seq))
       AND NOT EXISTS (SELECT 1 FROM session_events WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id AND event_id = :event_id))
INSERT INTO session_states (app_name, user_id, session_id, key, value, updated_at)
SELECT :app_name, :user_id, :session_id, d.key, d.value, :now
FROM fresh, json_each(:session_delta) AS d
WHERE fresh.ok
ON CONFLICT (app_name, user_id, session_id, key)
DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
WITH fresh(ok) AS (
    SELECT EXISTS (SELECT 1 FROM sessions WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id AND (:expected_seq IS NULL OR last_seq = :expected_seq))
       AND NOT EXISTS (SELECT 1 FROM session_events WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id AND event_id = :event_id))
INSERT INTO app_states (app_name, key, value, updated_at)
SELECT :app_name, d.key, d.value, :now FROM fresh, json_each(:app_delta) AS d
WHERE fresh.ok
ON CONFLICT (app_name, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
WITH fresh(ok) AS (
    SELECT EXISTS (SELECT 1 FROM sessions WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id AND (:expected_seq IS NULL OR last_seq = :expected_seq))
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
  AND (:expected_seq IS NULL OR last_seq = :expected_seq)
ON CONFLICT (app_name, user_id, session_id, event_id) DO NOTHING;
UPDATE sessions SET last_seq = last_seq + 1, updated_at = :updated_at
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id AND changes() = 1;
DELETE FROM session_events
WHERE :max_events > 0 AND app_name = :app_name AND user_id = :user_id AND session_id = :session_id
  AND seq <= (SELECT last_seq - :max_events
              FROM sessions WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id);
SELECT EXISTS (SELECT 1 FROM sessions WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id) AS session_exists,
       (SELECT seq FROM session_events WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id AND event_id = :event_id) AS seq;

-- name: insert_event :opt
-- The append's common part, for SQLite's plan (inside the caller's BEGIN IMMEDIATE): the event
-- at seq = last_seq + 1 unless its id is stored (ON CONFLICT); then, only when it did insert
-- (changes() still counts the INSERT, then the UPDATE), the session bump, which returns the
-- seq, and the session-state delta. No row: the id is stored already or the session is missing.
INSERT INTO session_events (app_name, user_id, session_id, seq, event_id, invocation_id,
                            author, filter_key, branch, timestamp, state_delta, event_data,
                            created_at)
SELECT :app_name, :user_id, :session_id, last_seq + 1, :event_id, :invocation_id, :author,
       :filter_key, :branch, :timestamp, :state_delta, :event_data, :now
FROM sessions
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id
ON CONFLICT (app_name, user_id, session_id, event_id) DO NOTHING;
UPDATE sessions SET last_seq = last_seq + 1, updated_at = :now
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id AND changes() = 1
RETURNING last_seq AS seq;
INSERT INTO session_states (app_name, user_id, session_id, key, value, updated_at)
SELECT :app_name, :user_id, :session_id, d.key, d.value, :now FROM json_each(:session_delta) AS d
WHERE changes() = 1
ON CONFLICT (app_name, user_id, session_id, key)
DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;

-- name: find_event_seq :opt
-- The seq of a stored event, by id.
SELECT seq FROM session_events
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id
  AND event_id = :event_id;

-- name: prune_events :exec
-- Drop the session's events up to and including :through_seq (max_events).
DELETE FROM session_events
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id
  AND seq <= :through_seq;

-- name: lock_session :opt
-- The session's newest sequence number. Inside the caller's write transaction, which on SQLite
-- (BEGIN IMMEDIATE) already holds the database against other writers.
SELECT last_seq FROM sessions
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id;

-- name: reserve_seqs :opt
-- Take :count sequence numbers (0: none, only the bump of updated_at); the new last_seq.
UPDATE sessions SET last_seq = last_seq + :count, updated_at = :now
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id
RETURNING last_seq;

-- name: find_seq_before :scalar
-- The newest stored seq below :seq (0 when none).
SELECT COALESCE(MAX(seq), 0) FROM session_events
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id AND seq < :seq;

-- name: shift_events_out :exec
-- First half of moving every event at or after :from_seq up by :gap: park them at negative
-- sequence numbers, so no intermediate row collides with the key.
UPDATE session_events SET seq = -(seq + :gap)
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id
  AND seq >= :from_seq;

-- name: shift_events_back :exec
UPDATE session_events SET seq = -seq
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id AND seq < 0;

-- name: insert_event_at :batch
-- An event at a sequence number the caller reserved (insert_events_before).
INSERT INTO session_events (app_name, user_id, session_id, seq, event_id, invocation_id,
                            author, filter_key, branch, timestamp, state_delta, event_data,
                            created_at)
VALUES (:app_name, :user_id, :session_id, :seq, :event_id, :invocation_id, :author,
        :filter_key, :branch, :timestamp, :state_delta, :event_data, :now);

-- name: update_event_payload :batch
-- Replace the stored payload of an event, by id.
UPDATE session_events SET event_data = :event_data
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id
  AND event_id = :event_id;

-- name: delete_events :exec
-- Drop stored events by id (a JSON array of ids); unknown ids are ignored.
DELETE FROM session_events
WHERE app_name = :app_name AND user_id = :user_id AND session_id = :session_id
  AND event_id IN (SELECT value FROM json_each(:event_ids));

-- name: delete_stale_sessions :exec
-- Delete the sessions named (a JSON array of [app_name, user_id, session_id]) that were not
-- updated since :cutoff, cascading; one updated meanwhile stays.
DELETE FROM sessions
WHERE updated_at < :cutoff
  AND (app_name, user_id, session_id) IN (
      SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(:session_keys));

-- name: upsert_session_states :exec
-- Upsert encoded session state (a JSON object {key: "<value JSON text>"}), one row per key;
-- the caller checks the session exists in the same transaction.
INSERT INTO session_states (app_name, user_id, session_id, key, value, updated_at)
SELECT :app_name, :user_id, :session_id, d.key, d.value, :now FROM json_each(:delta) AS d
WHERE true
ON CONFLICT (app_name, user_id, session_id, key)
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

-- name: list_app_sessions :many
-- Every session of the app (of one user when :user_id is not NULL) with its own state as one
-- JSON object, least recently updated first; no events.
SELECT s.user_id, s.session_id, s.created_at, s.updated_at, s.last_seq,
  (SELECT '{' || group_concat(json_quote(st.key) || ':' || st.value, ',') || '}'
   FROM session_states st
   WHERE st.app_name = s.app_name AND st.user_id = s.user_id
     AND st.session_id = s.session_id) AS state
FROM sessions s
WHERE s.app_name = :app_name AND (:user_id IS NULL OR s.user_id = :user_id)
ORDER BY s.updated_at, s.user_id, s.session_id;

-- name: list_app_user_states :many
-- The user state of every user of the app (of one user when :user_id is not NULL).
SELECT user_id, key, value FROM user_states
WHERE app_name = :app_name AND (:user_id IS NULL OR user_id = :user_id);

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
