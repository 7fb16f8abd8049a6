"""Memory search in every script and inside words. The tsvector is no longer parsed from the
text: it is built from `search_terms`, terms computed in Python by genie_repo.stores.text_search (whole
words, trigrams, and 1-2 character grams of unspaced scripts) taken as lexemes exactly as
written (array_to_tsvector: no parser, no dictionary), plus the owner lexeme, in a GIN expression index. SQLite indexes the
very same terms, so both dialects find the same memories. A Python migration because the terms
of the memories already stored are computed by that module.
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
    after = ""
    while True:
        cursor.execute(
            "SELECT id, content, topics FROM memories WHERE id > %(after)s ORDER BY id "
            "LIMIT 1000",
            {"after": after},
        )
        rows = cursor.fetchall()
        if not rows:
            return
        cursor.executemany(
            "UPDATE memories SET search_terms = %(terms)s WHERE id = %(id)s",
            [{"terms": text_search.index_terms(content, *_topics(topics)), "id": id_}
             for id_, content, topics in rows],
        )
        after = rows[-1][0]


OWNER_LEXEME = "array_to_tsvector(ARRAY['@' || md5(length(app_name)::text || ':' || app_name || user_id)])"

steps = [
    step("DROP INDEX idx_memories_search",
         "CREATE INDEX idx_memories_search ON memories USING GIN (search)"),
    step("ALTER TABLE memories DROP COLUMN search",
         "ALTER TABLE memories ADD COLUMN search TSVECTOR GENERATED ALWAYS AS ("
         "to_tsvector('simple'::regconfig, "
         "regexp_replace(content || ' ' || topics, '[^[:alnum:]]+', ' ', 'g')) || "
         + OWNER_LEXEME + ") STORED"),
    step("ALTER TABLE memories ADD COLUMN search_terms TEXT NOT NULL DEFAULT ''",
         "ALTER TABLE memories DROP COLUMN search_terms"),
    step(index_existing_memories),
    # An expression index, not a stored tsvector: the terms are stored once, as text. The
    # search query repeats this expression exactly so the planner uses the index.
    step("CREATE INDEX idx_memories_search ON memories USING GIN (("
         "array_to_tsvector(string_to_array(search_terms, ' ')) || " + OWNER_LEXEME + "))",
         "DROP INDEX idx_memories_search"),
]
