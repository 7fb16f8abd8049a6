"""LangGraph checkpointer over genie_repo's CheckpointStore (SQLite or PostgreSQL).

thread_id is the store's lineage_id. The whole checkpoint is one serde payload `(type, bytes)`;
metadata is stored as JSON so `list(filter=...)` runs in SQL. The async methods run the sync ones
in worker threads (`asyncio.to_thread`), so they never block the event loop, and no lock is held
across a database call: the pool (PostgreSQL) or SQLite's own locking serialise what must be.

Ordering matches LangGraph's "latest = greatest checkpoint_id": the store orders by
(ts, checkpoint_id), and for LangGraph's uuid6 ids ts is the time encoded in the id, whose text
order is its time order. Ids that are not canonical uuid6 strings get the checkpoint's own `ts`,
so among those the order is by time first (LangGraph would compare the strings).
"""

from __future__ import annotations

import asyncio
import uuid
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

from genie_repo.db.protocol import Database
from genie_repo.errors import InvalidInput
from genie_repo.models.checkpoints import CheckpointTuple as StoredTuple
from genie_repo.models.checkpoints import Payload, Write
from genie_repo.stores.checkpoints import CheckpointStore

_GREGORIAN_TO_UNIX_100NS = 0x01B21DD213814000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Metadata keys LangGraph writes for DeltaChannel threads (same test as PostgresSaver.prune).
_DELTA_METADATA_KEYS = ("counters_since_delta_snapshot", "delta_writes_versioned")
PRUNE_STRATEGIES = ("keep_latest", "delete")


class GenieCheckpointSaver(BaseCheckpointSaver[int]):
    """A LangGraph `BaseCheckpointSaver` storing into genie_repo's checkpoint tables.

    Implements get_tuple/list/put/put_writes/delete_thread and the optional delete_for_runs,
    copy_thread and prune, each with its async twin. Every write is one transaction.
    """

    def __init__(self, db: Database, *, serde: SerializerProtocol | None = None) -> None:
        super().__init__(serde=serde)
        self.store = CheckpointStore(db)

    # -- sync API -------------------------------------------------------------------------------

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """The checkpoint `config` names, or the latest of its thread and namespace."""
        configurable = config["configurable"]
        found = self.store.get_tuple(
            str(configurable["thread_id"]),
            get_checkpoint_id(config),
            ns=configurable.get("checkpoint_ns", ""),
        )
        return self._to_langgraph(found) if found else None

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
        if config is None:
            raise InvalidInput("GenieCheckpointSaver.list needs a config with a thread_id")
        configurable = config["configurable"]
        thread_id = str(configurable["thread_id"])
        ns: str | None = configurable.get("checkpoint_ns")
        before_id = get_checkpoint_id(before) if before else None
        checkpoint_id = get_checkpoint_id(config)
        if checkpoint_id is not None:
            yield from self._list_one(thread_id, ns or "", checkpoint_id, filter, before_id)
            return
        found = self.store.list(
            thread_id, ns=ns, before=before_id, limit=limit, metadata_filter=filter
        )
        for stored in found:
            yield self._to_langgraph(stored)

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Store the checkpoint; the config's checkpoint_id (if any) becomes its parent."""
        configurable = config["configurable"]
        thread_id = str(configurable["thread_id"])
        ns = configurable.get("checkpoint_ns", "")
        type_, data = self.serde.dumps_typed(checkpoint)
        self.store.put(
            thread_id,
            checkpoint["id"],
            Payload(type=type_, data=bytes(data)),
            ns=ns,
            parent_id=configurable.get("checkpoint_id"),
            metadata=get_serializable_checkpoint_metadata(config, metadata),
            ts=checkpoint_time(checkpoint),
        )
        return {
            "configurable": {
                "thread_id": thread_id,
                "checkpoint_ns": ns,
                "checkpoint_id": checkpoint["id"],
            }
        }

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
        configurable = config["configurable"]
        rows = []
        for position, (channel, value) in enumerate(writes):
            type_, data = self.serde.dumps_typed(value)
            rows.append(Write(
                channel=channel,
                value=Payload(type=type_, data=bytes(data)),
                idx=WRITES_IDX_MAP.get(channel, position),
                seq=0,  # read order is then LangGraph's (task_path, task_id, idx)
            ))
        self.store.put_writes(
            str(configurable["thread_id"]),
            str(configurable["checkpoint_id"]),
            rows,
            task_id=task_id,
            task_path=task_path,
            ns=configurable.get("checkpoint_ns", ""),
            overwrite=all(channel in WRITES_IDX_MAP for channel, _ in writes),
        )

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
        if isinstance(thread_ids, str):
            raise TypeError("thread_ids must be a sequence of thread ids, not a str")
        if strategy not in PRUNE_STRATEGIES:
            raise InvalidInput(f"unknown prune strategy {strategy!r}; one of {PRUNE_STRATEGIES}")
        ids = [str(thread_id) for thread_id in thread_ids]
        if strategy == "delete":
            for thread_id in ids:
                self.store.delete_lineage(thread_id)
            return
        delta = [
            thread_id for thread_id in ids
            if any(self.store.has_metadata_key(thread_id, key) for key in _DELTA_METADATA_KEYS)
        ]
        if delta:
            raise InvalidInput(
                "keep_latest can't prune threads that use a DeltaChannel: " + ", ".join(delta)
            )
        for thread_id in ids:
            self.store.prune(thread_id, keep_last=1)

    # -- async twins: the sync methods in a worker thread ---------------------------------------

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return await asyncio.to_thread(self.get_tuple, config)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        found = await asyncio.to_thread(
            lambda: [*self.list(config, filter=filter, before=before, limit=limit)]
        )
        for item in found:
            yield item

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        return await asyncio.to_thread(self.put, config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        await asyncio.to_thread(self.put_writes, config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        await asyncio.to_thread(self.delete_thread, thread_id)

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        await asyncio.to_thread(self.delete_for_runs, run_ids)

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        await asyncio.to_thread(self.copy_thread, source_thread_id, target_thread_id)

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        await asyncio.to_thread(lambda: self.prune(thread_ids, strategy=strategy))

    # -- conversions ----------------------------------------------------------------------------

    def _list_one(
        self,
        thread_id: str,
        ns: str,
        checkpoint_id: str,
        filter: dict[str, Any] | None,
        before_id: str | None,
    ) -> Iterator[CheckpointTuple]:
        """`list` of a config that names one checkpoint: that one, if it passes the filters."""
        found = self.store.get_tuple(thread_id, checkpoint_id, ns=ns)
        if found is None or (before_id is not None and not checkpoint_id < before_id):
            return
        if all(found.metadata.get(key) == value for key, value in (filter or {}).items()):
            yield self._to_langgraph(found)

    def _to_langgraph(self, stored: StoredTuple) -> CheckpointTuple:
        ref = stored.ref
        parent = stored.parent
        return CheckpointTuple(
            config={"configurable": {
                "thread_id": ref.lineage_id,
                "checkpoint_ns": ref.checkpoint_ns,
                "checkpoint_id": ref.checkpoint_id,
            }},
            checkpoint=self.serde.loads_typed((stored.checkpoint.type, stored.checkpoint.data)),
            metadata=stored.metadata,  # type: ignore[arg-type]
            parent_config={"configurable": {
                "thread_id": parent.lineage_id,
                "checkpoint_ns": parent.checkpoint_ns,
                "checkpoint_id": parent.checkpoint_id,
            }} if parent else None,
            pending_writes=[
                (w.task_id, w.channel, self.serde.loads_typed((w.value.type, w.value.data)))
                for w in stored.pending_writes
            ],
        )


def checkpoint_time(checkpoint: Checkpoint) -> datetime:
    """The time that orders a checkpoint: the one in its uuid6 id (so time order is id order),
    else its `ts` field, else now."""
    checkpoint_id = checkpoint["id"]
    try:
        parsed = uuid.UUID(checkpoint_id)
    except (ValueError, TypeError, AttributeError):
        parsed = None
    if parsed is not None and parsed.version == 6 and str(parsed) == checkpoint_id:
        ticks = ((parsed.int >> 96) << 28) | (((parsed.int >> 80) & 0xFFFF) << 12) | (
            (parsed.int >> 64) & 0x0FFF
        )
        return _EPOCH + timedelta(microseconds=(ticks - _GREGORIAN_TO_UNIX_100NS) // 10)
    try:
        stamp = datetime.fromisoformat(checkpoint["ts"])
    except (KeyError, TypeError, ValueError):
        return datetime.now(UTC)
    return stamp.astimezone(UTC) if stamp.tzinfo else stamp.replace(tzinfo=UTC)
