-- What the trpc-agent-py services keep beyond the session and memory stores: a session's
-- conversation count, the events moved out of its active window (by max_events, event TTL or a
-- summary) in order, and the session events each memory was made from.
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

-- Which session events a memory was made from: the SDK's memory entries carry the event's own
-- content, author and time (a search never changes them). Goes with its memory.
CREATE TABLE trpc_memory_events (
    app_name   TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    session_id TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    memory_id  TEXT NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
    author     TEXT NOT NULL DEFAULT '',
    timestamp  TIMESTAMP NOT NULL,             -- the event's own time
    content    TEXT NOT NULL,            -- the event's google.genai Content JSON
    PRIMARY KEY (app_name, user_id, session_id, event_id)
);
CREATE INDEX idx_trpc_memory_events_memory ON trpc_memory_events (memory_id);
