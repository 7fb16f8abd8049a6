"""MemoryStore on both dialects: idempotent adds, id-following updates, reads, ranked search,
the per-user cap, and the seed's gaps as regression tests."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from genie_repo import InvalidInput, NotFound
from genie_repo.db import Database
from genie_repo.models.memories import MemoryKey, memory_id
from genie_repo.models.sessions import UserKey
from genie_repo.stores import memories as memories_module
from genie_repo.stores.memories import MemoryStore
from tests.api import Builder
from tests.clock import FakeClock as Clock

CORPUS = json.loads(Path(__file__).with_name("memory_corpus.json").read_text(encoding="utf-8"))

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ALICE = UserKey("genie:assistant", "alice")
BOB = UserKey("genie:assistant", "bob")


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def store(db: Database, clock: Clock, build: Builder) -> MemoryStore:
    return build(MemoryStore, db, clock=clock)


def contents(entries: list) -> list[str]:  # type: ignore[type-arg]
    return [e.memory.content for e in entries]


# -- add ----------------------------------------------------------------------------------------

def test_add_returns_the_seed_entry_shape(store: MemoryStore) -> None:
    entry = store.add_memory(ALICE, "likes tea", ["drinks", "preferences"])
    assert entry.id == memory_id("genie:assistant", "alice", "likes tea")
    assert (entry.app_name, entry.user_id) == ("genie:assistant", "alice")
    assert entry.memory.content == "likes tea"
    assert entry.memory.topics == ["drinks", "preferences"]
    assert entry.memory.last_updated == entry.updated_at == entry.created_at == T0
    assert entry.score is None
    assert set(entry.model_dump()) == {
        "id", "app_name", "user_id", "memory", "created_at", "updated_at", "score"}


def test_readd_keeps_one_row_and_created_at(store: MemoryStore, clock: Clock) -> None:
    """Seed bug: Save() reset created_at to the zero time on every re-add."""
    first = store.add_memory(ALICE, "likes tea", ["a"])
    later = clock.advance(seconds=60)
    again = store.add_memory(ALICE, "likes tea", ["b", "c"])
    assert again.id == first.id
    assert again.created_at == T0
    assert again.updated_at == later
    assert again.memory.topics == ["b", "c"]
    assert [e.id for e in store.read_memories(ALICE)] == [first.id]


def test_ids_are_per_owner_and_unambiguous(store: MemoryStore) -> None:
    a = store.add_memory(UserKey("a:b", "c"), "same text")
    b = store.add_memory(UserKey("a", "b:c"), "same text")
    c = store.add_memory(ALICE, "same text")
    d = store.add_memory(BOB, "same text")
    assert len({a.id, b.id, c.id, d.id}) == 4


def test_topics_default_to_empty_and_duplicates_collapse(store: MemoryStore) -> None:
    assert store.add_memory(ALICE, "x").memory.topics == []
    assert store.add_memory(ALICE, "y", ("t", "u", "t")).memory.topics == ["t", "u"]


BAD_ADDS = [
    (UserKey.__new__(UserKey), "text", None),  # parts never set
    (ALICE, "", None),
    (ALICE, "   ", None),
    (ALICE, 42, None),
    (ALICE, "nul \x00 inside", None),
    (ALICE, "lone \ud800 surrogate", None),
    (ALICE, "text", "not-a-list"),
    (ALICE, "text", [1, 2]),
    (UserKey.model_construct(app_name="a", user_id="u" * 1025), "text", None),  # unchecked key
]


def test_bad_input_is_invalid_and_writes_nothing(store: MemoryStore) -> None:
    for key, content, topics in BAD_ADDS:
        with pytest.raises(InvalidInput):
            store.add_memory(key, content, topics)  # type: ignore[arg-type]
    assert store.read_memories(ALICE) == []


@pytest.mark.parametrize(("app", "user"), [("", "u"), ("a", ""), (None, "u")])
def test_keys_need_every_part(app: object, user: object) -> None:
    with pytest.raises(InvalidInput):
        UserKey(app, user)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        MemoryKey(app, user, "id")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        MemoryKey("a", "u", "")


def test_racing_adds_of_one_text_keep_one_row(store: MemoryStore) -> None:
    """Seed gap: UPDATE-then-INSERT dedup was racy; the upsert is one statement."""
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def add(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            store.add_memory(ALICE, "the same memory", [f"t{i}"])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.read_memories(ALICE)) == 1
    assert len(store.search_memories(ALICE, "same memory")) == 1


# -- update -------------------------------------------------------------------------------------

def test_update_missing_is_not_found(store: MemoryStore) -> None:
    with pytest.raises(NotFound):
        store.update_memory(MemoryKey("app", "u", "nope"), "text")
    other = store.add_memory(BOB, "bob's memory")
    with pytest.raises(NotFound):  # another owner's id is not yours
        store.update_memory(MemoryKey(ALICE.app_name, ALICE.user_id, other.id), "text")


def test_update_moves_the_id_with_the_text(store: MemoryStore, clock: Clock) -> None:
    old = store.add_memory(ALICE, "lives in Paris", ["home"])
    clock.advance(seconds=1)
    new = store.update_memory(MemoryKey(ALICE.app_name, ALICE.user_id, old.id),
                              "lives in Berlin", ["home", "moved"])
    assert new.id == memory_id(ALICE.app_name, ALICE.user_id, "lives in Berlin") != old.id
    assert new.created_at == T0 and new.updated_at == T0 + timedelta(seconds=1)
    assert new.memory.topics == ["home", "moved"]
    assert [e.id for e in store.read_memories(ALICE)] == [new.id]
    # the new text added again is the same row; the old text added again is a fresh memory
    assert store.add_memory(ALICE, "lives in Berlin").id == new.id
    assert len(store.read_memories(ALICE)) == 1
    assert store.add_memory(ALICE, "lives in Paris").id == old.id
    assert sorted(contents(store.read_memories(ALICE))) == ["lives in Berlin", "lives in Paris"]
    # the index followed: the old text is found only through its re-added row
    assert contents(store.search_memories(ALICE, "Berlin")) == ["lives in Berlin"]


def test_update_with_the_same_text_changes_topics_only(store: MemoryStore, clock: Clock) -> None:
    old = store.add_memory(ALICE, "likes tea", ["a"])
    clock.advance(seconds=1)
    new = store.update_memory(MemoryKey(ALICE.app_name, ALICE.user_id, old.id), "likes tea", ["b"])
    assert (new.id, new.created_at, new.memory.topics) == (old.id, T0, ["b"])
    assert contents(store.search_memories(ALICE, "b")) == ["likes tea"]
    assert store.search_memories(ALICE, "a") == []


def test_update_onto_an_existing_text_merges(store: MemoryStore, clock: Clock) -> None:
    clock.advance(seconds=10)
    target = store.add_memory(ALICE, "likes green tea", ["x"])
    clock.advance(seconds=10)
    moving = store.add_memory(ALICE, "likes tea", ["y"])
    clock.now = T0  # the moving memory is older than the target: the earlier created_at wins
    store.update_memory(MemoryKey(ALICE.app_name, ALICE.user_id, moving.id), "likes tea", ["y"])
    clock.now = T0 + timedelta(seconds=60)
    merged = store.update_memory(MemoryKey(ALICE.app_name, ALICE.user_id, moving.id),
                                 "likes green tea", ["z"])
    assert merged.id == target.id
    assert merged.memory.topics == ["z"]
    assert merged.created_at == T0 + timedelta(seconds=10)
    assert [e.id for e in store.read_memories(ALICE)] == [target.id]


# -- delete, clear, read ------------------------------------------------------------------------

def test_delete_is_idempotent(store: MemoryStore) -> None:
    entry = store.add_memory(ALICE, "temporary")
    key = MemoryKey(ALICE.app_name, ALICE.user_id, entry.id)
    assert store.delete_memory(key) is True
    assert store.delete_memory(key) is False
    assert store.read_memories(ALICE) == []
    assert store.search_memories(ALICE, "temporary") == []


def test_clear_removes_only_that_owner(store: MemoryStore) -> None:
    for i in range(3):
        store.add_memory(ALICE, f"alice memory {i}")
    store.add_memory(BOB, "bob memory")
    assert store.clear_memories(ALICE) == 3
    assert store.read_memories(ALICE) == []
    assert store.search_memories(ALICE, "memory") == []
    assert contents(store.read_memories(BOB)) == ["bob memory"]


def test_read_is_newest_first_with_a_limit(store: MemoryStore, clock: Clock) -> None:
    for i in range(5):
        clock.advance(seconds=1)
        store.add_memory(ALICE, f"memory {i}")
    clock.advance(seconds=1)
    store.add_memory(ALICE, "memory 1")  # re-adding refreshes: it becomes the newest
    assert contents(store.read_memories(ALICE)) == [
        "memory 1", "memory 4", "memory 3", "memory 2", "memory 0"]
    assert contents(store.read_memories(ALICE, limit=2)) == ["memory 1", "memory 4"]
    for bad in (0, -1, 10_001, True):
        with pytest.raises(InvalidInput):
            store.read_memories(ALICE, limit=bad)


# -- search -------------------------------------------------------------------------------------

def test_search_is_case_insensitive_in_any_script(store: MemoryStore) -> None:
    """Seed bug: LIKE was case-sensitive on PostgreSQL."""
    store.add_memory(ALICE, "Meeting at the École Normale in Москва")
    for query in ("meeting", "MEETING", "école", "ÉCOLE", "москва", "МОСКВА"):
        assert contents(store.search_memories(ALICE, query)) == [
            "Meeting at the École Normale in Москва"], query


def test_search_matches_words_in_any_order_and_topics(store: MemoryStore) -> None:
    store.add_memory(ALICE, "the quick brown fox", ["animals"])
    store.add_memory(ALICE, "a slow green turtle", ["animals", "reptiles"])
    assert contents(store.search_memories(ALICE, "fox brown")) == ["the quick brown fox"]
    assert contents(store.search_memories(ALICE, "reptiles")) == ["a slow green turtle"]
    assert len(store.search_memories(ALICE, "animals")) == 2


def test_search_words_split_like_the_index(store: MemoryStore) -> None:
    store.add_memory(ALICE, "email bob@example.com about the v2.1 release")
    for query in ("bob", "example.com", "v2", "release notes", "BOB@EXAMPLE"):
        assert len(store.search_memories(ALICE, query)) == 1, query


def test_search_ranks_better_matches_first_with_scores(store: MemoryStore) -> None:
    store.add_memory(ALICE, "python is a programming language")
    store.add_memory(ALICE, "python asyncio event loop internals")
    store.add_memory(ALICE, "gardening tips for spring")
    results = store.search_memories(ALICE, "python asyncio")
    assert contents(results)[0] == "python asyncio event loop internals"
    assert len(results) == 2
    scores = [r.score for r in results if r.score is not None]
    assert len(scores) == 2 and all(s > 0 for s in scores)
    assert scores == sorted(scores, reverse=True)


def test_search_limit_and_owner_isolation(store: MemoryStore) -> None:
    for i in range(15):
        store.add_memory(ALICE, f"shared word number {i}")
    store.add_memory(BOB, "shared word from bob")
    assert len(store.search_memories(ALICE, "shared")) == 10
    assert len(store.search_memories(ALICE, "shared", limit=3)) == 3
    assert contents(store.search_memories(BOB, "shared")) == ["shared word from bob"]
    assert store.search_memories(UserKey("genie:assistant", "carol"), "shared") == []
    with pytest.raises(InvalidInput):
        store.search_memories(ALICE, "shared", limit=0)


def test_search_topic_filter(store: MemoryStore) -> None:
    store.add_memory(ALICE, "tea in the morning", ["food"])
    store.add_memory(ALICE, "morning standup", ["work"])
    store.add_memory(ALICE, "morning run", ["sport", "health"])
    assert contents(store.search_memories(ALICE, "morning", topics=["work"])) == [
        "morning standup"]
    assert sorted(contents(store.search_memories(ALICE, "morning", topics=["food", "health"]))) == [
        "morning run", "tea in the morning"]
    assert store.search_memories(ALICE, "morning", topics=[]) == []
    assert store.search_memories(ALICE, "morning", topics=["Work"]) == []  # exact topic names


def test_like_wildcards_are_plain_text(store: MemoryStore) -> None:
    """Seed bug: the unescaped LIKE made `%` and `_` match anything."""
    store.add_memory(ALICE, "discount of 50% on shoes")
    store.add_memory(ALICE, "file_name conventions")
    store.add_memory(ALICE, "unrelated memory")
    for query in ("%", "_", "%%", "%_%"):
        assert store.search_memories(ALICE, query) == [], query
    assert contents(store.search_memories(ALICE, "50%")) == ["discount of 50% on shoes"]
    assert contents(store.search_memories(ALICE, "file_name")) == ["file_name conventions"]


NASTY_QUERIES = [
    "", "   ", '"', '""', '"unbalanced', "*", "tea*", "-tea", "NOT", "NOT tea", "AND", "OR",
    "tea AND", "OR tea OR", "NEAR(", "NEAR(tea coffee", "tea NEAR/2 coffee", "content:tea",
    "topics : tea", "^tea", "tea^2", "(", ")", "((tea)", "{content topics}: tea", "'", "''",
    "tea's", "\\", "tea\\", "&", "|", "!", "!tea", "<->", "tea <-> coffee", "tea:*", "@@",
    "\x00", "tea\x00coffee", "\ud800", ":", "::", "+", "~", "?", "%", "🍵", "\t\n",
    "\u0301", "e\u0301", "\u0903",
]


def test_operator_and_punctuation_queries_never_raise(store: MemoryStore) -> None:
    """User text is never FTS5 / tsquery syntax: operators are words or separators."""
    store.add_memory(ALICE, "green tea with coffee cake, not near")
    store.add_memory(ALICE, "something else entirely")
    for query in NASTY_QUERIES:
        results = store.search_memories(ALICE, query)
        words = [w for w in ("tea", "coffee", "not", "near") if w in query.lower()]
        expected = ["green tea with coffee cake, not near"] if words else []
        assert contents(results) == expected, query


def test_owner_marker_is_not_searchable(store: MemoryStore) -> None:
    store.add_memory(ALICE, "some memory")
    token = (ALICE.app_name.encode().hex().upper() + "x" + ALICE.user_id.encode().hex().upper())
    assert store.search_memories(ALICE, token) == []
    assert store.search_memories(ALICE, "owner") == []


def test_search_rejects_non_text_query(store: MemoryStore) -> None:
    with pytest.raises(InvalidInput):
        store.search_memories(ALICE, None)  # type: ignore[arg-type]


def test_search_quality_on_the_corpus(store: MemoryStore, clock: Clock) -> None:
    """The expected memory is the best hit for every query, on both dialects."""
    ids = {}
    for key, memory in CORPUS["memories"].items():
        clock.advance(seconds=1)
        ids[store.add_memory(ALICE, memory["content"], memory["topics"]).id] = key
    assert len(ids) == 51 and len(CORPUS["queries"]) == 15
    misses = []
    for case in CORPUS["queries"]:
        query, expected = case["query"], case["best"]
        results = store.search_memories(ALICE, query, limit=3)
        best = ids[results[0].id] if results else None
        if best != expected:
            misses.append((query, expected, [ids[r.id] for r in results]))
    assert not misses, "\n".join(f"{q!r}: expected {e}, got {got}" for q, e, got in misses)


# -- per-user cap -------------------------------------------------------------------------------

def test_cap_evicts_the_least_recently_updated(db: Database, clock: Clock) -> None:
    store = MemoryStore(db, clock=clock, max_memories_per_user=3)
    for text in ("one", "two", "three"):
        clock.advance(seconds=1)
        store.add_memory(ALICE, text)
    clock.advance(seconds=1)
    store.add_memory(ALICE, "one")  # refreshed: now "two" is the oldest
    clock.advance(seconds=1)
    store.add_memory(ALICE, "four")
    assert contents(store.read_memories(ALICE)) == ["four", "one", "three"]
    store.add_memory(BOB, "bob's own")
    assert len(store.read_memories(ALICE)) == 3
    assert store.search_memories(ALICE, "two") == []


def test_cap_must_be_positive(db: Database) -> None:
    with pytest.raises(InvalidInput):
        MemoryStore(db, max_memories_per_user=0)


def test_common_words_do_not_select(store: MemoryStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A word in COMMON_WORD_MEMORIES or more of the owner's memories only narrows nothing: the
    rarer words select; when every word is common, all of them must match."""
    monkeypatch.setattr(memories_module, "COMMON_WORD_MEMORIES", 3)
    for text in ("the cat sat", "the dog ran", "the bird sang", "the fish swam with the cat"):
        store.add_memory(ALICE, text)
    store.add_memory(BOB, "the only one of bob")  # another owner's counts do not matter
    assert contents(store.search_memories(ALICE, "the dog")) == ["the dog ran"]
    assert sorted(contents(store.search_memories(ALICE, "the cat"))) == [
        "the cat sat", "the fish swam with the cat"]
    assert len(store.search_memories(ALICE, "the")) == 4  # all common: AND of all words
    assert contents(store.search_memories(BOB, "the")) == ["the only one of bob"]
