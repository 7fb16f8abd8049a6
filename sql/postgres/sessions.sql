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
-- Newest first (idx_sessions_updated).
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
-- The whole append in one statement (one round trip). Bumping the session row takes its lock,
-- so concurrent appends to one session get consecutive seqs; every other write hangs off the
-- inserted event row, so a retried (duplicate) append writes nothing. Reports the session and the seq.
-- Two *concurrent* appends of one new event id store it once, but the loser's bump may leave
-- one seq number unused (order is unaffected).
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

-- name: append_plain_event :one
-- append_event for an event without a state delta (most events): cheaper, same guarantees.
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
           %(author)s, %(filter_key)s, %(branch)s, %(timestamp)s, '{}', %(event_data)s, %(now)s
    FROM bumped
    ON CONFLICT (app_name, user_id, session_id, event_id) DO NOTHING
    RETURNING seq
), pruned AS (
    DELETE FROM session_events p USING inserted
    WHERE p.app_name = %(app_name)s AND p.user_id = %(user_id)s AND p.session_id = %(session_id)s
      AND %(max_events)s::bigint > 0 AND p.seq <= inserted.seq - %(max_events)s::bigint
)
SELECT EXISTS (SELECT 1 FROM sessions WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s) AS session_exists,
       COALESCE((SELECT seq FROM inserted),
                (SELECT seq FROM session_events
                 WHERE app_name = %(app_name)s AND user_id = %(user_id)s AND session_id = %(session_id)s AND event_id = %(event_id)s)) AS seq;

-- name: apply_state_delta :exec
-- Upsert routed state (JSON objects {key: "<value JSON text>"}, one row per key) into the
-- three scopes; the caller checks the session exists in the same transaction.
WITH session_delta AS (
    INSERT INTO session_states (app_name, user_id, session_id, key, value, updated_at)
    SELECT %(app_name)s, %(user_id)s, %(session_id)s, d.key, d.value, %(now)s
    FROM json_each_text(%(session_delta)s::json) AS d
    ON CONFLICT (app_name, user_id, session_id, key)
    DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
), app_delta AS (
    INSERT INTO app_states (app_name, key, value, updated_at)
    SELECT %(app_name)s, d.key, d.value, %(now)s FROM json_each_text(%(app_delta)s::json) AS d
    ON CONFLICT (app_name, key)
    DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
)
INSERT INTO user_states (app_name, user_id, key, value, updated_at)
SELECT %(app_name)s, %(user_id)s, d.key, d.value, %(now)s
FROM json_each_text(%(user_delta)s::json) AS d
ON CONFLICT (app_name, user_id, key)
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
