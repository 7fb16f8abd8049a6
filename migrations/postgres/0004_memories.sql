-- Long-term memories with ranked full-text search: a generated tsvector with a GIN index. The
-- 'simple' configuration (no stemming, no stop words) keeps any language matching word for word;
-- every run of non-letters, non-digits becomes a space first, so words split exactly as SQLite's
-- unicode61 splits them ("bob@example.com" indexes bob, example and com on both dialects).
-- One more lexeme marks the owner ('@' and an md5 of app_name and user_id; text lexemes never
-- contain '@'), so the GIN index intersects a search with the owner's rows.
-- depends: 0003_checkpoints

CREATE TABLE memories (
    id         TEXT PRIMARY KEY,            -- uuid5 of (app_name, user_id, content)
    app_name   TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    content    TEXT NOT NULL,
    topics     TEXT NOT NULL DEFAULT '[]',  -- JSON array of strings
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    search     TSVECTOR GENERATED ALWAYS AS (
                   to_tsvector('simple'::regconfig,
                               regexp_replace(content || ' ' || topics, '[^[:alnum:]]+', ' ', 'g'))
                   || array_to_tsvector(ARRAY['@' || md5(length(app_name)::text || ':'
                                                         || app_name || user_id)])
               ) STORED
);
CREATE INDEX idx_memories_key ON memories (app_name, user_id, updated_at);
CREATE INDEX idx_memories_search ON memories USING GIN (search);
