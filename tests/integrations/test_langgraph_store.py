"""GenieStore against what LangGraph's own store tests check for SqliteStore and PostgresStore,
in our words, on both dialects: batches and their order, namespaces, filters, listing, search
with a score, and TTL (with an injected clock: no sleeping)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from langgraph.store.base import (
    GetOp,
    InvalidNamespaceError,
    Item,
    ListNamespacesOp,
    MatchCondition,
    PutOp,
    SearchItem,
    SearchOp,
)

from genie_repo import InvalidInput
from genie_repo.db import Database
from genie_repo.integrations.langgraph_store import GenieStore
from tests.clock import FakeClock, StepClock

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(db: Database) -> Iterator[GenieStore]:
    genie = GenieStore(db, clock=StepClock(T0))
    yield genie
    genie.stop_ttl_sweeper()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


def ttl_store(db: Database, clock: FakeClock, **config: object) -> GenieStore:
    return GenieStore(db, ttl=config, clock=clock)  # type: ignore[arg-type]


def test_batch_keeps_op_order_and_result_types(store: GenieStore) -> None:
    store.put(("test", "foo"), "key1", {"data": "value1"})
    store.put(("test", "bar"), "key2", {"data": "value2"})
    results = store.batch([
        GetOp(("test", "foo"), "key1"),
        PutOp(("test", "bar"), "key2", {"data": "value2"}),
        SearchOp(("test",), filter={"data": "value1"}),
        ListNamespacesOp(limit=10),
        GetOp(("test",), "key3"),
    ])
    assert isinstance(results[0], Item) and results[0].value == {"data": "value1"}
    assert results[0].namespace == ("test", "foo") and results[0].key == "key1"
    assert results[1] is None and results[4] is None
    assert [(i.key, i.value) for i in results[2]] == [("key1", {"data": "value1"})]  # type: ignore[union-attr]
    assert all(isinstance(i, SearchItem) for i in results[2])  # type: ignore[union-attr]
    assert results[3] == [("test", "bar"), ("test", "foo")]
    reordered = store.batch([
        SearchOp(("test",), limit=5),
        GetOp(("test", "bar"), "key2"),
        ListNamespacesOp(limit=5),
        PutOp(("test",), "key3", {"data": "value3"}),
        GetOp(("test", "foo"), "key1"),
    ])
    assert len(reordered[0]) == 2 and reordered[3] is None  # type: ignore[arg-type]
    assert reordered[1].value == {"data": "value2"}  # type: ignore[union-attr]
    assert reordered[4].value == {"data": "value1"}  # type: ignore[union-attr]
    assert store.get(("test",), "key3").value == {"data": "value3"}  # type: ignore[union-attr]


def test_batch_puts_and_deletes(store: GenieStore) -> None:
    store.put(("test",), "key3", {"old": True})
    assert store.batch([PutOp(("test",), "key1", {"d": 1}), PutOp(("test",), "key2", {"d": 2}),
                        PutOp(("test",), "key3", None)]) == [None, None, None]
    assert store.get(("test",), "key1").value == {"d": 1}  # type: ignore[union-attr]
    assert store.get(("test",), "key3") is None


def test_basic_ops_and_timestamps(store: GenieStore) -> None:
    store.put(("test", "documents"), "doc1", {"title": "Test"})
    item = store.get(("test", "documents"), "doc1")
    assert item is not None and item.value == {"title": "Test"}
    store.put(("test", "documents"), "doc1", {"title": "Updated"})
    updated = store.get(("test", "documents"), "doc1")
    assert updated is not None and updated.value == {"title": "Updated"}
    assert updated.updated_at > item.updated_at and updated.created_at == item.created_at
    assert store.get(("test", "other"), "doc1") is None
    store.delete(("test", "documents"), "doc1")
    assert store.get(("test", "documents"), "doc1") is None


def test_namespaces_are_validated_as_langgraph_does(store: GenieStore) -> None:
    for bad in [(), ("langgraph", "x"), ("a.b",), ("",), ("a\x00",)]:
        with pytest.raises(InvalidNamespaceError):
            store.put(bad, "k", {"v": 1})
    with pytest.raises(InvalidNamespaceError):
        store.batch([GetOp(("a.b",), "k")])
    with pytest.raises(InvalidNamespaceError):
        store.list_namespaces(prefix=("a.b",))
    with pytest.raises(ValueError):
        store.batch([PutOp((), "k", {"v": 1})])


def test_search_prefix_filter_and_pages(store: GenieStore) -> None:
    data = [(("test", "docs"), "doc1", {"author": "Alice", "tags": ["important"]}),
            (("test", "docs"), "doc2", {"author": "Bob", "tags": ["draft"]}),
            (("test", "images"), "img1", {"author": "Alice", "tags": ["draft"]})]
    for ns, key, value in data:
        store.put(ns, key, value)
    assert len(store.search(["test"])) == 3  # type: ignore[arg-type]
    assert {i.namespace for i in store.search(("test", "docs"))} == {("test", "docs")}
    assert {i.key for i in store.search(("test",), filter={"author": "Alice"})} == {"doc1", "img1"}
    assert {i.key for i in store.search(("test",), filter={"tags": ["draft"]})} == {"doc2", "img1"}
    first, second = store.search(("test",), limit=2), store.search(("test",), offset=2)
    assert len(first) == 2 and len(second) == 1
    assert {i.key for i in first}.isdisjoint({i.key for i in second})
    assert all(i.score is None for i in first)


def test_numeric_comparisons_are_numeric_and_strings_lexicographic(store: GenieStore) -> None:
    for key, score in [("a", 2), ("b", 9), ("c", 10), ("d", 11), ("e", 9.5)]:
        store.put(("scores",), key, {"score": score})
    store.put(("names",), "a", {"name": "apple"})
    store.put(("names",), "b", {"name": "banana"})

    def scores(filter: dict) -> list:  # type: ignore[type-arg]
        return sorted(i.value["score"] for i in store.search(("scores",), filter=filter))

    assert scores({"score": {"$gte": 10}}) == [10, 11]
    assert scores({"score": {"$gt": 9}}) == [9.5, 10, 11]
    assert scores({"score": {"$lt": 10}}) == [2, 9, 9.5]
    assert scores({"score": {"$lte": 9}}) == [2, 9]
    assert scores({"score": {"$ne": 9}}) == [2, 9.5, 10, 11]
    names = [i.value["name"] for i in store.search(("names",), filter={"name": {"$gt": "apple"}})]
    assert names == ["banana"]


def test_filter_keys_cannot_inject_and_values_are_literal(store: GenieStore) -> None:
    store.put(("docs",), "public", {"access": "public"})
    store.put(("docs",), "private", {"access": "private", "password": "123"})
    hostile = "access') = 'public' OR '1'='1' OR json_extract(value, '$."
    with pytest.raises(ValueError, match="Invalid filter key"):
        store.search(("docs",), filter={hostile: 1})
    for value in ["public' OR '1'='1", "public'; --", "public\x00' OR '1'='1", "''''"]:
        assert store.search(("docs",), filter={"access": value}) == []
    store.put(("flags",), "on", {"active": True, "level": {"access-level": "x", "1a": "y"}})
    store.put(("flags",), "off", {"active": False})
    assert [i.key for i in store.search(("flags",), filter={"active": True})] == ["on"]
    assert [i.key for i in store.search(("flags",), filter={"active": False})] == ["off"]
    assert [i.key for i in store.search(("flags",), filter={"level.access-level": "x"})] == ["on"]
    assert [i.key for i in store.search(("flags",), filter={"level.1a": "y"})] == ["on"]


def test_list_namespaces_matching(store: GenieStore) -> None:
    namespaces = [("test", "documents", "public"), ("test", "documents", "private"),
                  ("test", "images", "public"), ("prod", "documents", "public"),
                  ("prod", "documents", "some", "nesting", "public"),
                  ("users", "alice"), ("users", "alice\n"), ("users", "malice")]
    for ns in namespaces:
        store.put(ns, "dummy", {"content": "dummy"})
    assert store.list_namespaces(limit=100) == sorted(namespaces)
    assert len(store.list_namespaces(prefix=["test"])) == 3  # type: ignore[arg-type]
    assert len(store.list_namespaces(suffix=("public",))) == 4
    assert store.list_namespaces(suffix=("alice",)) == [("users", "alice")]
    assert store.list_namespaces(prefix=("users", "alice")) == [("users", "alice")]
    assert store.list_namespaces(prefix=("*", "documents")) == sorted(
        ns for ns in namespaces if ns[1] == "documents")
    assert store.list_namespaces(suffix=("some", "*", "public")) == [namespaces[4]]
    assert store.list_namespaces(max_depth=2) == [
        ("prod", "documents"), ("test", "documents"), ("test", "images"), ("users", "alice"),
        ("users", "alice\n"), ("users", "malice")]
    assert store.list_namespaces(limit=3) == sorted(namespaces)[:3]
    assert store.list_namespaces(offset=6) == sorted(namespaces)[6:]
    public = store.batch([ListNamespacesOp((MatchCondition("suffix", "public"),))])[0]  # type: ignore[arg-type]
    assert public and all(ns[-1] == "public" for ns in public)  # type: ignore[union-attr]


def test_metacharacter_labels_are_literal(store: GenieStore) -> None:
    for label, decoy in [("star*", "starX"), ("q?m", "qXm"), ("br[ack]et", "brXacXket"),
                         ("user_1", "userX1"), ("a%b", "axxb"), ("plus+", "plusX")]:
        store.put((label,), "k", {"v": 1})
        store.put((decoy,), "k", {"v": 1})
        store.put((label, "child"), "k", {"v": 1})
        assert set(store.list_namespaces(prefix=[label])) == {(label,), (label, "child")}  # type: ignore[list-item]
        assert {i.namespace for i in store.search((label,))} == {(label,), (label, "child")}


def test_query_ranks_with_a_score(store: GenieStore) -> None:
    store.put(("m",), "1", {"text": "这是中文"})
    store.put(("m",), "2", {"text": "green tea and more tea"})
    store.put(("m",), "3", {"text": "coffee"})
    store.put(("m",), "4", {"text": "tea"}, index=False)
    found = store.search(("m",), query="tea")
    assert [i.key for i in found] == ["2"] and found[0].score is not None
    assert [i.key for i in store.search(("m",), query="这是中文")] == ["1"]
    assert len(store.search(("m",), query="")) == 4  # no query: a plain listing


def test_an_embedding_index_is_refused(db: Database) -> None:
    with pytest.raises(InvalidInput, match="embed"):
        GenieStore(db, index={"dims": 3, "embed": lambda texts: [[0.0] * 3 for _ in texts]})
    fields = GenieStore(db, index={"fields": ["title"]})  # type: ignore[typeddict-item]
    fields.put(("d",), "k", {"title": "needle", "body": "hay"})
    assert [i.key for i in fields.search(("d",), query="needle")] == ["k"]
    assert fields.search(("d",), query="hay") == []


# -- TTL -----------------------------------------------------------------------------------------


def test_ttl_expired_items_invisible_before_sweep(db: Database, clock: FakeClock) -> None:
    store = ttl_store(db, clock, default_ttl=5)
    assert store.supports_ttl and store.ttl_config == {"default_ttl": 5}
    store.put(("omit", "expired"), "e", {"data": "gone"})
    store.put(("omit", "control"), "c", {"data": "keep"}, ttl=None)
    clock.advance(minutes=5)
    assert store.get(("omit", "expired"), "e") is None
    assert store.get(("omit", "control"), "c") is not None
    assert store.search(("omit", "expired")) == []
    assert [i.key for i in store.search(("omit",))] == ["c"]
    assert store.list_namespaces(prefix=("omit",)) == [("omit", "control")]
    assert store.sweep_ttl() == 1


def test_ttl_refresh_on_read(db: Database, clock: FakeClock) -> None:
    store = ttl_store(db, clock, default_ttl=1, refresh_on_read=True)
    store.put(("t",), "item", {"v": 1})
    store.put(("t",), "other", {"v": 2})
    clock.advance(seconds=50)
    assert store.get(("t",), "item") is not None
    assert [i.key for i in store.search(("t",), filter={"v": 2})] == ["other"]
    clock.advance(seconds=50)
    assert store.sweep_ttl() == 0
    assert store.get(("t",), "item", refresh_ttl=False) is not None
    clock.advance(seconds=61)
    assert store.sweep_ttl() == 2
    assert store.get(("t",), "item") is None


def test_ttl_per_item_overrides_default(db: Database, clock: FakeClock) -> None:
    store = ttl_store(db, clock, default_ttl=5 / 60)
    store.put(("t",), "short", {"v": 1}, ttl=1 / 60)
    store.put(("t",), "default", {"v": 2})
    store.put(("t",), "forever", {"v": 3}, ttl=None)
    clock.advance(seconds=2)
    assert store.sweep_ttl() == 1
    assert {i.key for i in store.search(("t",), refresh_ttl=False)} == {"forever", "default"}
    clock.advance(seconds=4)
    assert [i.key for i in store.search(("t",))] == ["forever"]


def test_ttl_without_support_config(store: GenieStore) -> None:
    store.put(("t",), "k", {"v": 1}, ttl=10)  # a TTL store takes ttl even without a config
    assert store.get(("t",), "k") is not None
    done = store.start_ttl_sweeper()
    assert done.done()  # nothing to sweep on a schedule without a ttl config


def test_ttl_sweeper_runs_until_stopped(db: Database, clock: FakeClock) -> None:
    swept = threading.Event()

    class Watched(GenieStore):
        def sweep_ttl(self) -> int:
            count = super().sweep_ttl()
            if count:
                swept.set()
            return count

    store = Watched(db, ttl={"default_ttl": 1, "sweep_interval_minutes": 0.0005}, clock=clock)
    store.put(("t",), "k", {"v": 1})
    clock.advance(minutes=2)
    future = store.start_ttl_sweeper()
    assert swept.wait(60)
    assert store.stop_ttl_sweeper(timeout=60)
    assert future.result(timeout=60) is None
    assert store.get(("t",), "k") is None and store.sweep_ttl() == 0


def test_async_methods(db: Database, clock: FakeClock) -> None:
    store = ttl_store(db, clock, default_ttl=5)

    async def scenario() -> None:
        await store.aput(("a", "b"), "k", {"v": 1})
        await store.aput(("a", "c"), "k", {"v": 2}, ttl=None)
        item = await store.aget(("a", "b"), "k")
        assert item is not None and item.value == {"v": 1}
        assert [i.key for i in await store.asearch(("a",), filter={"v": 2})] == ["k"]
        assert await store.alist_namespaces(prefix=("a",)) == [("a", "b"), ("a", "c")]
        clock.advance(minutes=6)
        assert await store.aget(("a", "b"), "k") is None
        assert await store.asweep_ttl() == 1
        await store.adelete(("a", "c"), "k")
        assert await store.alist_namespaces() == []
        results = await store.abatch([PutOp(("x",), "k", {"v": 1}), GetOp(("x",), "k")])
        assert results == [None, None]

    asyncio.run(scenario())
    assert store.get(("x",), "k") is not None
