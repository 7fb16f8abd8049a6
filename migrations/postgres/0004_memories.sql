-- Long-term memories with ranked full-text search: a generated tsvector ('simple', so any
-- language matches word for word) with a GIN index, ranked by ts_rank.
-- depends: 0003_checkpoints

CREATE TABLE memories (
    id         TEXT PRIMARY KEY,         -- derived from (app_name, user_id, content)
    app_name   TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    content    TEXT NOT NULL,
    topics     TEXT NOT NULL DEFAULT '[]',  -- JSON array
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    search     TSVECTOR GENERATED ALWAYS AS (
                   to_tsvector('simple'::regconfig, content || ' ' || topics)
               ) STORED
);
CREATE INDEX idx_memories_key ON memories (app_name, user_id, updated_at);
CREATE INDEX idx_memories_search ON memories USING GIN (search);
