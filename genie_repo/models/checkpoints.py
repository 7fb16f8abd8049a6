"""Graph checkpoints: an opaque payload with a type tag, JSON metadata, and pending writes.

These are frozen slotted dataclasses rather than pydantic models: a listed page builds several
of them per checkpoint, and on the read path pydantic's construction cost more than the SQL.
Inputs are still checked when built (InvalidInput, a ValueError). `StoredCheckpoint` is the
row as read, for code that converts it at once (the LangGraph saver): no objects per field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from genie_repo.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Payload:
    """Serialized bytes and the tag saying how to decode them (`"json"`, LangGraph's
    `"msgpack"`, `"null"`, ...). The store never looks inside."""

    type: str
    data: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.type, str) or not self.type:
            raise InvalidInput("payload type must be a non-empty string")
        if type(self.data) is not bytes and not isinstance(self.data, bytes):
            raise InvalidInput(f"payload data must be bytes, got {type(self.data).__name__}")


@dataclass(frozen=True, slots=True)
class CheckpointRef:
    """Where a checkpoint lives: lineage (thread), namespace, id."""

    lineage_id: str
    checkpoint_ns: str
    checkpoint_id: str


@dataclass(frozen=True, slots=True)
class Write:
    """A pending write to store. `idx` defaults to the write's position in the call and `seq`
    (the read order, before task_path/task_id/idx) to `idx`. `task_id`/`task_path` default to
    the call's own (put_writes) or "" (put_full)."""

    channel: str
    value: Payload
    task_id: str | None = None
    task_path: str | None = None
    idx: int | None = None
    seq: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.channel, str):
            raise InvalidInput("write channel must be a string")
        if not isinstance(self.value, Payload):
            raise InvalidInput(f"write value must be a Payload, got {type(self.value).__name__}")
        # Straight-line checks: a LangGraph step builds several Writes per put_writes.
        if self.task_id is not None and not isinstance(self.task_id, str):
            raise InvalidInput("write task_id must be a string")
        if self.task_path is not None and not isinstance(self.task_path, str):
            raise InvalidInput("write task_path must be a string")
        if self.idx is not None and (type(self.idx) is bool or not isinstance(self.idx, int)):
            raise InvalidInput("write idx must be an integer")
        if self.seq is not None and (type(self.seq) is bool or not isinstance(self.seq, int)):
            raise InvalidInput("write seq must be an integer")


@dataclass(frozen=True, slots=True)
class PendingWrite:
    """A stored pending write, as read back."""

    task_id: str
    channel: str
    value: Payload
    task_path: str
    idx: int
    seq: int


@dataclass(frozen=True, slots=True)
class CheckpointTuple:
    """A checkpoint with everything needed to resume from it. `pending_writes` come ordered by
    (seq, task_path, task_id, idx); `parent` is in the same lineage and namespace."""

    ref: CheckpointRef
    checkpoint: Payload
    metadata: dict[str, Any]
    ts: datetime
    parent: CheckpointRef | None
    pending_writes: tuple[PendingWrite, ...]


class StoredCheckpoint(NamedTuple):
    """A checkpoint exactly as stored, read from our own (trusted) rows without building a
    model: for callers that turn it straight into their own type. `writes` are the pending-write
    rows ordered by (seq, task_path, task_id, idx), each a dict with the keys task_id, channel,
    value_type, value_data (bytes), task_path, idx and seq."""

    checkpoint_ns: str
    checkpoint_id: str
    parent_checkpoint_id: str  # "" when it has no parent
    ts: int  # Unix nanoseconds, UTC
    checkpoint_type: str
    checkpoint_data: bytes
    metadata: str  # a JSON object, as stored
    writes: list[dict[str, Any]]
