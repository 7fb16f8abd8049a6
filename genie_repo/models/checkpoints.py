"""Graph checkpoints: an opaque payload with a type tag, JSON metadata, and pending writes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, StrictBytes, StrictInt, StrictStr

from genie_repo.models.base import Id, Model


class Payload(Model):
    """Serialized bytes and the tag saying how to decode them (`"json"`, LangGraph's
    `"msgpack"`, `"null"`, ...). The store never looks inside."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Id
    data: StrictBytes


class CheckpointRef(Model):
    """Where a checkpoint lives: lineage (thread), namespace, id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lineage_id: str
    checkpoint_ns: str = ""
    checkpoint_id: str


class Write(Model):
    """A pending write to store. `idx` defaults to the write's position in the call and `seq`
    (the read order, before task_path/task_id/idx) to `idx`. `task_id`/`task_path` default to
    the call's own (put_writes) and are per write in put_full."""

    channel: StrictStr
    value: Payload
    task_id: StrictStr | None = None
    task_path: StrictStr | None = None
    idx: StrictInt | None = None
    seq: StrictInt | None = None


class PendingWrite(Model):
    """A stored pending write, as read back."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task_id: str
    channel: str
    value: Payload
    task_path: str
    idx: int
    seq: int


class CheckpointTuple(Model):
    """A checkpoint with everything needed to resume from it. `pending_writes` come ordered by
    (seq, task_path, task_id, idx); `parent` is in the same lineage and namespace."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ref: CheckpointRef
    checkpoint: Payload
    metadata: dict[str, Any]
    ts: datetime
    parent: CheckpointRef | None = None
    pending_writes: tuple[PendingWrite, ...] = ()
