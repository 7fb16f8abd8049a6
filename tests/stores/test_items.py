"""ItemStore on both dialects: namespaces, batches, filters evaluated in SQL, namespace listing,
full-text query, and TTL with an injected clock (expired items invisible before any sweep)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest

from genie_repo import InvalidInput
from genie_repo.cli import main
from genie_repo.config import Config
from genie_repo.db import Database, open_database
from genie_repo.models.items import (
    GetItem,
    ListNamespaces,
    NamespaceMatch,
    PutItem,
    SearchItems,
    StoredItem,
)
from genie_repo.stores.items import ItemStore
from tests.clock import FakeClock, StepClock

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def store(db: Database) -> ItemStore:
    return ItemStore(db, clock=StepClock(T0))


@pytest.fixture
def timed(db: Database, clock: FakeClock) -> ItemStore:
    return ItemStore(db, clock=clock)


def keys(items: list[StoredItem]) -> list[str]:
    return [item.key for item in items]


# -- items ---------------------------------------------------------------------------------------


def test_put_get_update_delete(store: ItemStore) -> None:
    store.put(("docs", "u1"), "a", {"title": "First", "n": 1})
    first = store.get(("docs", "u1"), "a")
    assert first is not None and first.value == {"title": "First", "n": 1}
    assert first.namespace == ("docs", "u1") and first.created_at == first.updated_at
    store.put(("docs", "u1"), "a", {"title": "Second"})
    second = store.get(("docs", "u1"), "a")
    assert second is not None and second.value == {"title": "Second"}
    assert second.created_at == first.created_at and second.updated_at > first.updated_at
    assert store.get(("docs", "u2"), "a") is None
    store.delete(("docs", "u1"), "a")
    assert store.get(("docs", "u1"), "a") is None
    store.delete(("docs", "u1"), "a")  # idempotent


def test_values_round_trip_exactly(store: ItemStore) -> None:
    value = {"unicode": "这是中文 ✓", "nested": {"list": [1, 2.5, None, True, "x"]},
             "big": 2**62, "empty": {}, "quote": "O'Brien \"q\" \\"}
    store.put(("v",), "k", value)
    item = store.get(("v",), "k")
    assert item is not None and item.value == value


@pytest.mark.parametrize("namespace", [(), ("a.b",), ("",), ("a\x00",), ("ok", 3)])
def test_bad_namespaces_are_refused(store: ItemStore, namespace: tuple) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidInput):
        store.put(namespace, "k", {"v": 1})


@pytest.mark.parametrize("value", [{"x": float("nan")}, {"x": "a\x00b"}, {"x": "\ud800"},
                                   {"x": object()}, ["not", "a", "dict"]])
def test_bad_values_are_refused_before_any_write(store: ItemStore, value: object) -> None:
    with pytest.raises(InvalidInput):
        store.apply([PutItem(("v",), "good", {"ok": 1}), PutItem(("v",), "bad", value)])  # type: ignore[arg-type]
    assert store.get(("v",), "good") is None


def test_namespaces_are_case_sensitive_and_segment_bound(store: ItemStore) -> None:
    for ns in [("foo",), ("foo", "child"), ("foobar",), ("Foo",), ("fo",), ("foo-x",)]:
        store.put(ns, "k", {"ns": list(ns)})
    found = {item.namespace for item in store.search(("foo",), limit=100)}
    assert found == {("foo",), ("foo", "child")}
    assert {i.namespace for i in store.search((), limit=100)} == {
        ("foo",), ("foo", "child"), ("foobar",), ("Foo",), ("fo",), ("foo-x",)}


def test_labels_with_separator_like_characters(store: ItemStore) -> None:
    odd = [("a\x01b",), ("a\x02",), ("a", "b"), ("a\x02", "x"), ("a*",), ("a%_[",)]
    for ns in odd:
        store.put(ns, "k", {"v": 1})
    assert store.list_namespaces(limit=100) == sorted(odd)
    for ns in odd:
        assert {i.namespace for i in store.search(ns, limit=100)} == {
            other for other in odd if other[: len(ns)] == ns}


# -- batches -------------------------------------------------------------------------------------


def test_batch_reads_see_the_state_before_its_writes(store: ItemStore) -> None:
    store.put(("t",), "a", {"v": 1})
    results = store.apply([
        PutItem(("t",), "a", {"v": 2}),
        GetItem(("t",), "a"),
        PutItem(("t",), "b", {"v": 3}),
        SearchItems(("t",)),
        ListNamespaces(),
        PutItem(("t",), "b", None),  # last write wins: b ends deleted
    ])
    assert results[0] is None and results[2] is None and results[5] is None
    got = results[1]
    assert isinstance(got, StoredItem) and got.value == {"v": 1}
    assert keys(results[3]) == ["a"]  # type: ignore[arg-type]
    assert results[4] == [("t",)]
    assert store.get(("t",), "a").value == {"v": 2}  # type: ignore[union-attr]
    assert store.get(("t",), "b") is None


def test_batch_with_a_bad_op_writes_nothing(store: ItemStore) -> None:
    with pytest.raises(InvalidInput):
        store.apply([PutItem(("t",), "a", {"v": 1}), SearchItems(("t",), filter={"$x": 1}),
                     SearchItems(("t",), limit=-1)])
    assert store.get(("t",), "a") is None


# -- search and filters --------------------------------------------------------------------------


@pytest.fixture
def catalogue(store: ItemStore) -> ItemStore:
    rows = {
        "a": {"price": 2, "name": "apple", "tags": ["fruit"], "meta": {"color": "red"},
              "active": True, "note": None},
        "b": {"price": 9, "name": "banana", "tags": ["fruit", "long"], "meta": {"color": "y"},
              "active": False},
        "c": {"price": 10, "name": "cherry", "tags": ["fruit"], "meta": {"color": "red"}},
        "d": {"price": 11.5, "name": "O'Brien's", "access-level": "x", "123abc": "ok"},
        "e": {"price": "12", "name": "text price"},
    }
    for key, value in rows.items():
        store.put(("shop", key.upper()), key, value)
    return store


@pytest.mark.parametrize(("filter", "expected"), [
    ({"name": "apple"}, "a"),
    ({"price": 9}, "b"),
    ({"price": 9.0}, "b"),
    ({"price": {"$gt": 9}}, "cd"),
    ({"price": {"$gte": 10}}, "cd"),
    ({"price": {"$lt": 10}}, "ab"),
    ({"price": {"$lte": 9}}, "ab"),
    ({"price": {"$gt": 2, "$lt": 11}}, "bc"),
    ({"price": {"$lt": float("inf")}}, "abcd"),
    ({"price": {"$gt": float("-inf")}}, "abcd"),
    ({"price": {"$eq": float("nan")}}, ""),
    ({"price": {"$lt": 10**100}}, "abcd"),
    ({"price": {"$ne": 9}}, "acde"),
    ({"name": {"$gt": "banana"}}, "ce"),
    ({"tags": ["fruit"]}, "ac"),
    ({"meta.color": "red"}, "ac"),
    ({"meta": {"color": "red"}}, "ac"),
    ({"active": True}, "a"),
    ({"active": False}, "b"),
    ({"note": None}, "abcde"),
    ({"note": {"$ne": None}}, ""),
    ({"access-level": "x"}, "d"),
    ({"123abc": "ok"}, "d"),
    ({"name": "O'Brien's"}, "d"),
    ({"name": "apple' OR '1'='1"}, ""),
    ({"name": "apple", "price": {"$gte": 2}}, "a"),
    # more conditions than the query's parameter slots: the rest go in one JSON array
    ({"name": {"$ne": "x"}, "price": {"$gt": 0, "$lt": 100}, "meta.color": "red",
      "tags": ["fruit"], "active": True}, "a"),
    ({"name": {"$ne": "x"}, "price": {"$gt": 0, "$lt": 100}, "meta.color": "red",
      "tags": ["fruit"], "note": {"$ne": None}, "active": {"$ne": False}}, ""),
    ({"price": {"$gt": 0, "$gte": 0, "$lt": 100, "$lte": 100}, "name": {"$gte": "a"},
      "meta": {"color": {"$ne": "y"}}}, "ac"),
])
def test_filters(catalogue: ItemStore, filter: dict, expected: str) -> None:  # type: ignore[type-arg]
    found = sorted(keys(catalogue.search(("shop",), filter=filter, limit=100)))
    assert "".join(found) == expected


@pytest.mark.parametrize("filter", [
    {"bad\"key": 1}, {"a..b": 1}, {"": 1}, {"x": {"$regex": "a"}}, {"x": {"$gt": [1]}},
])
def test_bad_filters_are_refused(catalogue: ItemStore, filter: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidInput):
        catalogue.search(("shop",), filter=filter)


def test_search_pages_newest_first(store: ItemStore) -> None:
    for key in "abcde":
        store.put(("p",), key, {"k": key})
    assert keys(store.search(("p",), limit=2)) == ["e", "d"]
    assert keys(store.search(("p",), limit=2, offset=2)) == ["c", "b"]
    assert keys(store.search(("p",), limit=10, offset=4)) == ["a"]


def test_query_ranks_by_text_and_scores(store: ItemStore) -> None:
    store.put(("m",), "tea", {"text": "I like green tea with tea leaves"})
    store.put(("m",), "coffee", {"text": "Coffee in the morning"})
    store.put(("m",), "both", {"text": "tea or coffee"})
    store.put(("m",), "hidden", {"text": "tea"}, index=False)
    store.put(("m",), "field", {"title": "tea", "body": "nothing"}, index=["body"])
    store.put(("m",), "chinese", {"text": "我喜欢在上海喝茶"})
    found = store.search(("m",), query="GREEN tea!")
    assert keys(found)[0] == "tea" and set(keys(found)) == {"tea", "both"}
    assert all(item.score is not None for item in found)
    assert found[0].score > found[1].score  # type: ignore[operator]
    assert keys(store.search(("m",), query="上海")) == ["chinese"]
    assert set(keys(store.search(("m",), query="offe"))) == {"coffee", "both"}
    assert keys(store.search(("m",), query="coffee", filter={"text": "tea or coffee"})) == [
        "both"]
    assert keys(store.search(("m",), query="nothing")) == ["field"]
    assert store.search(("m",), query="!@#$%^&*()") != []  # no words: plain listing


# -- list_namespaces -----------------------------------------------------------------------------


@pytest.fixture
def tree(store: ItemStore) -> ItemStore:
    for ns in [
        ("p", "test", "documents", "public", "p"),
        ("p", "test", "documents", "private", "p"),
        ("p", "test", "images", "public", "p"),
        ("p", "prod", "documents", "public", "p"),
        ("p", "prod", "documents", "some", "nesting", "public", "p"),
        ("uid", "users", "alice"),
        ("uid", "users", "malice"),
        ("uid", "a", "b", "alice"),
    ]:
        store.put(ns, "k", {"v": 1})
    return store


def test_list_namespaces_prefix_suffix_wildcards(tree: ItemStore) -> None:
    assert len(tree.list_namespaces(prefix=("p", "test"))) == 3
    assert tree.list_namespaces(suffix=("alice",)) == [
        ("uid", "a", "b", "alice"), ("uid", "users", "alice")]
    assert tree.list_namespaces(prefix=("uid", "*", "alice")) == [("uid", "users", "alice")]
    assert len(tree.list_namespaces(prefix=("p", "*", "documents"))) == 4
    assert tree.list_namespaces(suffix=("some", "*", "public", "p")) == [
        ("p", "prod", "documents", "some", "nesting", "public", "p")]
    assert len(tree.list_namespaces(prefix=("p", "test"), suffix=("public", "p"))) == 2
    assert len(tree.list_namespaces(suffix=("*", "public", "p"))) == 4


def test_list_namespaces_depth_and_pages(tree: ItemStore) -> None:
    assert tree.list_namespaces(max_depth=2) == [
        ("p", "prod"), ("p", "test"), ("uid", "a"), ("uid", "users")]
    assert tree.list_namespaces(max_depth=1) == [("p",), ("uid",)]
    everything = tree.list_namespaces()
    assert everything == sorted(everything) and len(everything) == 8
    assert tree.list_namespaces(limit=3) == everything[:3]
    assert tree.list_namespaces(limit=3, offset=6) == everything[6:]


def test_a_namespace_leaves_with_its_last_item(store: ItemStore) -> None:
    store.put(("x",), "a", {})
    store.put(("x",), "b", {})
    store.delete(("x",), "a")
    assert store.list_namespaces() == [("x",)]
    store.delete(("x",), "b")
    assert store.list_namespaces() == []


# -- TTL -----------------------------------------------------------------------------------------


def test_expired_items_are_invisible_to_every_read_before_a_sweep(
    timed: ItemStore, clock: FakeClock
) -> None:
    timed.put(("ttl", "gone"), "e", {"v": "gone"}, ttl_minutes=5)
    timed.put(("ttl", "kept"), "c", {"v": "keep"})
    clock.advance(minutes=5)
    assert timed.get(("ttl", "gone"), "e") is None
    assert timed.search(("ttl",), limit=100) == timed.search(("ttl", "kept"))
    assert keys(timed.search(("ttl",), query="gone keep")) == ["c"]
    assert timed.list_namespaces(prefix=("ttl",)) == [("ttl", "kept")]
    assert timed.sweep_expired() == 1  # it was still there
    assert timed.sweep_expired() == 0


def test_reads_refresh_the_ttl_but_never_revive(timed: ItemStore, clock: FakeClock) -> None:
    timed.put(("r",), "get", {"v": 1}, ttl_minutes=10)
    timed.put(("r",), "search", {"v": 2}, ttl_minutes=10)
    timed.put(("r",), "norefresh", {"v": 3}, ttl_minutes=10)
    timed.put(("r",), "dead", {"v": 4}, ttl_minutes=1)
    clock.advance(minutes=8)
    assert timed.get(("r",), "get") is not None
    assert keys(timed.search(("r",), filter={"v": 2})) == ["search"]
    assert timed.get(("r",), "norefresh", refresh_ttl=False) is not None
    assert timed.get(("r",), "dead") is None
    clock.advance(minutes=8)  # 16 minutes after the puts, 8 after the refreshing reads
    assert timed.get(("r",), "get", refresh_ttl=False) is not None
    assert timed.get(("r",), "search", refresh_ttl=False) is not None
    assert timed.get(("r",), "norefresh") is None
    assert timed.sweep_expired() == 2


def test_putting_over_an_expired_item_starts_a_new_one(timed: ItemStore, clock: FakeClock
                                                       ) -> None:
    timed.put(("n",), "k", {"v": 1}, ttl_minutes=1)
    clock.advance(minutes=2)
    timed.put(("n",), "k", {"v": 2})
    item = timed.get(("n",), "k")
    assert item is not None and item.created_at == clock.now and item.value == {"v": 2}
    clock.advance(days=10_000)
    assert timed.get(("n",), "k") is not None  # no ttl now


@pytest.mark.parametrize("ttl", [0, -1, float("nan"), True, "5", 1e12])
def test_bad_ttls_are_refused(store: ItemStore, ttl: object) -> None:
    with pytest.raises(InvalidInput):
        store.put(("t",), "k", {}, ttl_minutes=ttl)  # type: ignore[arg-type]
    assert store.search(("t",)) == []


def test_prefix_matches_label_wise(store: ItemStore) -> None:
    store.put(("a", "b"), "k", {})
    assert store.apply([ListNamespaces((NamespaceMatch("prefix", ("a", "b", "c")),))]) == [[]]


def test_cli_cleanup_sweeps_expired_items(config: Config, capsys: pytest.CaptureFixture[str]
                                          ) -> None:
    db = open_database(config)
    try:
        ItemStore(db, clock=lambda: T0).put(("c",), "old", {"v": 1}, ttl_minutes=1)
        ItemStore(db).put(("c",), "kept", {"v": 2})
    finally:
        db.close()
    where = ["--dsn", config.dsn] if config.dsn else ["--db-file", str(config.sqlite_path)]
    assert main([*where, "--json", "cleanup"]) == 0
    assert json.loads(capsys.readouterr().out)["store_items_purged"] == 1


def test_a_search_refreshes_every_item_it_returns(timed: ItemStore, clock: FakeClock) -> None:
    timed.put(("page",), "forever", {"v": "f"})
    for key in "abc":
        clock.advance(seconds=1)
        timed.put(("page",), key, {"v": key}, ttl_minutes=10)
    clock.advance(minutes=9)
    assert len(timed.search(("page",), limit=2)) == 2  # refreshes the newest two only
    clock.advance(minutes=2)
    assert sorted(i.key for i in timed.search(("page",), refresh_ttl=False)) == [
        "b", "c", "forever"]


def test_namespace_list_stays_true_under_concurrent_writers(config: Config) -> None:
    """Puts, deletes and sweeps racing on the same few namespaces: afterwards the namespace
    list is exactly the namespaces holding items (no namespace row lost under an item)."""
    errors: list[BaseException] = []

    def writer(seed: int) -> None:
        db = open_database(config)
        store = ItemStore(db)
        try:
            for i in range(60):
                namespace = ("race", f"n{(seed + i) % 3}")
                if (seed + i) % 4 == 0:
                    store.delete(namespace, f"k{i % 2}")
                else:
                    store.put(namespace, f"k{i % 2}", {"i": i})
                if i % 15 == 0:
                    store.sweep_expired()
        except BaseException as exc:  # reported below, with the thread's traceback
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=writer, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    db = open_database(config)
    try:
        store = ItemStore(db)
        holding = {item.namespace for item in store.search(("race",), limit=1000)}
        assert set(store.list_namespaces(prefix=("race",))) == holding
        store.sweep_expired()
        assert set(store.list_namespaces(prefix=("race",))) == holding
    finally:
        db.close()
