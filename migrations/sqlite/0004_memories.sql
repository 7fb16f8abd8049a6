-- Long-term memories with ranked full-text search: an external-content FTS5 index (bm25) over
-- content and topics, kept in sync by triggers in the writing transaction. unicode61 folds case
-- and diacritics and splits on every non-letter, non-digit character. The index also holds one
-- owner token per row (hex of app_name, 'x', hex of user_id: a single unambiguous token), so a
-- search intersects with the owner's rows inside FTS5 instead of ranking every user's matches.
-- depends: 0003_checkpoints

CREATE TABLE memories (
    rid        INTEGER PRIMARY KEY,  -- stable rowid for the FTS index (VACUUM may renumber implicit ones)
    id         TEXT NOT NULL UNIQUE, -- uuid5 of (app_name, user_id, content)
    app_name   TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    content    TEXT NOT NULL,
    topics     TEXT NOT NULL DEFAULT '[]',  -- JSON array of strings
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX idx_memories_key ON memories (app_name, user_id, updated_at);

-- What the index is built from (FTS5 reads it for 'rebuild' and 'integrity-check').
CREATE VIEW memories_fts_source AS
SELECT rid, content, topics, hex(app_name) || 'x' || hex(user_id) AS owner FROM memories;

CREATE VIRTUAL TABLE memories_fts USING fts5(
    content, topics, owner, content='memories_fts_source', content_rowid='rid',
    tokenize='unicode61 remove_diacritics 2'
);

CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
    INSERT INTO memories_fts (rowid, content, topics, owner)
    VALUES (new.rid, new.content, new.topics, hex(new.app_name) || 'x' || hex(new.user_id));
END;

CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
    INSERT INTO memories_fts (memories_fts, rowid, content, topics, owner)
    VALUES ('delete', old.rid, old.content, old.topics,
            hex(old.app_name) || 'x' || hex(old.user_id));
END;

-- Re-adding a memory only refreshes updated_at (and topics): leave the index alone unless the
-- indexed text really changed.
CREATE TRIGGER memories_fts_update AFTER UPDATE OF app_name, user_id, content, topics ON memories
WHEN old.content IS NOT new.content OR old.topics IS NOT new.topics
     OR old.app_name IS NOT new.app_name OR old.user_id IS NOT new.user_id BEGIN
    INSERT INTO memories_fts (memories_fts, rowid, content, topics, owner)
    VALUES ('delete', old.rid, old.content, old.topics,
            hex(old.app_name) || 'x' || hex(old.user_id));
    INSERT INTO memories_fts (rowid, content, topics, owner)
    VALUES (new.rid, new.content, new.topics, hex(new.app_name) || 'x' || hex(new.user_id));
END;
