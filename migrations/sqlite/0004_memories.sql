-- Long-term memories with ranked full-text search (FTS5, bm25) kept in sync by triggers.
-- depends: 0003_checkpoints

CREATE TABLE memories (
    rid        INTEGER PRIMARY KEY,  -- stable rowid for the FTS index (VACUUM may renumber implicit ones)
    id         TEXT NOT NULL UNIQUE, -- derived from (app_name, user_id, content)
    app_name   TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    content    TEXT NOT NULL,
    topics     TEXT NOT NULL DEFAULT '[]',  -- JSON array
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX idx_memories_key ON memories (app_name, user_id, updated_at);

CREATE VIRTUAL TABLE memories_fts USING fts5(
    content, topics, content='memories', content_rowid='rid',
    tokenize='unicode61 remove_diacritics 2'
);

CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
    INSERT INTO memories_fts (rowid, content, topics) VALUES (new.rid, new.content, new.topics);
END;

CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
    INSERT INTO memories_fts (memories_fts, rowid, content, topics)
    VALUES ('delete', old.rid, old.content, old.topics);
END;

CREATE TRIGGER memories_fts_update AFTER UPDATE OF content, topics ON memories BEGIN
    INSERT INTO memories_fts (memories_fts, rowid, content, topics)
    VALUES ('delete', old.rid, old.content, old.topics);
    INSERT INTO memories_fts (rowid, content, topics) VALUES (new.rid, new.content, new.topics);
END;
