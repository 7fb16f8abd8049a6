-- The LangGraph long-term memory store (ItemStore): JSON items under hierarchical namespaces.
-- A namespace is stored as its labels joined by chr(1), each label escaped so that chr(1) and
-- chr(2) never appear inside one (chr(2) -> chr(2) chr(3), chr(1) -> chr(2) chr(2)). With the
-- "C" collation, text order of that encoding is tuple order, and a prefix and all its
-- descendants are one index range. store_namespaces lists the namespaces that hold items (the
-- store keeps it in step), so list_namespaces never scans items. store_item_terms holds an
-- item's search terms from genie_repo.stores.text_search (as the memories table does), one
-- lexeme each in a GIN-indexed tsvector; kept apart so filter scans read narrow item rows.
-- Expired rows stay until a sweep but no read returns them.
-- depends: 0007_trpc_sessions

CREATE TABLE store_namespaces (
    ns     TEXT COLLATE "C" PRIMARY KEY,   -- encoded labels (see above)
    rns    TEXT COLLATE "C" NOT NULL,      -- the labels reversed, same encoding (suffix matches)
    labels JSONB NOT NULL,                 -- JSON array of the encoded labels
    depth  INTEGER NOT NULL
);
CREATE INDEX idx_store_namespaces_rns ON store_namespaces (rns);

CREATE TABLE store_items (
    ns          TEXT COLLATE "C" NOT NULL,
    key         TEXT NOT NULL,
    value       JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ,
    ttl_minutes DOUBLE PRECISION,
    PRIMARY KEY (ns, key)
);
CREATE INDEX idx_store_items_expires ON store_items (expires_at) WHERE expires_at IS NOT NULL;
-- Filters with an equality on a string, number or boolean narrow by containment first.
CREATE INDEX idx_store_items_value ON store_items USING GIN (value jsonb_path_ops);

-- Only items with search text have a row here; the store writes and deletes it with its item.
CREATE TABLE store_item_terms (
    ns          TEXT COLLATE "C" NOT NULL,
    key         TEXT NOT NULL,
    search_text TEXT NOT NULL,
    search      TSVECTOR GENERATED ALWAYS AS (array_to_tsvector(string_to_array(search_text, ' ')))
                STORED,
    PRIMARY KEY (ns, key)
);
CREATE INDEX idx_store_item_terms_search ON store_item_terms USING GIN (search);
