-- What the Google ADK memory service keeps beyond the memory store: one ADK memory entry per
-- remembered event or direct write (its Content, author, time and custom metadata, returned
-- as given), each pointing at the memory holding its searchable text. Goes with its memory.
-- depends: 0007_trpc_sessions

CREATE TABLE adk_memory_entries (
    app_name        TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    entry_id        TEXT NOT NULL,               -- MemoryEntry.id
    memory_id       TEXT NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
    session_id      TEXT NOT NULL DEFAULT '',    -- '' for direct writes
    author          TEXT,
    timestamp       TEXT,                        -- MemoryEntry.timestamp, ISO 8601 as given
    content         TEXT NOT NULL,               -- google.genai Content JSON
    custom_metadata TEXT NOT NULL DEFAULT '{}',  -- JSON object
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (app_name, user_id, entry_id)
);
CREATE INDEX idx_adk_memory_entries_memory ON adk_memory_entries (memory_id);
CREATE INDEX idx_adk_memory_entries_session ON adk_memory_entries (app_name, user_id, session_id);
