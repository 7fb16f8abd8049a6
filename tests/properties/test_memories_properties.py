"""Properties of MemoryStore on both dialects: adding is idempotent, any text is searchable by
its own words, no query text raises, every memory containing a query word is found (in every
script), and both dialects find the same memories."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genie_repo.db import Database
from genie_repo.models.sessions import UserKey
from genie_repo.stores.memories import MemoryStore
from genie_repo.stores.text_search import is_unspaced, runs

T0 = datetime(2026, 3, 1, tzinfo=UTC)
SETTINGS = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=30, deadline=None
)
# Text a database can hold: any code point but NUL and lone surrogates.
TEXT = st.text(
    st.characters(codec="utf-8", blacklist_characters="\x00"), max_size=80
)
CONTENT = TEXT.filter(lambda s: s.strip() != "")
TOPICS = st.lists(
    st.text(st.characters(codec="utf-8", blacklist_characters="\x00"), max_size=12), max_size=4)


def owner() -> UserKey:
    """A fresh owner per example: examples share the test's database without seeing each other."""
    return UserKey("props", uuid.uuid4().hex)


@SETTINGS
@given(content=CONTENT, topics=TOPICS)
def test_add_twice_equals_add_once(db: Database, content: str, topics: list[str]) -> None:
    store = MemoryStore(db, clock=lambda: T0)
    key = owner()
    once = store.add_memory(key, content, topics)
    after_once = store.read_memories(key)
    twice = store.add_memory(key, content, topics)
    assert twice == once
    assert store.read_memories(key) == after_once == [once]
    assert once.memory.content == content
    assert once.memory.topics == list(dict.fromkeys(topics))


@SETTINGS
@given(content=CONTENT, query=TEXT)
def test_any_text_is_found_by_its_words_and_no_query_raises(
    db: Database, content: str, query: str
) -> None:
    store = MemoryStore(db, clock=lambda: T0)
    key = owner()
    entry = store.add_memory(key, content)
    results = store.search_memories(key, query)  # never raises, whatever the text
    assert all(r.id == entry.id for r in results)
    # every plain ASCII word of the text finds it (other scripts fold differently per dialect)
    ascii_words = [w for w in runs(content) if w.isascii() and w.isalnum()]
    for word in ascii_words[:3]:
        assert [r.id for r in store.search_memories(key, word)] == [entry.id], word


# -- search in every script ---------------------------------------------------------------------

SCRIPTS = st.text(
    alphabet=st.sampled_from(
        list("abcdeXYZßéıİΣςДжыЁ上海東京都あいアイ한국어ไทยกา12") + ["\u0301", "\u0e31"]
        + list(" -.,'\"*&|:")
    ),
    min_size=1, max_size=30,
).filter(lambda s: s.strip() != "")


def _qualifies(query: str) -> bool:
    """A query word the superset guarantee covers: no separator, and 3+ characters or any
    character of a script written without spaces."""
    return len(runs(query)) == 1 and runs(query)[0] == query.casefold() and (
        len(query) >= 3 or any(is_unspaced(c) for c in query))


@SETTINGS
@given(texts=st.lists(SCRIPTS, min_size=1, max_size=6), data=st.data())
def test_search_finds_every_memory_containing_the_query(
    db: Database, texts: list[str], data: st.DataObject
) -> None:
    """Superset of the seed's `content LIKE '%q%'`: every memory containing a query word
    case-insensitively is found, in every script."""
    store = MemoryStore(db, clock=lambda: T0)
    key = owner()
    for text in texts:
        store.add_memory(key, text)
    source = data.draw(st.sampled_from([run for text in texts for run in runs(text)] or [""]))
    start = data.draw(st.integers(0, max(len(source) - 1, 0)))
    query = source[start:data.draw(st.integers(start + 1, max(len(source), start + 1)))]
    query = data.draw(st.sampled_from([query, query.upper(), query.title()]))
    if not _qualifies(query):
        return
    found = {e.memory.content for e in store.search_memories(key, query, limit=100)}
    expected = {t for t in texts if query.casefold() in t.casefold()}
    assert expected <= found, query


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=20,
          deadline=None)
@given(texts=st.lists(SCRIPTS, min_size=1, max_size=8),
       queries=st.lists(SCRIPTS, min_size=1, max_size=4), data=st.data())
def test_both_dialects_return_the_same_memories(
    make_db: Callable[[str], Database], texts: list[str], queries: list[str],
    data: st.DataObject,
) -> None:
    """The same memories and queries give the same result set on SQLite and PostgreSQL."""
    picked = data.draw(st.sampled_from(texts))
    queries = [*queries, picked[len(picked) // 3:], picked[:4]]
    stores = [MemoryStore(make_db(d), clock=lambda: T0) for d in ("sqlite", "postgres")]
    key = owner()
    for store in stores:
        for text in texts:
            store.add_memory(key, text)
    for query in queries:
        results = [{e.id for e in s.search_memories(key, query, limit=100)} for s in stores]
        assert results[0] == results[1], query
