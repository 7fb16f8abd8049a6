"""Memory search in every script and inside words. The FTS5 index no longer tokenizes the text
itself: it indexes `search_terms`, terms computed in Python by genie_repo.stores.text_search
(whole words, trigrams, and 1-2 character grams of unspaced scripts), one token each under the
ascii tokenizer, plus the owner token (hex of app_name, 'x', hex of user_id). PostgreSQL indexes
the very same terms, so both dialects find the same memories. A Python migration because the
terms of the memories already stored are computed by that module.
"""

import importlib.util
import json
import sys
from pathlib import Path

from yoyo import step

__depends__ = {"0007_trpc_sessions"}


def _text_search():
    """The text_search module shipped beside these migrations (a source checkout or the
    installed package), so the terms are the ones the library of this release computes."""
    root = Path(__file__).resolve().parents[2]
    for path in (root / "genie_repo" / "stores" / "text_search.py",
                 root / "stores" / "text_search.py"):
        if path.is_file():
            spec = importlib.util.spec_from_file_location("_genie_migration_text_search", path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module  # dataclasses look their module up there
            spec.loader.exec_module(module)
            return module
    return importlib.import_module("genie_repo.stores.text_search")


def _topics(text):
    try:
        value = json.loads(text) if text else []
    except ValueError:
        return []
    return [t for t in value if isinstance(t, str)] if isinstance(value, list) else []


def index_existing_memories(conn):
    """Compute search_terms for every stored memory, a thousand at a time."""
    text_search = _text_search()
    cursor = conn.cursor()
    after = 0
    while True:
        cursor.execute(
            "SELECT rid, content, topics FROM memories WHERE rid > :after ORDER BY rid LIMIT 1000",
            {"after": after},
        )
        rows = cursor.fetchall()
        if not rows:
            return
        for rid, content, topics in rows:
            cursor.execute(
                "UPDATE memories SET search_terms = :terms WHERE rid = :rid",
                {"terms": text_search.index_terms(content, *_topics(topics)), "rid": rid},
            )
        after = rows[-1][0]


OWNER = "hex({row}.app_name) || 'x' || hex({row}.user_id)"
OLD_TERMS = "{row}.content, {row}.topics, " + OWNER
NEW_TERMS = "{row}.search_terms || ' ' || " + OWNER


def _old_index_trigger(kind):
    """The 0004 triggers, recreated on rollback."""
    add = ("INSERT INTO memories_fts (rowid, content, topics, owner) VALUES (new.rid, "
           + OLD_TERMS.format(row="new") + ");")
    remove = ("INSERT INTO memories_fts (memories_fts, rowid, content, topics, owner) VALUES "
              "('delete', old.rid, " + OLD_TERMS.format(row="old") + ");")
    if kind == "insert":
        return f"CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN {add} END"
    if kind == "delete":
        return f"CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN {remove} END"
    return ("CREATE TRIGGER memories_fts_update AFTER UPDATE OF app_name, user_id, content, "
            "topics ON memories WHEN old.content IS NOT new.content OR old.topics IS NOT "
            "new.topics OR old.app_name IS NOT new.app_name OR old.user_id IS NOT new.user_id "
            f"BEGIN {remove} {add} END")


ADD = ("INSERT INTO memories_search (rowid, terms) VALUES (new.rid, "
       + NEW_TERMS.format(row="new") + ");")
REMOVE = ("INSERT INTO memories_search (memories_search, rowid, terms) VALUES ('delete', "
          "old.rid, " + NEW_TERMS.format(row="old") + ");")

steps = [
    step("DROP TRIGGER memories_fts_update", _old_index_trigger("update")),
    step("DROP TRIGGER memories_fts_delete", _old_index_trigger("delete")),
    step("DROP TRIGGER memories_fts_insert", _old_index_trigger("insert")),
    step(None, "INSERT INTO memories_fts (memories_fts) VALUES ('rebuild')"),
    step("DROP TABLE memories_fts",
         "CREATE VIRTUAL TABLE memories_fts USING fts5(content, topics, owner, "
         "content='memories_fts_source', content_rowid='rid', "
         "tokenize='unicode61 remove_diacritics 2')"),
    step("DROP VIEW memories_fts_source",
         "CREATE VIEW memories_fts_source AS SELECT rid, content, topics, "
         "hex(app_name) || 'x' || hex(user_id) AS owner FROM memories"),
    step("ALTER TABLE memories ADD COLUMN search_terms TEXT NOT NULL DEFAULT ''",
         "ALTER TABLE memories DROP COLUMN search_terms"),
    step(index_existing_memories),
    # What the index is built from (FTS5 reads it for 'rebuild' and 'integrity-check').
    step("CREATE VIEW memories_search_source AS SELECT rid, "
         + NEW_TERMS.format(row="memories") + " AS terms FROM memories",
         "DROP VIEW memories_search_source"),
    step("CREATE VIRTUAL TABLE memories_search USING fts5(terms, "
         "content='memories_search_source', content_rowid='rid', tokenize='ascii', "
         "detail=none, columnsize=0)",
         "DROP TABLE memories_search"),
    step("INSERT INTO memories_search (memories_search) VALUES ('rebuild')"),
    step(f"CREATE TRIGGER memories_search_insert AFTER INSERT ON memories BEGIN {ADD} END",
         "DROP TRIGGER memories_search_insert"),
    step(f"CREATE TRIGGER memories_search_delete AFTER DELETE ON memories BEGIN {REMOVE} END",
         "DROP TRIGGER memories_search_delete"),
    # Re-adding a memory only refreshes updated_at: leave the index alone unless the terms or
    # the owner really changed.
    step("CREATE TRIGGER memories_search_update AFTER UPDATE OF app_name, user_id, search_terms "
         "ON memories WHEN old.search_terms IS NOT new.search_terms "
         "OR old.app_name IS NOT new.app_name OR old.user_id IS NOT new.user_id "
         f"BEGIN {REMOVE} {ADD} END",
         "DROP TRIGGER memories_search_update"),
]
