-- name: insert_session :exec
-- Create a session; an existing one is left untouched (0 rows).
INSERT INTO sessions (app_name, user_id, session_id, created_at, updated_at, last_seq)
VALUES (%(app_name)s, %(user_id)s, %(session_id)s, %(now)s, %(now)s, 0)
ON CONFLICT (app_name, user_id, session_id) DO NOTHING;

-- name: delete_session :exec
-- Events, session state and summaries go with it (ON DELETE CASCADE), in this one statement.
DELETE FROM sessions
WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s;

-- name: touch_session :exec
UPDATE sessions SET updated_at = %(now)s
WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s;

-- name: get_session :many
-- The session (part 0: its row, merged state and summaries as JSON) and its events as plain
-- rows (part 1: the newest event_limit, only timestamp >= since, newest first), in one statement
-- so all of it is one consistent snapshot. A missing session gives no rows at all.
SELECT 0 AS part, s.created_at, s.updated_at, s.last_seq,
  (SELECT '{' || string_agg(to_json(k)::text || ':' || v, ',') || '}' FROM (
      SELECT key AS k, value AS v FROM session_states
      WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s
      UNION ALL
      SELECT 'app:' || key, value FROM app_states WHERE app_name = %(app_name)s
      UNION ALL
      SELECT 'user:' || key, value FROM user_states
      WHERE app_name = %(app_name)s AND user_id = %(user_id)s) AS st) AS state,
  (SELECT json_agg(json_build_array(filter_key, summary, topics::json, updated_at))::text
   FROM session_summaries
   WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s) AS summaries,
  NULL::bigint AS seq, NULL AS event_id, NULL AS invocation_id, NULL AS author,
  NULL AS filter_key, NULL AS branch, NULL::timestamptz AS timestamp, NULL AS state_delta,
  NULL AS event_data
FROM sessions s
WHERE s.app_name = %(app_name)s AND s.user_id = %(user_id)s AND s.session_id = %(session_id)s
UNION ALL
(SELECT 1, NULL, NULL, NULL, NULL, NULL, seq, event_id, invocation_id, author, filter_key,
        branch, timestamp, state_delta, event_data
 FROM session_events
 WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s
   AND (CAST(%(since)s AS timestamptz) IS NULL OR timestamp >= %(since)s)
 ORDER BY seq DESC LIMIT %(event_limit)s);

-- name: list_sessions_first :many
-- Newest first: the user's sessions by primary key prefix, sorted (no index on updated_at, which
-- every append moves).
SELECT app_name, user_id, session_id, created_at, updated_at, last_seq FROM sessions
WHERE app_name = %(app_name)s AND user_id = %(user_id)s
ORDER BY updated_at DESC, session_id DESC LIMIT %(limit)s;

-- name: list_sessions_after :many
-- The page after the cursor row (updated_at, session_id): keyset, so stable under inserts.
SELECT app_name, user_id, session_id, created_at, updated_at, last_seq FROM sessions
WHERE app_name = %(app_name)s AND user_id = %(user_id)s
  AND (updated_at, session_id) < (%(after_updated_at)s, %(after_session_id)s)
ORDER BY updated_at DESC, session_id DESC LIMIT %(limit)s;

-- name: list_events :many
-- Events after a sequence number, oldest first.
SELECT seq, event_id, invocation_id, author, filter_key, branch, timestamp, state_delta,
       event_data
FROM session_events
WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s
  AND seq > %(after_seq)s
ORDER BY seq LIMIT %(limit)s;

-- name: append_event :one
-- With %(expected_seq)s not NULL, only while the session's last_seq is still that revision
-- (else no seq is reported: the caller's Conflict). The session's updated_at becomes %(updated_at)s.
-- The whole append in one statement: PostgreSQL's plan (one round trip; see SessionStore). Bumping the session row takes its lock,
-- so concurrent appends to one session get consecutive seqs; every other write hangs off the
-- inserted event row, so a retried (duplicate) append writes nothing. Reports the session and the seq.
-- Two *concurrent* appends of one new event id store it once, but the loser's bump may leave
-- one seq number unused (order is unaffected).
WITH bumped AS (
    UPDATE sessions SET last_seq = last_seq + 1, updated_at = %(updated_at)s
    WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s
      AND (%(expected_seq)s::bigint IS NULL OR last_seq = %(expected_seq)s::bigint)
      AND NOT EXISTS (SELECT 1 FROM session_events e WHERE e.app_name = %(app_name)s AND e.user_id = %(user_id)s AND e.session_id = %(session_id)s AND e.event_id = %(event_id)s)
    RETURNING last_seq
), inserted AS (
    INSERT INTO session_events (app_name, user_id, session_id, seq, event_id, invocation_id,
                                author, filter_key, branch, timestamp, state_delta, event_data,
                                created_at)
    SELECT %(app_name)s, %(user_id)s, %(session_id)s, last_seq, %(event_id)s, %(invocation_id)s,
           %(author)s, %(filter_key)s, %(branch)s, %(timestamp)s, %(state_delta)s,
           %(event_data)s, %(now)s
    FROM bumped
    ON CONFLICT (app_name, user_id, session_id, event_id) DO NOTHING
    RETURNING seq
), session_delta AS (
    INSERT INTO session_states (app_name, user_id, session_id, key, value, updated_at)
    SELECT %(app_name)s, %(user_id)s, %(session_id)s, d.key, d.value, %(now)s
    FROM inserted, json_each_text(%(session_delta)s::json) AS d
    ON CONFLICT (app_name, user_id, session_id, key)
    DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
), app_delta AS (
    INSERT INTO app_states (app_name, key, value, updated_at)
    SELECT %(app_name)s, d.key, d.value, %(now)s
    FROM inserted, json_each_text(%(app_delta)s::json) AS d
    ON CONFLICT (app_name, key)
    DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
), user_delta AS (
    INSERT INTO user_states (app_name, user_id, key, value, updated_at)
    SELECT %(app_name)s, %(user_id)s, d.key, d.value, %(now)s
    FROM inserted, json_each_text(%(user_delta)s::json) AS d
    ON CONFLICT (app_name, user_id, key)
    DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
), pruned AS (
    DELETE FROM session_events p USING inserted
    WHERE p.app_name = %(app_name)s AND p.user_id = %(user_id)s AND p.session_id = %(session_id)s
      AND %(max_events)s::bigint > 0 AND p.seq <= inserted.seq - %(max_events)s::bigint
)
SELECT EXISTS (SELECT 1 FROM sessions WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s) AS session_exists,
       COALESCE((SELECT seq FROM inserted),
                (SELECT seq FROM session_events
                 WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s AND event_id = %(event_id)s)) AS seq;

-- name: insert_event :opt
-- The append's common part (SQLite's plan; inside the caller's transaction): the seq bump
-- (which takes the session row's lock), the event, and the session-state delta, all only when
-- the id is new. No row: the id is stored already or the session is missing.
WITH bumped AS (
    UPDATE sessions SET last_seq = last_seq + 1, updated_at = %(now)s
    WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s
      AND NOT EXISTS (SELECT 1 FROM session_events e WHERE e.app_name = %(app_name)s AND e.user_id = %(user_id)s AND e.session_id = %(session_id)s AND e.event_id = %(event_id)s)
    RETURNING last_seq
), inserted AS (
    INSERT INTO session_events (app_name, user_id, session_id, seq, event_id, invocation_id,
                                author, filter_key, branch, timestamp, state_delta, event_data,
                                created_at)
    SELECT %(app_name)s, %(user_id)s, %(session_id)s, last_seq, %(event_id)s, %(invocation_id)s,
           %(author)s, %(filter_key)s, %(branch)s, %(timestamp)s, %(state_delta)s,
           %(event_data)s, %(now)s
    FROM bumped
    ON CONFLICT (app_name, user_id, session_id, event_id) DO NOTHING
    RETURNING seq
), session_delta AS (
    INSERT INTO session_states (app_name, user_id, session_id, key, value, updated_at)
    SELECT %(app_name)s, %(user_id)s, %(session_id)s, d.key, d.value, %(now)s
    FROM inserted, json_each_text(%(session_delta)s::json) AS d
    ON CONFLICT (app_name, user_id, session_id, key)
    DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
)
SELECT seq FROM inserted;

-- name: find_event_seq :opt
-- The seq of a stored event, by id.
SELECT seq FROM session_events
WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s
  AND event_id = %(event_id)s;

-- name: prune_events :exec
-- Drop the session's events up to and including :through_seq (max_events).
DELETE FROM session_events
WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s
  AND seq <= %(through_seq)s;

-- name: lock_session :opt
-- The session's newest sequence number, its row locked (FOR UPDATE) until the caller's
-- transaction ends, so appends and rewrites of one session are serialised.
SELECT last_seq FROM sessions
WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s
FOR UPDATE;

-- name: reserve_seqs :opt
-- Take :count sequence numbers (0: none, only the bump of updated_at); the new last_seq.
UPDATE sessions SET last_seq = last_seq + %(count)s, updated_at = %(now)s
WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s
RETURNING last_seq;

-- name: find_seq_before :scalar
-- The newest stored seq below :seq (0 when none).
SELECT COALESCE(MAX(seq), 0) FROM session_events
WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s
  AND seq < %(seq)s;

-- name: shift_events_out :exec
-- First half of moving every event at or after :from_seq up by :gap: park them at negative
-- sequence numbers, so no intermediate row collides with the key.
UPDATE session_events SET seq = -(seq + %(gap)s)
WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s
  AND seq >= %(from_seq)s;

-- name: shift_events_back :exec
UPDATE session_events SET seq = -seq
WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s AND seq < 0;

-- name: insert_event_at :batch
-- An event at a sequence number the caller reserved (insert_events_before).
INSERT INTO session_events (app_name, user_id, session_id, seq, event_id, invocation_id,
                            author, filter_key, branch, timestamp, state_delta, event_data,
                            created_at)
VALUES (%(app_name)s, %(user_id)s, %(session_id)s, %(seq)s, %(event_id)s, %(invocation_id)s,
        %(author)s, %(filter_key)s, %(branch)s, %(timestamp)s, %(state_delta)s, %(event_data)s,
        %(now)s);

-- name: update_event_payload :batch
-- Replace the stored payload of an event, by id.
UPDATE session_events SET event_data = %(event_data)s
WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s
  AND event_id = %(event_id)s;

-- name: delete_events :exec
-- Drop stored events by id (a JSON array of ids); unknown ids are ignored.
DELETE FROM session_events
WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s
  AND event_id = ANY (ARRAY(SELECT jsonb_array_elements_text(CAST(%(event_ids)s AS jsonb))));

-- name: delete_stale_sessions :exec
-- Delete the sessions named (a JSON array of [app_name, user_id, session_id]) that were not
-- updated since :cutoff, cascading; one updated meanwhile stays.
DELETE FROM sessions
WHERE updated_at < %(cutoff)s
  AND (app_name, user_id, session_id) IN (
      SELECT k ->> 0, k ->> 1, k ->> 2
      FROM jsonb_array_elements(CAST(%(session_keys)s AS jsonb)) AS k);

-- name: upsert_session_states :exec
-- Upsert encoded session state (a JSON object {key: "<value JSON text>"}), one row per key;
-- the caller checks the session exists in the same transaction.
INSERT INTO session_states (app_name, user_id, session_id, key, value, updated_at)
SELECT %(app_name)s, %(user_id)s, %(session_id)s, d.key, d.value, %(now)s
FROM json_each_text(%(delta)s::json) AS d
ON CONFLICT (app_name, user_id, session_id, key)
DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at;

-- name: upsert_app_states :exec
INSERT INTO app_states (app_name, key, value, updated_at)
SELECT %(app_name)s, d.key, d.value, %(now)s FROM json_each_text(%(delta)s::json) AS d
ON CONFLICT (app_name, key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at;

-- name: upsert_user_states :exec
INSERT INTO user_states (app_name, user_id, key, value, updated_at)
SELECT %(app_name)s, %(user_id)s, d.key, d.value, %(now)s FROM json_each_text(%(delta)s::json) AS d
ON CONFLICT (app_name, user_id, key)
DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at;

-- name: delete_session_state :exec
DELETE FROM session_states
WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s AND key = %(key)s;

-- name: delete_app_state :exec
DELETE FROM app_states WHERE app_name = %(app_name)s AND key = %(key)s;

-- name: delete_user_state :exec
DELETE FROM user_states WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND key = %(key)s;

-- name: list_session_states :many
SELECT key, value FROM session_states
WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s ORDER BY key;

-- name: list_app_states :many
SELECT key, value FROM app_states WHERE app_name = %(app_name)s ORDER BY key;

-- name: list_user_states :many
SELECT key, value FROM user_states WHERE app_name = %(app_name)s AND user_id = %(user_id)s
ORDER BY key;

-- name: upsert_summary :exec
-- One summary per (session, filter_key); the newest write wins.
INSERT INTO session_summaries (app_name, user_id, session_id, filter_key, summary, topics,
                               updated_at)
VALUES (%(app_name)s, %(user_id)s, %(session_id)s, %(filter_key)s, %(summary)s, %(topics)s, %(now)s)
ON CONFLICT (app_name, user_id, session_id, filter_key)
DO UPDATE SET summary = EXCLUDED.summary, topics = EXCLUDED.topics,
              updated_at = EXCLUDED.updated_at;

-- name: find_summary_text :scalar
SELECT summary FROM session_summaries
WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s
  AND filter_key = %(filter_key)s;

-- name: list_app_sessions :many
-- Every session of the app (of one user when %(user_id)s is not NULL) with its own state as
-- one JSON object, least recently updated first; no events.
SELECT s.user_id, s.session_id, s.created_at, s.updated_at, s.last_seq,
  '{' || string_agg(to_json(st.key)::text || ':' || st.value, ',') || '}' AS state
FROM sessions s
LEFT JOIN session_states st
  ON st.app_name = s.app_name AND st.user_id = s.user_id AND st.session_id = s.session_id
WHERE s.app_name = %(app_name)s AND (%(user_id)s::text IS NULL OR s.user_id = %(user_id)s)
GROUP BY s.app_name, s.user_id, s.session_id
ORDER BY s.updated_at, s.user_id, s.session_id;

-- name: list_app_user_states :many
-- The user state of every user of the app (of one user when %(user_id)s is not NULL).
SELECT user_id, key, value FROM user_states
WHERE app_name = %(app_name)s AND (%(user_id)s::text IS NULL OR user_id = %(user_id)s);

-- name: append_events :many
-- Several events (no state deltas) appended in order, in one statement. %(events)s is a JSON
-- array of {id, invocation_id, author, filter_key, branch, timestamp, payload} with distinct
-- ids. The events whose id is not stored yet are fresh; the session row is created (when
-- %(create_session)s) or bumped by the fresh count in one upsert, which takes its lock, so
-- concurrent appends get consecutive seqs and a new session's first writers never lose each
-- other's events. Events beyond %(max_events)s (0 keeps all) are pruned. One row per input
-- event, in input order: whether the session exists and the event's seq (NULL when pruned at
-- once). Two *concurrent* appends of one new event id store it once; the loser's bump may
-- leave a seq number unused (order is unaffected).
WITH batch AS (
    SELECT e.ord - 1 AS position, e.value ->> 'id' AS event_id,
           e.value ->> 'invocation_id' AS invocation_id, e.value ->> 'author' AS author,
           e.value ->> 'filter_key' AS filter_key, e.value ->> 'branch' AS branch,
           (e.value ->> 'timestamp')::timestamptz AS timestamp, e.value ->> 'payload' AS event_data
    FROM json_array_elements(%(events)s::json) WITH ORDINALITY AS e(value, ord)
), fresh AS (
    SELECT b.*, row_number() OVER (ORDER BY b.position) AS n
    FROM batch b
    WHERE NOT EXISTS (SELECT 1 FROM session_events x WHERE x.app_name = %(app_name)s AND x.user_id = %(user_id)s AND x.session_id = %(session_id)s AND x.event_id = b.event_id)
), total AS (
    SELECT count(*) AS n FROM fresh
), created AS (
    INSERT INTO sessions (app_name, user_id, session_id, created_at, updated_at, last_seq)
    SELECT %(app_name)s, %(user_id)s, %(session_id)s, %(now)s, %(now)s, total.n FROM total
    WHERE %(create_session)s
    ON CONFLICT (app_name, user_id, session_id)
    DO UPDATE SET last_seq = sessions.last_seq + EXCLUDED.last_seq,
                  updated_at = EXCLUDED.updated_at
    RETURNING last_seq
), bumped AS (
    UPDATE sessions SET last_seq = last_seq + (SELECT n FROM total), updated_at = %(now)s
    WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s
      AND NOT %(create_session)s
    RETURNING last_seq
), newest AS (
    SELECT last_seq FROM created UNION ALL SELECT last_seq FROM bumped
), inserted AS (
    INSERT INTO session_events (app_name, user_id, session_id, seq, event_id, invocation_id,
                                author, filter_key, branch, timestamp, state_delta, event_data,
                                created_at)
    SELECT %(app_name)s, %(user_id)s, %(session_id)s, newest.last_seq - total.n + f.n,
           f.event_id, f.invocation_id, f.author, f.filter_key, f.branch, f.timestamp, '{}',
           f.event_data, %(now)s
    FROM fresh f, newest, total
    WHERE %(max_events)s::bigint = 0
       OR newest.last_seq - total.n + f.n > newest.last_seq - %(max_events)s::bigint
    ON CONFLICT (app_name, user_id, session_id, event_id) DO NOTHING
    RETURNING event_id, seq
), pruned AS (
    DELETE FROM session_events p USING newest
    WHERE p.app_name = %(app_name)s AND p.user_id = %(user_id)s AND p.session_id = %(session_id)s
      AND %(max_events)s::bigint > 0 AND p.seq <= newest.last_seq - %(max_events)s::bigint
)
SELECT EXISTS (SELECT 1 FROM newest)
       OR EXISTS (SELECT 1 FROM sessions WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s) AS session_exists,
       b.position,
       COALESCE(i.seq, (SELECT x.seq FROM session_events x
                        WHERE x.app_name = %(app_name)s AND x.user_id = %(user_id)s AND x.session_id = %(session_id)s AND x.event_id = b.event_id)) AS seq
FROM batch b LEFT JOIN inserted i ON i.event_id = b.event_id
ORDER BY b.position;

-- name: get_event_payloads :one
-- The payloads of the newest %(limit)s events (all when NULL) as one JSON array text in seq
-- order, in one statement; '[]' for an empty or missing session.
SELECT '[' || COALESCE(string_agg(event_data, ',' ORDER BY seq), '') || ']' AS payloads
FROM (SELECT seq, event_data FROM session_events
      WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s
      ORDER BY seq DESC LIMIT %(limit)s) AS newest;

-- name: pop_event :opt
-- Delete and return the newest event, in one statement. The newest row is locked first; a
-- pop that waited on a concurrent pop's row finds it gone and locks the next newest instead,
-- so two pops never return the same event and neither comes back empty while events remain.
DELETE FROM session_events
WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s
  AND seq = (SELECT seq FROM session_events
             WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s
             ORDER BY seq DESC LIMIT 1 FOR UPDATE)
RETURNING seq, event_id, invocation_id, author, filter_key, branch, timestamp, state_delta,
          event_data;
