CREATE INDEX idx_sessions_updated ON sessions (app_name, user_id, updated_at DESC, session_id DESC);
CREATE TABLE session_events_cold (
    app_name      TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    session_id    TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    event_id      TEXT NOT NULL,
    invocation_id TEXT NOT NULL DEFAULT '',
    author        TEXT NOT NULL DEFAULT '',
    filter_key    TEXT NOT NULL DEFAULT '',
    branch        TEXT NOT NULL DEFAULT '',
    timestamp     TIMESTAMP NOT NULL,         -- the event's own time, not the insert time
    state_delta   TEXT NOT NULL DEFAULT '{}', -- JSON object, temp: keys removed
    event_data    TEXT NOT NULL,              -- the framework's event JSON, byte for byte
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (app_name, user_id, session_id, seq),
    UNIQUE (app_name, user_id, session_id, event_id),
    FOREIGN KEY (app_name, user_id, session_id)
        REFERENCES sessions (app_name, user_id, session_id) ON DELETE CASCADE
) WITHOUT ROWID;  -- rows live in the (session, seq) key order: one b-tree fewer per append
INSERT INTO session_events_cold (app_name, user_id, session_id, seq, event_id, invocation_id,
                                 author, filter_key, branch, timestamp, state_delta, event_data,
                                 created_at)
SELECT app_name, user_id, session_id, seq, event_id, invocation_id, author, filter_key, branch,
       timestamp, state_delta, event_data, created_at
FROM session_events;
DROP TABLE session_events;
ALTER TABLE session_events_cold RENAME TO session_events;
