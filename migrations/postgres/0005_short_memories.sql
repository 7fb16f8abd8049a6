-- Short-lived keys with a time to live (dedup markers, routing hints).
-- depends: 0004_memories

CREATE TABLE short_memories (
    key         TEXT NOT NULL,
    memory_type TEXT NOT NULL,
    value       TEXT NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (key, memory_type)
);
CREATE INDEX idx_short_memory_type ON short_memories (memory_type, expires_at);
CREATE INDEX idx_short_memory_expires ON short_memories (expires_at);
