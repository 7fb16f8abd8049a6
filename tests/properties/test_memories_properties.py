"""Properties of MemoryStore on both dialects: adding is idempotent, any text is searchable by
its own words, and no query text raises."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genie_repo.db import Database
from genie_repo.models.sessions import UserKey
from genie_repo.stores.memories import MemoryStore
from genie_repo.stores.text_search import runs

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
