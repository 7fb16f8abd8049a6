"""CheckpointStore on both dialects: the seed's tested behaviour (behaviour_spec section 9) and
regression tests for its gaps (ignored metadata filter, dropped `before`, non-transactional
delete, N+1 listing)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from genie_repo.db import Database
from genie_repo.errors import InvalidInput, NotFound, TransientError
from genie_repo.models.checkpoints import CheckpointRef, Payload, Write
from genie_repo.stores.checkpoints import CheckpointStore
from tests.api import Builder
from tests.clock import StepClock as Ticker

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def payload(text: str) -> Payload:
    return Payload(type="json", data=text.encode())


def write(channel: str, value: str, **extra: Any) -> Write:
    return Write(channel=channel, value=payload(value), **extra)


@pytest.fixture
def clock() -> Ticker:
    return Ticker(T0)


@pytest.fixture(params=["statements", "one-trip", "async"])
def store(db: Database, clock: Ticker, request: pytest.FixtureRequest) -> CheckpointStore:
    """Both read/write shapes on both dialects: each must behave the same everywhere, whichever
    one the store picks by default for the dialect; and the async store, on its default."""
    if request.param == "async":
        builder = Builder("async")
        request.addfinalizer(builder.finish)
        return builder(CheckpointStore, db, clock=clock)
    return CheckpointStore(db, clock=clock, one_round_trip=request.param == "one-trip")


def ids(tuples: list[Any]) -> list[str]:
    return [t.ref.checkpoint_id for t in tuples]


# -- put / get ---------------------------------------------------------------------------------


def test_put_returns_the_ref_and_get_reads_it_back(store: CheckpointStore) -> None:
    ref = store.put("L", "c1", payload('{"x": 1}'), metadata={"source": "input", "step": -1})
    assert ref == CheckpointRef(lineage_id="L", checkpoint_ns="", checkpoint_id="c1")
    assert store.get("L", "c1") == payload('{"x": 1}')
    found = store.get_tuple("L", "c1")
    assert found is not None
    assert found.metadata == {"source": "input", "step": -1}
    assert found.parent is None and found.pending_writes == ()


def test_put_rejects_none_checkpoint_and_missing_lineage(store: CheckpointStore) -> None:
    with pytest.raises(InvalidInput, match="checkpoint cannot be None"):
        store.put("L", "c1", None)
    with pytest.raises(InvalidInput, match="lineage_id is required"):
        store.put("", "c1", payload("{}"))
    with pytest.raises(InvalidInput, match="checkpoint_id is required"):
        store.put("L", "", payload("{}"))


def test_put_same_id_twice_overwrites(store: CheckpointStore) -> None:
    store.put("L", "c1", payload("old"), metadata={"v": 1})
    store.put("L", "c1", payload("new"), metadata={"v": 2})
    found = store.get_tuple("L", "c1")
    assert found is not None
    assert (found.checkpoint, found.metadata) == (payload("new"), {"v": 2})
    assert len(store.list("L")) == 1


def test_metadata_defaults_to_an_empty_object(store: CheckpointStore) -> None:
    store.put("L", "c1", payload("{}"))
    found = store.get_tuple("L", "c1")
    assert found is not None and found.metadata == {}


def test_get_of_a_missing_checkpoint_is_none(store: CheckpointStore) -> None:
    assert store.get("L", "nope") is None
    assert store.get("L") is None
    assert store.get_tuple("L", "nope") is None


def test_get_tuple_requires_a_lineage(store: CheckpointStore) -> None:
    with pytest.raises(InvalidInput, match="lineage_id is required"):
        store.get_tuple("")


def test_get_tuple_without_id_is_the_greatest_checkpoint_id(store: CheckpointStore) -> None:
    """Newest = greatest id, LangGraph's rule (its uuid6 ids sort by time); ts is not consulted."""
    store.put("L", "c2", payload("2"), ts=T0)
    store.put("L", "c3", payload("3"), ts=T0 - timedelta(days=1))
    store.put("L", "c1", payload("1"), ts=T0 + timedelta(days=1))
    found = store.get_tuple("L")
    assert found is not None and found.ref.checkpoint_id == "c3"
    assert found.ts == T0 - timedelta(days=1)


def test_order_is_by_checkpoint_id_whatever_the_timestamps(store: CheckpointStore) -> None:
    for checkpoint_id, days in (("b", 0), ("c", -5), ("a", 5)):
        store.put("L", checkpoint_id, payload("x"), ts=T0 + timedelta(days=days))
    assert ids(store.list("L")) == ["c", "b", "a"]
    assert ids(store.list("L", ns="")) == ["c", "b", "a"]
    found = store.get_tuple("L")
    assert found is not None and found.ref.checkpoint_id == "c"


def test_child_carries_its_parent_and_an_orphan_has_none(store: CheckpointStore) -> None:
    store.put("L", "parent", payload("p"))
    store.put("L", "child", payload("c"), parent_id="parent")
    child = store.get_tuple("L", "child")
    assert child is not None
    assert child.parent == CheckpointRef(lineage_id="L", checkpoint_ns="", checkpoint_id="parent")
    orphan = store.get_tuple("L", "parent")
    assert orphan is not None and orphan.parent is None


def test_ts_round_trips_as_aware_utc(store: CheckpointStore) -> None:
    moment = datetime(2030, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    store.put("L", "c1", payload("x"), ts=moment)
    found = store.get_tuple("L", "c1")
    assert found is not None and found.ts == moment and found.ts.tzinfo is not None
    with pytest.raises(InvalidInput):
        store.put("L", "c2", payload("x"), ts=datetime(2030, 1, 1))  # naive


# -- writes ------------------------------------------------------------------------------------


def test_put_writes_come_back_in_order(store: CheckpointStore) -> None:
    store.put("L", "c1", payload("x"))
    store.put_writes("L", "c1", [write("ch", "write-1"), write("ch", "write-2")], task_id="t")
    found = store.get_tuple("L", "c1")
    assert found is not None
    assert [w.value for w in found.pending_writes] == [payload("write-1"), payload("write-2")]
    assert [(w.task_id, w.idx, w.seq) for w in found.pending_writes] == [("t", 0, 0), ("t", 1, 1)]


def test_put_writes_requires_lineage_and_checkpoint(store: CheckpointStore) -> None:
    for lineage, checkpoint in (("", "c1"), ("L", "")):
        with pytest.raises(InvalidInput, match="lineage_id and checkpoint_id are required"):
            store.put_writes(lineage, checkpoint, [write("ch", "v")], task_id="t")


def test_rewriting_the_same_task_and_idx_keeps_one_write(store: CheckpointStore) -> None:
    store.put("L", "c1", payload("x"))
    store.put_writes("L", "c1", [write("ch", "first")], task_id="t")
    store.put_writes("L", "c1", [write("ch", "second")], task_id="t")
    found = store.get_tuple("L", "c1")
    assert found is not None and [w.value for w in found.pending_writes] == [payload("second")]
    store.put_writes("L", "c1", [write("ch", "third")], task_id="t", overwrite=False)
    found = store.get_tuple("L", "c1")
    assert found is not None and [w.value for w in found.pending_writes] == [payload("second")]


def test_writes_order_by_seq_then_task_path_task_id_idx(store: CheckpointStore) -> None:
    store.put("L", "c1", payload("x"))
    store.put_writes("L", "c1", [write("a", "late", seq=5)], task_id="t0")
    store.put_writes("L", "c1", [write("b", "b0", seq=0), write("b", "b1", seq=0)],
                     task_id="t2", task_path="p")
    store.put_writes("L", "c1", [write("c", "c0", seq=0, idx=-1)], task_id="t1", task_path="p")
    found = store.get_tuple("L", "c1")
    assert found is not None
    assert [w.value.data.decode() for w in found.pending_writes] == ["c0", "b0", "b1", "late"]


def test_put_write_values_is_put_writes_without_write_objects(store: CheckpointStore) -> None:
    store.put("L", "c1", payload("x"))
    store.put_write_values("L", "c1", [("b", 1, 0, "json", b"2"), ("a", 0, 0, "json", b"1")],
                           task_id="t", task_path="~p")
    store.put_write_values("L", "c1", [("a", 0, 0, "json", b"again")], task_id="t",
                           overwrite=False)  # the first write of (t, 0) stays
    store.put_write_values("L", "c1", [("b", 1, 0, "json", b"new")], task_id="t",
                           task_path="~p")  # overwrite: replaced
    found = store.get_tuple("L", "c1")
    assert found is not None
    assert [(w.channel, w.idx, w.task_path, w.value.data) for w in found.pending_writes] == [
        ("a", 0, "~p", b"1"), ("b", 1, "~p", b"new")
    ]
    for bad in ([("a", "0", 0, "json", b"")], [("a", 0, 0, "", b"")], [("a", 0, 0, "json", "s")],
                "not a sequence"):
        with pytest.raises(InvalidInput):
            store.put_write_values("L", "c1", bad, task_id="t")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="lineage_id and checkpoint_id are required"):
        store.put_write_values("L", "", [], task_id="t")


def test_put_full_stores_checkpoint_metadata_and_writes(store: CheckpointStore) -> None:
    store.put_full("L", "c1", payload("x"), metadata={"source": "loop"},
                   writes=[write("ch", "v", task_id="t9")])
    found = store.get_tuple("L", "c1")
    assert found is not None
    assert found.metadata == {"source": "loop"}
    assert [(w.task_id, w.channel, w.value) for w in found.pending_writes] == [
        ("t9", "ch", payload("v"))
    ]


def test_put_full_validates_before_writing(store: CheckpointStore) -> None:
    with pytest.raises(InvalidInput, match="lineage_id is required"):
        store.put_full("", "c1", payload("x"))
    with pytest.raises(InvalidInput, match="checkpoint cannot be None"):
        store.put_full("L", "c1", None)
    with pytest.raises(InvalidInput, match="writes\\[1\\]"):
        store.put_full("L", "c1", payload("x"), writes=[write("a", "1"), ("b", "2")])  # type: ignore[list-item]
    assert store.list("L") == []


def test_put_full_replaces_the_writes_of_an_earlier_put_full(store: CheckpointStore) -> None:
    store.put_full("L", "c1", payload("x"), writes=[write("a", "1"), write("b", "2"),
                                                    write("c", "3")])
    store.put_full("L", "c1", payload("y"), writes=[write("z", "9")])
    found = store.get_tuple("L", "c1")
    assert found is not None
    assert found.checkpoint == payload("y")
    assert [(w.channel, w.value) for w in found.pending_writes] == [("z", payload("9"))]


# -- list --------------------------------------------------------------------------------------


def test_list_requires_a_lineage(store: CheckpointStore) -> None:
    with pytest.raises(InvalidInput, match="lineage_id is required"):
        store.list("")


def test_list_is_newest_first_with_limit_and_before(store: CheckpointStore) -> None:
    for checkpoint_id in ("a", "b", "c"):
        store.put("L", checkpoint_id, payload(checkpoint_id))
    assert ids(store.list("L")) == ["c", "b", "a"]
    assert ids(store.list("L", limit=2)) == ["c", "b"]
    assert ids(store.list("L", before="c")) == ["b", "a"]
    assert ids(store.list("L", before="b", limit=1)) == ["a"]
    assert store.list("L", before="a") == []
    assert store.list("unknown") == []


def test_list_bad_limit_is_invalid_input(store: CheckpointStore) -> None:
    for limit in (0, -1, True, 10_001):
        with pytest.raises(InvalidInput):
            store.list("L", limit=limit)


def test_regression_before_cursor_that_does_not_exist_is_an_error(
    store: CheckpointStore,
) -> None:
    """The seed silently dropped an unresolvable `before` and returned everything."""
    store.put("L", "a", payload("a"))
    store.put("L", "b", payload("b"), ns="sub")
    with pytest.raises(NotFound, match="before cursor 'missing'"):
        store.list("L", before="missing")
    with pytest.raises(NotFound):
        store.list("L", ns="", before="b")  # exists, but in another namespace
    assert ids(store.list("L", before="b")) == ["a"]  # across namespaces it is found


def test_regression_metadata_filter_is_applied(store: CheckpointStore) -> None:
    """The seed ignored the metadata filter entirely."""
    store.put("L", "a", payload("a"), metadata={"source": "input", "step": -1})
    store.put("L", "b", payload("b"), metadata={"source": "loop", "step": 0, "score": 42})
    store.put("L", "c", payload("c"), metadata={"source": "loop", "step": 1, "flag": True,
                                                  "nested": {"k": [1, 2]}})
    assert ids(store.list("L", metadata_filter={"source": "loop"})) == ["c", "b"]
    assert ids(store.list("L", metadata_filter={"source": "loop", "step": 0})) == ["b"]
    assert ids(store.list("L", metadata_filter={"score": 42})) == ["b"]
    assert ids(store.list("L", metadata_filter={"step": -1})) == ["a"]
    assert ids(store.list("L", metadata_filter={"flag": True})) == ["c"]
    assert ids(store.list("L", metadata_filter={"flag": 1})) == []
    assert ids(store.list("L", metadata_filter={"nested": {"k": [1, 2]}})) == ["c"]
    assert ids(store.list("L", metadata_filter={"nested": {"k": [1]}})) == []  # equality
    assert ids(store.list("L", metadata_filter={"score": "42"})) == []
    assert ids(store.list("L", metadata_filter={"missing": None})) == []
    assert ids(store.list("L", metadata_filter={"source": "update", "step": 99})) == []
    assert ids(store.list("L", metadata_filter={})) == ["c", "b", "a"]


def test_list_across_and_within_namespaces(store: CheckpointStore) -> None:
    store.put("L", "1-root", payload("x"))
    store.put("L", "2-sub", payload("x"), ns="child:1")
    store.put("L", "3-root", payload("x"))
    store.put("L", "3-root", payload("x"), ns="child:1")  # same id: the namespace breaks the tie
    assert ids(store.list("L")) == ["3-root", "3-root", "2-sub", "1-root"]
    assert [t.ref.checkpoint_ns for t in store.list("L")] == ["child:1", "", "child:1", ""]
    assert ids(store.list("L", ns="")) == ["3-root", "1-root"]
    assert ids(store.list("L", ns="child:1")) == ["3-root", "2-sub"]
    assert ids(store.list("L", before="3-root")) == ["2-sub", "1-root"]
    assert ids(store.list("L", ns="child:1", before="3-root", limit=1)) == ["2-sub"]


def test_list_carries_each_checkpoints_writes(store: CheckpointStore) -> None:
    for n in range(3):
        store.put_full("L", f"c{n}", payload("x"),
                       writes=[write("ch", f"{n}-{i}") for i in range(n)])
    listed = store.list("L")
    assert [[w.value.data.decode() for w in t.pending_writes] for t in listed] == [
        ["2-0", "2-1"], ["1-0"], []
    ]


class CountingDatabase:
    """The real database, counting the statements the store sends through it."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.dialect = db.dialect
        self.registry = db.registry
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        verb = getattr(self._db, name)
        if name not in ("execute", "execute_many", "fetch_one", "fetch_all", "fetch_value"):
            return verb

        def counted(query: str, *args: Any) -> Any:
            self.calls.append(query)
            return verb(query, *args)

        return counted


def test_regression_listing_is_not_n_plus_1(db: Database, clock: Ticker) -> None:
    """The seed ran one get_tuple (three queries) per listed checkpoint; we run a fixed number:
    one statement on PostgreSQL, two plain ones in a read transaction on SQLite."""
    counting = CountingDatabase(db)
    store = CheckpointStore(counting, clock=clock)  # type: ignore[arg-type]
    for n in range(25):
        store.put_full("L", f"c{n:02}", payload("x"), writes=[write("a", "1"), write("b", "2")])
    counting.calls.clear()
    listed = store.list("L")
    assert len(listed) == 25 and all(len(t.pending_writes) == 2 for t in listed)
    counting.calls.clear()
    assert len(store.list("L", ns="", before="c20", limit=10, metadata_filter={"k": 1})) == 0
    store.list("L", ns="", before="c20", limit=10)
    store.list("L")
    store.get_tuple("L")
    store.get_tuple("L", "c03")
    if db.dialect == "postgres":
        assert counting.calls == [
            "checkpoints.has_checkpoint", "checkpoints.list_in_ns_with_writes",
            "checkpoints.has_checkpoint", "checkpoints.list_in_ns_with_writes",
            "checkpoints.list_across_ns_with_writes",
            "checkpoints.latest_with_writes", "checkpoints.find_with_writes",
        ]
    else:
        assert counting.calls == [
            "checkpoints.has_checkpoint", "checkpoints.list_in_ns",
            "checkpoints.has_checkpoint", "checkpoints.list_in_ns",
            "checkpoints.list_page_writes",
            "checkpoints.list_across_ns", "checkpoints.list_page_writes",
            "checkpoints.latest_checkpoint", "checkpoints.list_writes",
            "checkpoints.find_checkpoint", "checkpoints.list_writes",
        ]


# -- deletes, prune, copy ----------------------------------------------------------------------


def test_delete_lineage_removes_checkpoints_and_writes(store: CheckpointStore) -> None:
    store.put_full("L", "c1", payload("x"), writes=[write("ch", "v")])
    store.put("L", "c2", payload("x"), ns="sub")
    store.put("other", "c1", payload("x"))
    assert store.delete_lineage("L") == 2
    assert store.get("L", "c1") is None and store.list("L") == []
    store.put("L", "c1", payload("again"))
    found = store.get_tuple("L", "c1")
    assert found is not None and found.pending_writes == ()  # the old writes went too
    assert store.get("other", "c1") is not None
    assert store.delete_lineage("unknown") == 0
    with pytest.raises(InvalidInput, match="lineage_id is required"):
        store.delete_lineage("")


class FailingDatabase(CountingDatabase):
    """Fails one named statement, as a crash or lost connection would."""

    def __init__(self, db: Database, fail_on: str) -> None:
        super().__init__(db)
        self.fail_on = fail_on

    def __getattr__(self, name: str) -> Any:
        verb = super().__getattr__(name)
        if name != "execute":
            return verb

        def failing(query: str, *args: Any) -> Any:
            if query == self.fail_on:
                raise TransientError("connection lost", query=query)
            return verb(query, *args)

        return failing


def test_regression_delete_lineage_is_one_transaction(db: Database, clock: Ticker) -> None:
    """The seed deleted checkpoints and writes in two unrelated statements."""
    CheckpointStore(db, clock=clock).put_full("L", "c1", payload("x"), writes=[write("a", "1")])
    failing = FailingDatabase(db, "checkpoints.delete_lineage_checkpoints")
    with pytest.raises(TransientError):
        CheckpointStore(failing, clock=clock).delete_lineage("L")  # type: ignore[arg-type]
    found = CheckpointStore(db).get_tuple("L", "c1")
    assert found is not None and len(found.pending_writes) == 1  # the writes delete rolled back


def test_put_full_is_one_transaction(db: Database, clock: Ticker) -> None:
    failing = FailingDatabase(db, "checkpoints.delete_checkpoint_writes")
    with pytest.raises(TransientError):
        CheckpointStore(failing, clock=clock).put_full(  # type: ignore[arg-type]
            "L", "c1", payload("x"), writes=[write("a", "1")]
        )
    assert CheckpointStore(db).get("L", "c1") is None


def test_prune_keeps_the_newest_per_namespace(store: CheckpointStore) -> None:
    for n in range(4):
        store.put_full("L", f"r{n}", payload("x"), writes=[write("w", str(n))])
    for n in range(2):
        store.put("L", f"s{n}", payload("x"), ns="sub")
    store.put("other", "o1", payload("x"))
    assert store.prune("L", keep_last=2) == 2
    assert ids(store.list("L", ns="")) == ["r3", "r2"]
    assert ids(store.list("L", ns="sub")) == ["s1", "s0"]
    assert store.prune("L", keep_last=1) == 2
    assert ids(store.list("L")) == ["s1", "r3"]
    kept = store.get_tuple("L")
    assert kept is not None and [w.value for w in kept.pending_writes] == [payload("3")]
    store.put("L", "r0", payload("back"))  # a pruned id, reused: its old writes are gone
    reused = store.get_tuple("L", "r0")
    assert reused is not None and reused.pending_writes == ()
    assert store.list("other") != []
    with pytest.raises(InvalidInput):
        store.prune("L", keep_last=-1)


def test_prune_older_than_uses_the_store_clock(store: CheckpointStore, clock: Ticker) -> None:
    store.put_full("L", "old", payload("x"), ts=T0 - timedelta(days=10), writes=[write("a", "1")])
    store.put("M", "old", payload("x"), ts=T0 - timedelta(days=8))
    store.put("L", "new", payload("x"), ts=T0 - timedelta(days=1))
    assert store.prune_older_than(timedelta(days=7)) == 2
    assert ids(store.list("L")) == ["new"] and store.list("M") == []
    with pytest.raises(InvalidInput):
        store.prune_older_than(timedelta(0))


def test_delete_for_runs_matches_metadata_run_id(store: CheckpointStore) -> None:
    store.put_full("L", "a", payload("x"), metadata={"run_id": "r1"}, writes=[write("w", "1")])
    store.put("L", "b", payload("x"), ns="sub", metadata={"run_id": "r1"})
    store.put("L", "c", payload("x"), metadata={"run_id": "r2"})
    store.put("M", "d", payload("x"), metadata={"run_id": "r3"})
    store.put("M", "e", payload("x"))
    assert store.delete_for_runs(["r1", "r3", "nope"]) == 3
    assert ids(store.list("L")) == ["c"] and ids(store.list("M")) == ["e"]
    assert store.delete_for_runs([]) == 0
    with pytest.raises(InvalidInput):
        store.delete_for_runs("r2")
    store.put("L", "a", payload("x"))
    found = store.get_tuple("L", "a")
    assert found is not None and found.pending_writes == ()


def test_copy_lineage_copies_everything_and_leaves_the_source(store: CheckpointStore) -> None:
    store.put_full("src", "a", payload("1"), metadata={"step": 0}, writes=[write("w", "x")])
    store.put("src", "b", payload("2"), parent_id="a", metadata={"step": 1})
    store.put("src", "c", payload("3"), ns="sub")
    assert store.copy_lineage("src", "dst") == 3
    assert store.copy_lineage("src", "dst") == 3  # again: same result, nothing duplicated

    def view(lineage: str) -> list[tuple[Any, ...]]:
        return [(t.ref.checkpoint_ns, t.ref.checkpoint_id, t.checkpoint, t.metadata, t.ts,
                 t.parent.checkpoint_id if t.parent else None, t.pending_writes)
                for t in store.list(lineage)]

    assert view("dst") == view("src") and len(view("src")) == 3
    assert store.copy_lineage("missing", "dst2") == 0 and store.list("dst2") == []
    with pytest.raises(InvalidInput):
        store.copy_lineage("src", "src")


def test_has_metadata_key(store: CheckpointStore) -> None:
    store.put("L", "a", payload("x"), metadata={"counters": {"ch": [1, 0]}})
    assert store.has_metadata_key("L", "counters")
    assert not store.has_metadata_key("L", "other")
    assert not store.has_metadata_key("M", "counters")


# -- isolation and values ----------------------------------------------------------------------


def test_namespaces_and_lineages_are_isolated(store: CheckpointStore) -> None:
    store.put("L", "c1", payload("a"), ns="ns-a")
    store.put("L", "c1", payload("b"), ns="ns-b")
    assert store.get("L", "c1", ns="ns-a") == payload("a")
    assert store.get("L", "c1", ns="ns-b") == payload("b")
    assert store.get("L", "c1") is None  # the root namespace has no c1
    assert store.get("other", "c1", ns="ns-a") is None
    latest = store.get_tuple("L", ns="ns-a")
    assert latest is not None and latest.ref.checkpoint_ns == "ns-a"


@pytest.mark.parametrize("bad", [
    {"text": "nul\x00inside"},
    {"nested": {"deep": ["ok", "bad\x00"]}},
    {"key\x00": 1},
    {"lone": "\ud800"},
    {"nan": float("nan")},
    {"obj": object()},
    {1: "non-string key"},
])
def test_unstorable_metadata_is_invalid_input_and_writes_nothing(
    store: CheckpointStore, bad: dict[Any, Any]
) -> None:
    with pytest.raises(InvalidInput):
        store.put("L", "c1", payload("x"), metadata=bad)
    with pytest.raises(InvalidInput):
        store.put_full("L", "c1", payload("x"), metadata=bad, writes=[write("a", "1")])
    assert store.list("L") == []


def test_payload_bytes_round_trip_exactly(store: CheckpointStore) -> None:
    binary = bytes(range(256)) * 4096  # 1 MiB with NULs and every byte value
    store.put_full("L", "c1", Payload(type="msgpack", data=binary),
                   writes=[Write(channel="w", value=Payload(type="bytes", data=b"\x00\xff"))])
    found = store.get_tuple("L", "c1")
    assert found is not None
    assert found.checkpoint.data == binary and found.checkpoint.type == "msgpack"
    assert found.pending_writes[0].value == Payload(type="bytes", data=b"\x00\xff")


def test_unicode_metadata_round_trips(store: CheckpointStore) -> None:
    metadata = {"emoji": "😀 façade", "ключ": ["ß", {"ж": None}], "big": 2**62, "f": 1.5}
    store.put("L", "c1", payload("x"), metadata=metadata)
    found = store.get_tuple("L", "c1")
    assert found is not None and found.metadata == metadata
    assert ids(store.list("L", metadata_filter={"ключ": ["ß", {"ж": None}]})) == ["c1"]


def test_text_with_nul_in_ids_is_invalid_input(store: CheckpointStore) -> None:
    with pytest.raises(InvalidInput):
        store.put("L\x00", "c1", payload("x"))
    assert store.list("L") == []


def test_payload_requires_a_type_tag() -> None:
    with pytest.raises(InvalidInput):
        Payload(type="", data=b"x")
    with pytest.raises(InvalidInput):
        Payload(type="json", data="not bytes")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        Write(channel="c", value=b"raw")  # type: ignore[arg-type]


def test_store_builds_from_any_database(db: Database, clock: Callable[[], datetime]) -> None:
    store = CheckpointStore(db, clock=clock)
    assert store.db is db
