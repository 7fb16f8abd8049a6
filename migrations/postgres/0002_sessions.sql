-- Sessions, their events (ordered by a per-session sequence), three state scopes, summaries.
-- depends: 0001_approvals_clarifications

CREATE TABLE sessions (
    app_name    TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    session_id  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    last_seq    BIGINT NOT NULL DEFAULT 0,  -- the sequence of the newest event ever appended
    PRIMARY KEY (app_name, user_id, session_id)
);
CREATE INDEX idx_sessions_updated ON sessions (app_name, user_id, updated_at DESC, session_id DESC);

CREATE TABLE session_events (
    app_name      TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    session_id    TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    event_id      TEXT NOT NULL,
    invocation_id TEXT NOT NULL DEFAULT '',
    author        TEXT NOT NULL DEFAULT '',
    filter_key    TEXT NOT NULL DEFAULT '',
    branch        TEXT NOT NULL DEFAULT '',
    timestamp     TIMESTAMPTZ NOT NULL,         -- the event's own time, not the insert time
    state_delta   TEXT NOT NULL DEFAULT '{}', -- JSON object, temp: keys removed
    event_data    TEXT NOT NULL,              -- the framework's event JSON, byte for byte
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (app_name, user_id, session_id, seq),
    UNIQUE (app_name, user_id, session_id, event_id),
    FOREIGN KEY (app_name, user_id, session_id)
        REFERENCES sessions (app_name, user_id, session_id) ON DELETE CASCADE
);

CREATE TABLE session_states (
    app_name   TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    session_id TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,                 -- JSON
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (app_name, user_id, session_id, key),
    FOREIGN KEY (app_name, user_id, session_id)
        REFERENCES sessions (app_name, user_id, session_id) ON DELETE CASCADE
);

CREATE TABLE app_states (
    app_name   TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,                 -- JSON
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (app_name, key)
);

CREATE TABLE user_states (
    app_name   TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,                 -- JSON
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (app_name, user_id, key)
);

CREATE TABLE session_summaries (
    app_name   TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    session_id TEXT NOT NULL,
    filter_key TEXT NOT NULL DEFAULT '',
    summary    TEXT NOT NULL,
    topics     TEXT NOT NULL DEFAULT '[]',    -- JSON array
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (app_name, user_id, session_id, filter_key),
    FOREIGN KEY (app_name, user_id, session_id)
        REFERENCES sessions (app_name, user_id, session_id) ON DELETE CASCADE
);
