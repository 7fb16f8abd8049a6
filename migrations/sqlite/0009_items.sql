-- The LangGraph long-term memory store (ItemStore): JSON items under hierarchical namespaces.
-- A namespace is stored as its labels joined by char(1), each label escaped so that char(1) and
-- char(2) never appear inside one (char(2) -> char(2) char(3), char(1) -> char(2) char(2)). Text
-- order of that encoding is tuple order, and a prefix and all its descendants are one index
-- range. store_namespaces lists the namespaces that hold items (the store keeps it in step), so
-- list_namespaces never scans items. Values are SQLite JSONB blobs (filters read them without
-- re-parsing text). search_text holds the item's search terms from
-- genie_repo.stores.text_search (as the memories table does), one token each in an FTS5 index
-- under the ascii tokenizer. Expired rows stay until a sweep but no read returns them.
-- depends: 0007_trpc_sessions

CREATE TABLE store_namespaces (
    ns     TEXT PRIMARY KEY,       -- encoded labels (see above)
    rns    TEXT NOT NULL,          -- the labels reversed, same encoding (suffix matches)
    labels TEXT NOT NULL,          -- JSON array of the encoded labels
    depth  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX idx_store_namespaces_rns ON store_namespaces (rns);

CREATE TABLE store_items (
    ns          TEXT NOT NULL,
    key         TEXT NOT NULL,
    rid         INTEGER NOT NULL UNIQUE,  -- the item's row in the FTS index
    value       BLOB NOT NULL,            -- SQLite JSONB of a JSON object
    search_text TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP,
    ttl_minutes REAL,
    PRIMARY KEY (ns, key)
) WITHOUT ROWID;  -- clustered by namespace: a prefix search reads one contiguous range
CREATE INDEX idx_store_items_expires ON store_items (expires_at) WHERE expires_at IS NOT NULL;

-- One statement writes an item and registers its namespace.
CREATE VIEW store_item_writes AS
SELECT i.ns, n.rns, n.labels, n.depth, i.key, i.value, i.search_text, i.updated_at AS now,
       i.expires_at, i.ttl_minutes
FROM store_items AS i JOIN store_namespaces AS n ON n.ns = i.ns;

CREATE TRIGGER store_item_writes_insert INSTEAD OF INSERT ON store_item_writes BEGIN
    INSERT OR IGNORE INTO store_namespaces (ns, rns, labels, depth)
    VALUES (new.ns, new.rns, new.labels, new.depth);
    INSERT INTO store_items (ns, key, rid, value, search_text, created_at, updated_at,
                             expires_at, ttl_minutes)
    VALUES (new.ns, new.key, (SELECT coalesce(max(rid), 0) + 1 FROM store_items), new.value,
            new.search_text, new.now, new.now, new.expires_at, new.ttl_minutes)
    ON CONFLICT (ns, key) DO UPDATE
    SET value = excluded.value,
        search_text = excluded.search_text,
        updated_at = excluded.updated_at,
        expires_at = excluded.expires_at,
        ttl_minutes = excluded.ttl_minutes,
        created_at = CASE WHEN store_items.expires_at IS NOT NULL
                               AND store_items.expires_at <= excluded.updated_at
                          THEN excluded.created_at ELSE store_items.created_at END;
END;

-- A namespace leaves the list with its last item.
CREATE TRIGGER store_items_namespace_gone AFTER DELETE ON store_items
WHEN NOT EXISTS (SELECT 1 FROM store_items WHERE ns = old.ns) BEGIN
    DELETE FROM store_namespaces WHERE ns = old.ns;
END;

-- What the index is built from (FTS5 reads it for 'rebuild' and 'integrity-check').
CREATE VIEW store_items_fts_source AS SELECT rid, search_text FROM store_items;

CREATE VIRTUAL TABLE store_items_fts USING fts5(
    search_text, content='store_items_fts_source', content_rowid='rid', tokenize='ascii',
    detail=none
);

CREATE TRIGGER store_items_fts_insert AFTER INSERT ON store_items
WHEN new.search_text <> '' BEGIN
    INSERT INTO store_items_fts (rowid, search_text) VALUES (new.rid, new.search_text);
END;

CREATE TRIGGER store_items_fts_delete AFTER DELETE ON store_items
WHEN old.search_text <> '' BEGIN
    INSERT INTO store_items_fts (store_items_fts, rowid, search_text)
    VALUES ('delete', old.rid, old.search_text);
END;

CREATE TRIGGER store_items_fts_update AFTER UPDATE OF search_text ON store_items
WHEN old.search_text IS NOT new.search_text BEGIN
    INSERT INTO store_items_fts (store_items_fts, rowid, search_text)
    SELECT 'delete', old.rid, old.search_text WHERE old.search_text <> '';
    INSERT INTO store_items_fts (rowid, search_text)
    SELECT new.rid, new.search_text WHERE new.search_text <> '';
END;
