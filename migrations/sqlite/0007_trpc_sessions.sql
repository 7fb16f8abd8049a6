-- What trpc-agent-py sessions keep beyond the session store: the conversation count, and the
-- events moved out of the active window (by max_events, event TTL or a summary), in order.
-- depends: 0006_cron

CREATE TABLE trpc_sessions (
    app_name           TEXT NOT NULL,
    user_id            TEXT NOT NULL,
    session_id         TEXT NOT NULL,
    conversation_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (app_name, user_id, session_id),
    FOREIGN KEY (app_name, user_id, session_id)
        REFERENCES sessions (app_name, user_id, session_id) ON DELETE CASCADE
);

CREATE TABLE trpc_historical_events (
    app_name   TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    session_id TEXT NOT NULL,
    hseq       INTEGER NOT NULL,            -- the order events left the active window
    event_id   TEXT NOT NULL,
    event_data TEXT NOT NULL,               -- the SDK Event's JSON
    PRIMARY KEY (app_name, user_id, session_id, hseq),
    UNIQUE (app_name, user_id, session_id, event_id),
    FOREIGN KEY (app_name, user_id, session_id)
        REFERENCES sessions (app_name, user_id, session_id) ON DELETE CASCADE
);
