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
        if not isinstance(self.data, bytes):
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
        for name in ("task_id", "task_path"):
            if not isinstance(getattr(self, name), str | None):
                raise InvalidInput(f"write {name} must be a string")
        for name in ("idx", "seq"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise InvalidInput(f"write {name} must be an integer")


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
