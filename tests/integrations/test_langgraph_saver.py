"""GenieCheckpointSaver beyond the conformance suite: the sync API, LangGraph's write rules,
DeltaChannel-safe prune, uuid6 ordering, and async calls that leave the event loop free."""

from __future__ import annotations

import asyncio
from typing import Any

import apsw
import pytest
from langgraph.checkpoint.base import empty_checkpoint
from langgraph.checkpoint.base.id import uuid6

from genie_repo.aio import AsyncCheckpointStore
from genie_repo.config import Config
from genie_repo.db import Database, open_database
from genie_repo.errors import InvalidInput, NotFound
from genie_repo.integrations.langgraph import GenieCheckpointSaver, checkpoint_time


def config(thread: str, ns: str | None = "", checkpoint_id: str | None = None) -> Any:
    configurable: dict[str, Any] = {"thread_id": thread}
    if ns is not None:
        configurable["checkpoint_ns"] = ns
    if checkpoint_id is not None:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


def put(saver: GenieCheckpointSaver, thread: str, parent: Any = None, ns: str = "",
        values: dict[str, Any] | None = None, **metadata: Any) -> Any:
    checkpoint = empty_checkpoint()
    checkpoint["id"] = str(uuid6(clock_seq=-1))
    checkpoint["channel_values"] = values or {}
    target = config(thread, ns, parent["configurable"]["checkpoint_id"] if parent else None)
    return saver.put(target, checkpoint, {"source": "loop", "step": 0, **metadata}, {})


@pytest.fixture
def saver(db: Database) -> GenieCheckpointSaver:
    return GenieCheckpointSaver(db)


def test_sync_round_trip_with_parent_and_writes(saver: GenieCheckpointSaver) -> None:
    first = put(saver, "t", values={"messages": ["hi", {"role": "ai"}], "n": 1})
    second = put(saver, "t", parent=first, values={"n": 2})
    saver.put_writes(second, [("a", b"\x00bytes"), ("b", None), ("c", {"x": 1.5})], "task-1")
    found = saver.get_tuple(config("t"))
    assert found is not None
    assert found.config == second
    assert found.checkpoint["channel_values"] == {"n": 2}
    assert found.parent_config == first
    assert found.pending_writes == [
        ("task-1", "a", b"\x00bytes"), ("task-1", "b", None), ("task-1", "c", {"x": 1.5})
    ]
    again = saver.get_tuple(first)
    assert again is not None and again.checkpoint["channel_values"]["messages"][1] == {"role": "ai"}


def test_ordinary_writes_keep_the_first_and_special_writes_are_upserted(
    saver: GenieCheckpointSaver,
) -> None:
    target = put(saver, "t")
    saver.put_writes(target, [("ch", "first")], "task")
    saver.put_writes(target, [("ch", "second")], "task")
    saver.put_writes(target, [("__error__", "boom-1")], "task")
    saver.put_writes(target, [("__error__", "boom-2")], "task")
    found = saver.get_tuple(target)
    assert found is not None
    assert found.pending_writes == [("task", "__error__", "boom-2"), ("task", "ch", "first")]


def test_writes_come_back_in_task_path_task_id_idx_order(saver: GenieCheckpointSaver) -> None:
    target = put(saver, "t")
    saver.put_writes(target, [("x", 1), ("y", 2)], "task-b", task_path="~1")
    saver.put_writes(target, [("z", 3)], "task-a", task_path="~2")
    saver.put_writes(target, [("w", 4)], "task-c", task_path="~1")
    found = saver.get_tuple(target)
    assert found is not None
    assert [w[2] for w in found.pending_writes] == [1, 2, 4, 3]


def test_latest_is_the_greatest_checkpoint_id(saver: GenieCheckpointSaver) -> None:
    ids = [put(saver, "t")["configurable"]["checkpoint_id"] for _ in range(5)]
    assert ids == sorted(ids)
    listed = [t.config["configurable"]["checkpoint_id"] for t in saver.list(config("t"))]
    assert listed == sorted(ids, reverse=True)
    latest = saver.get_tuple(config("t"))
    assert latest is not None and latest.config["configurable"]["checkpoint_id"] == max(ids)


def test_uuid6_time_preserves_id_order() -> None:
    ids = [str(uuid6(clock_seq=-1)) for _ in range(200)]
    times = [checkpoint_time({**empty_checkpoint(), "id": i}) for i in ids]
    assert sorted(zip(times, ids, strict=True)) == list(zip(times, ids, strict=True))
    odd = checkpoint_time({**empty_checkpoint(), "id": "custom",
                           "ts": "2025-01-02T03:04:05+00:00"})
    assert odd.isoformat() == "2025-01-02T03:04:05+00:00"


def test_list_filters_before_limit_and_namespaces(saver: GenieCheckpointSaver) -> None:
    a = put(saver, "t", step=1, score=3)
    b = put(saver, "t", parent=a, step=2)
    put(saver, "t", ns="child:1", step=2)
    assert len(list(saver.list(config("t", ns=None)))) == 3
    assert len(list(saver.list(config("t")))) == 2
    assert [t.config for t in saver.list(config("t"), filter={"step": 2})] == [b]
    assert [t.config for t in saver.list(config("t"), filter={"score": 3})] == [a]
    assert [t.config for t in saver.list(config("t"), before=b)] == [a]
    assert [t.config for t in saver.list(config("t"), limit=1)] == [b]
    one = list(saver.list(config("t", checkpoint_id=a["configurable"]["checkpoint_id"])))
    assert [t.config for t in one] == [a]
    with pytest.raises(NotFound):
        list(saver.list(config("t"), before=config("t", checkpoint_id="missing")))
    with pytest.raises(InvalidInput):
        list(saver.list(None))


def test_metadata_from_config_is_stored_and_nul_stripped_like_langgraph(
    saver: GenieCheckpointSaver,
) -> None:
    checkpoint = empty_checkpoint()
    target = {"configurable": {"thread_id": "t", "checkpoint_ns": "", "user": "a\x00b"},
              "metadata": {"tenant": "acme"}}
    stored = saver.put(target, checkpoint, {"source": "input", "step": -1}, {})
    found = saver.get_tuple(stored)
    assert found is not None
    assert found.metadata == {"source": "input", "step": -1, "user": "ab", "tenant": "acme"}


def test_prune_refuses_delta_channel_threads_and_prunes_nothing(
    saver: GenieCheckpointSaver,
) -> None:
    plain = put(saver, "plain")
    put(saver, "plain", parent=plain)
    delta = put(saver, "delta", counters_since_delta_snapshot={"messages": [1, 1]})
    put(saver, "delta", parent=delta)
    with pytest.raises(InvalidInput, match="DeltaChannel: delta"):
        saver.prune(["plain", "delta"])
    assert len(list(saver.list(config("plain")))) == 2
    saver.prune(["plain"])
    assert len(list(saver.list(config("plain")))) == 1
    saver.prune(["delta"], strategy="delete")
    assert list(saver.list(config("delta"))) == []
    with pytest.raises(TypeError):
        saver.prune("plain")
    with pytest.raises(ValueError):
        saver.prune(["plain"], strategy="everything")


def test_copy_and_delete_for_runs(saver: GenieCheckpointSaver) -> None:
    first = put(saver, "src", run_id="run-1")
    second = put(saver, "src", parent=first, run_id="run-2")
    saver.put_writes(second, [("ch", "v")], "task")
    saver.copy_thread("src", "dst")
    copied = saver.get_tuple(config("dst"))
    assert copied is not None and copied.pending_writes == [("task", "ch", "v")]
    first_id = first["configurable"]["checkpoint_id"]
    assert copied.parent_config == config("dst", checkpoint_id=first_id)
    saver.delete_for_runs(["run-2"])
    assert [t.metadata["run_id"] for t in saver.list(config("src"))] == ["run-1"]
    assert [t.metadata["run_id"] for t in saver.list(config("dst"))] == ["run-1"]


def test_async_calls_do_not_block_the_event_loop(make_config: Any) -> None:
    """A write lock held by another connection makes aput wait in its worker thread; the lock is
    released by a coroutine on the same loop, which can only run if aput is not blocking it."""
    cfg: Config = make_config("sqlite")
    db = open_database(cfg)
    holder = apsw.Connection(str(cfg.sqlite_path))
    try:
        saver = GenieCheckpointSaver(db)

        async def scenario() -> Any:
            holder.execute("BEGIN IMMEDIATE")
            checkpoint = empty_checkpoint()
            task = asyncio.create_task(saver.aput(config("t"), checkpoint, {}, {}))
            for _ in range(20):
                await asyncio.sleep(0)  # the loop keeps turning while aput waits
            assert not task.done()
            holder.execute("COMMIT")
            return await asyncio.wait_for(task, timeout=30)

        stored = asyncio.run(scenario())
        assert saver.get_tuple(stored) is not None
    finally:
        holder.close()
        db.close()


def test_async_methods_await_the_async_store_and_match_sync(saver: GenieCheckpointSaver) -> None:
    """The async API goes through AsyncCheckpointStore (the shared async path), not a thread
    helper of its own, and returns exactly what the sync API returns."""
    assert isinstance(saver.astore, AsyncCheckpointStore)
    seen: list[str] = []
    for name in ("get_stored", "list_stored", "put", "put_write_values", "delete_lineage",
                 "copy_lineage", "prune", "has_metadata_key", "delete_for_runs"):
        original = getattr(saver.astore, name)

        def spy(*args: Any, _name: str = name, _original: Any = original, **kwargs: Any) -> Any:
            seen.append(_name)
            return _original(*args, **kwargs)

        setattr(saver.astore, name, spy)

    async def scenario() -> None:
        first = await saver.aput(config("t"), empty_checkpoint(), {"run_id": "r1"}, {})
        checkpoint = empty_checkpoint()
        checkpoint["id"] = str(uuid6(clock_seq=-1))
        second = await saver.aput(first, checkpoint, {"run_id": "r2"}, {})
        await saver.aput_writes(second, [("a", 1), ("b", {"x": 2})], "task")
        assert await saver.aget_tuple(config("t")) == saver.get_tuple(config("t"))
        assert [t async for t in saver.alist(config("t"))] == list(saver.list(config("t")))
        one = [t async for t in saver.alist(second)]
        assert [t.config for t in one] == [second]
        await saver.acopy_thread("t", "u")
        await saver.aprune(["u"])
        assert len(list(saver.list(config("u")))) == 1
        await saver.adelete_for_runs(["r1"])
        assert len(list(saver.list(config("t")))) == 1
        await saver.adelete_thread("t")
        assert await saver.aget_tuple(config("t")) is None

    asyncio.run(scenario())
    assert {"get_stored", "list_stored", "put", "put_write_values", "delete_lineage",
            "copy_lineage", "prune", "has_metadata_key", "delete_for_runs"} <= set(seen)
