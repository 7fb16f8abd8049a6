"""LangGraph checkpointer over genie_repo's CheckpointStore (SQLite or PostgreSQL).

thread_id is the store's lineage_id. The whole checkpoint is one serde payload `(type, bytes)`;
metadata is stored as JSON so `list(filter=...)` runs in SQL. Reads take the store's rows as
stored (`get_stored`/`list_stored`) and build LangGraph's tuples straight from them. The async
methods await `genie_repo.aio.AsyncCheckpointStore` (never blocking the event loop) and convert
on the loop; no lock is held across a database call: the pool (PostgreSQL) or SQLite's own
locking serialise what must be.

Ordering is LangGraph's own, "latest = greatest checkpoint_id": the store orders by checkpoint_id.
The stored `ts` (for `prune_older_than`) is the time in a uuid6 id, else the checkpoint's `ts`.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    get_checkpoint_id,
    get_serializable_checkpoint_metadata,
)
from langgraph.checkpoint.serde.base import SerializerProtocol

from genie_repo.aio import AsyncCheckpointStore
from genie_repo.db.protocol import Database
from genie_repo.errors import InvalidInput
from genie_repo.integrations.langgraph_store import GenieStore
from genie_repo.models.checkpoints import Payload, StoredCheckpoint
from genie_repo.stores.checkpoints import CheckpointStore, WriteValue

_GREGORIAN_TO_UNIX_100NS = 0x01B21DD213814000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Metadata keys LangGraph writes for DeltaChannel threads (same test as PostgresSaver.prune).
_DELTA_METADATA_KEYS = ("counters_since_delta_snapshot", "delta_writes_versioned")
PRUNE_STRATEGIES = ("keep_latest", "delete")
# A canonical uuid6 string (lowercase, RFC 4122 variant), as LangGraph's ids are.
WriteValues = list[WriteValue]  # (`list` is also a method name inside the saver class)
_UUID6 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-6[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


class GenieCheckpointSaver(BaseCheckpointSaver[int]):
    """A LangGraph `BaseCheckpointSaver` storing into genie_repo's checkpoint tables.

    Implements get_tuple/list/put/put_writes/delete_thread and the optional delete_for_runs,
    copy_thread and prune, each with its async twin. Every write is one transaction.
    """

    def __init__(self, db: Database, *, serde: SerializerProtocol | None = None) -> None:
        super().__init__(serde=serde)
        self.store = CheckpointStore(db)
        self.astore = AsyncCheckpointStore(db)

    # -- sync API -------------------------------------------------------------------------------

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """The checkpoint `config` names, or the latest of its thread and namespace."""
        configurable = config["configurable"]
        thread_id = str(configurable["thread_id"])
        found = self.store.get_stored(
            thread_id, get_checkpoint_id(config), ns=configurable.get("checkpoint_ns", "")
        )
        return None if found is None else self._to_langgraph(thread_id, found)

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """Newest first. Without `checkpoint_ns` in the config every namespace is listed.
        A `before` checkpoint that does not exist raises NotFound. The page is read in one
        query before anything is yielded."""
        thread_id, ns, checkpoint_id, before_id = _list_args(config, before)
        if checkpoint_id is not None:
            found = self.store.get_stored(thread_id, checkpoint_id, ns=ns or "")
            yield from self._one_listed(thread_id, found, filter, before_id)
            return
        for stored in self.store.list_stored(thread_id, ns, before_id, limit, filter):
            yield self._to_langgraph(thread_id, stored)

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Store the checkpoint; the config's checkpoint_id (if any) becomes its parent."""
        args, kwargs = self._put_args(config, checkpoint, metadata)
        self.store.put(*args, **kwargs)
        return _saved(args[0], kwargs["ns"], args[1])

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Special channels (`__error__`, `__interrupt__`, ...) get their fixed negative idx
        and are upserted when a call holds only those; otherwise a repeated (task_id, idx)
        keeps the first write, as LangGraph's own savers do."""
        args, kwargs = self._writes_args(config, writes, task_id, task_path)
        self.store.put_write_values(*args, **kwargs)

    def delete_thread(self, thread_id: str) -> None:
        """Every checkpoint and write of the thread, all namespaces, in one transaction."""
        self.store.delete_lineage(str(thread_id))

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Every checkpoint whose metadata run_id is listed (any thread or namespace)."""
        if isinstance(run_ids, str):
            raise TypeError("run_ids must be a sequence of run ids, not a str")
        self.store.delete_for_runs([str(run_id) for run_id in run_ids])

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Copy the whole source thread (every checkpoint, so the full parent chain, and every
        write, all namespaces, same ids) into the target, in one transaction."""
        self.store.copy_lineage(str(source_thread_id), str(target_thread_id))

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """`"keep_latest"` keeps the newest checkpoint of each namespace (with its writes);
        `"delete"` removes the threads. keep_latest refuses (InvalidInput, nothing pruned)
        threads whose metadata shows a DeltaChannel, since their state needs older rows."""
        ids = _prune_ids(thread_ids, strategy)
        if strategy == "delete":
            for thread_id in ids:
                self.store.delete_lineage(thread_id)
            return
        delta = [
            thread_id for thread_id in ids
            if any(self.store.has_metadata_key(thread_id, key) for key in _DELTA_METADATA_KEYS)
        ]
        _refuse_delta(delta)
        for thread_id in ids:
            self.store.prune(thread_id, keep_last=1)

    # -- async API: the same steps around AsyncCheckpointStore ---------------------------------

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """As get_tuple, awaiting the async store."""
        configurable = config["configurable"]
        thread_id = str(configurable["thread_id"])
        found = await self.astore.get_stored(
            thread_id, get_checkpoint_id(config), ns=configurable.get("checkpoint_ns", "")
        )
        return None if found is None else self._to_langgraph(thread_id, found)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """As list, awaiting the async store (the page is read before anything is yielded)."""
        thread_id, ns, checkpoint_id, before_id = _list_args(config, before)
        if checkpoint_id is not None:
            found = await self.astore.get_stored(thread_id, checkpoint_id, ns=ns or "")
            for item in self._one_listed(thread_id, found, filter, before_id):
                yield item
            return
        page = await self.astore.list_stored(thread_id, ns, before_id, limit, filter)
        for stored in page:
            yield self._to_langgraph(thread_id, stored)

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """As put, awaiting the async store."""
        args, kwargs = self._put_args(config, checkpoint, metadata)
        await self.astore.put(*args, **kwargs)
        return _saved(args[0], kwargs["ns"], args[1])

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """As put_writes, awaiting the async store."""
        args, kwargs = self._writes_args(config, writes, task_id, task_path)
        await self.astore.put_write_values(*args, **kwargs)

    async def adelete_thread(self, thread_id: str) -> None:
        """As delete_thread, awaiting the async store."""
        await self.astore.delete_lineage(str(thread_id))

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        """As delete_for_runs, awaiting the async store."""
        if isinstance(run_ids, str):
            raise TypeError("run_ids must be a sequence of run ids, not a str")
        await self.astore.delete_for_runs([str(run_id) for run_id in run_ids])

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """As copy_thread, awaiting the async store."""
        await self.astore.copy_lineage(str(source_thread_id), str(target_thread_id))

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """As prune, awaiting the async store."""
        ids = _prune_ids(thread_ids, strategy)
        if strategy == "delete":
            for thread_id in ids:
                await self.astore.delete_lineage(thread_id)
            return
        delta = [
            thread_id for thread_id in ids
            if any([await self.astore.has_metadata_key(thread_id, key)
                    for key in _DELTA_METADATA_KEYS])
        ]
        _refuse_delta(delta)
        for thread_id in ids:
            await self.astore.prune(thread_id, keep_last=1)

    # -- the steps sync and async share ---------------------------------------------------------

    def _put_args(
        self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata
    ) -> tuple[tuple[str, str, Payload], dict[str, Any]]:
        """CheckpointStore.put's arguments for a LangGraph put."""
        configurable = config["configurable"]
        type_, data = self.serde.dumps_typed(checkpoint)
        return (str(configurable["thread_id"]), checkpoint["id"], Payload(type_, bytes(data))), {
            "ns": configurable.get("checkpoint_ns", ""),
            "parent_id": configurable.get("checkpoint_id"),
            "metadata": get_serializable_checkpoint_metadata(config, metadata),
            "ts": checkpoint_time(checkpoint),
        }

    def _writes_args(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str,
    ) -> tuple[tuple[str, str, WriteValues], dict[str, Any]]:
        """CheckpointStore.put_write_values's arguments for a LangGraph put_writes."""
        configurable = config["configurable"]
        dumps = self.serde.dumps_typed
        values: WriteValues = []
        overwrite = True
        for position, (channel, value) in enumerate(writes):
            type_, data = dumps(value)
            special = WRITES_IDX_MAP.get(channel)
            if special is None:
                overwrite = False
            # seq 0: the read order is then LangGraph's (task_path, task_id, idx)
            values.append((channel, position if special is None else special, 0, type_,
                           bytes(data)))
        args = (str(configurable["thread_id"]), str(configurable["checkpoint_id"]), values)
        return args, {"task_id": task_id, "task_path": task_path,
                      "ns": configurable.get("checkpoint_ns", ""), "overwrite": overwrite}

    def _one_listed(
        self,
        thread_id: str,
        found: StoredCheckpoint | None,
        filter: dict[str, Any] | None,
        before_id: str | None,
    ) -> Iterator[CheckpointTuple]:
        """`list` of a config that names one checkpoint: that one, if it passes the filters."""
        if found is None or (before_id is not None and not found.checkpoint_id < before_id):
            return
        listed = self._to_langgraph(thread_id, found)
        if all(listed.metadata.get(key) == value for key, value in (filter or {}).items()):
            yield listed

    def _to_langgraph(self, thread_id: str, stored: StoredCheckpoint) -> CheckpointTuple:
        loads = self.serde.loads_typed
        ns, parent = stored.checkpoint_ns, stored.parent_checkpoint_id
        return CheckpointTuple(
            {"configurable": {
                "thread_id": thread_id, "checkpoint_ns": ns,
                "checkpoint_id": stored.checkpoint_id,
            }},
            loads((stored.checkpoint_type, stored.checkpoint_data)),
            json.loads(stored.metadata),
            {"configurable": {
                "thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": parent,
            }} if parent else None,
            [(w["task_id"], w["channel"], loads((w["value_type"], w["value_data"])))
             for w in stored.writes],
        )


def _saved(thread_id: str, ns: str, checkpoint_id: str) -> RunnableConfig:
    return {"configurable": {
        "thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": checkpoint_id,
    }}


def _list_args(
    config: RunnableConfig | None, before: RunnableConfig | None
) -> tuple[str, str | None, str | None, str | None]:
    """(thread_id, ns or None for every namespace, the config's checkpoint_id, before id)."""
    if config is None:
        raise InvalidInput("GenieCheckpointSaver.list needs a config with a thread_id")
    configurable = config["configurable"]
    before_id = get_checkpoint_id(before) if before else None
    return (str(configurable["thread_id"]), configurable.get("checkpoint_ns"),
            get_checkpoint_id(config), before_id)


def _prune_ids(thread_ids: Sequence[str], strategy: str) -> list[str]:
    if isinstance(thread_ids, str):
        raise TypeError("thread_ids must be a sequence of thread ids, not a str")
    if strategy not in PRUNE_STRATEGIES:
        raise InvalidInput(f"unknown prune strategy {strategy!r}; one of {PRUNE_STRATEGIES}")
    return [str(thread_id) for thread_id in thread_ids]


def _refuse_delta(delta: list[str]) -> None:
    if delta:
        raise InvalidInput(
            "keep_latest can't prune threads that use a DeltaChannel: " + ", ".join(delta)
        )


def checkpoint_time(checkpoint: Checkpoint) -> datetime:
    """The time that orders a checkpoint: the one in its uuid6 id (so time order is id order),
    else its `ts` field, else now."""
    checkpoint_id = checkpoint["id"]
    if isinstance(checkpoint_id, str) and _UUID6.fullmatch(checkpoint_id):
        hex_digits = checkpoint_id.replace("-", "")
        ticks = (int(hex_digits[:12], 16) << 12) | int(hex_digits[13:16], 16)
        return _EPOCH + timedelta(microseconds=(ticks - _GREGORIAN_TO_UNIX_100NS) // 10)
    try:
        stamp = datetime.fromisoformat(checkpoint["ts"])
    except (KeyError, TypeError, ValueError):
        return datetime.now(UTC)
    return stamp.astimezone(UTC) if stamp.tzinfo else stamp.replace(tzinfo=UTC)


__all__ = ["GenieCheckpointSaver", "GenieStore", "checkpoint_time"]
