-- Sessions hot path: fewer b-tree pages written per append_event (8 WAL pages -> 5).
-- session_events becomes a rowid table: its ~1 KB rows fit in a table leaf, where a WITHOUT
-- ROWID row over ~1,000 bytes (4 KB pages) spills into an overflow page on every append and
-- every read. idx_sessions_updated goes: every append moves the session's updated_at, so the
-- index cost a page per append; list_sessions reads the user's sessions by primary key and
-- sorts them instead.
-- depends: 0007_trpc_sessions

CREATE TABLE session_events_hot (
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
);
INSERT INTO session_events_hot (app_name, user_id, session_id, seq, event_id, invocation_id,
                                author, filter_key, branch, timestamp, state_delta, event_data,
                                created_at)
SELECT app_name, user_id, session_id, seq, event_id, invocation_id, author, filter_key, branch,
       timestamp, state_delta, event_data, created_at
FROM session_events ORDER BY app_name, user_id, session_id, seq;
DROP TABLE session_events;
ALTER TABLE session_events_hot RENAME TO session_events;
DROP INDEX idx_sessions_updated;
