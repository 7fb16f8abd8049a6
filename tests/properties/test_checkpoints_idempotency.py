"""Every checkpoint write applied twice leaves the same state as applied once (so a retried
call is harmless), for any sequence of put / put_writes / put_full."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genie_repo.db import Database
from genie_repo.models.checkpoints import Payload, Write
from genie_repo.stores.checkpoints import CheckpointStore

T0 = datetime(2026, 1, 1, tzinfo=UTC)
small_text = st.text(alphabet="abc", min_size=1, max_size=2)
payloads = st.builds(Payload, type=st.sampled_from(["json", "msgpack", "null"]),
                     data=st.binary(max_size=16))
metadata = st.dictionaries(small_text, st.one_of(st.integers(-5, 5), small_text, st.booleans()),
                           max_size=3)
writes = st.lists(
    st.builds(Write, channel=small_text, value=payloads,
              task_id=st.one_of(st.none(), small_text),
              idx=st.one_of(st.none(), st.integers(-4, 3)),
              seq=st.one_of(st.none(), st.integers(0, 3))),
    max_size=4,
)
common = {
    "checkpoint_id": st.sampled_from(["c1", "c2", "c3"]),
    "ns": st.sampled_from(["", "sub"]),
}
put_op = st.fixed_dictionaries({
    "op": st.just("put"), **common, "checkpoint": payloads, "metadata": metadata,
    "parent_id": st.one_of(st.none(), st.sampled_from(["c1", "c2"])),
    "ts": st.integers(0, 10**6).map(lambda us: T0 + timedelta(microseconds=us)),
})
put_writes_op = st.fixed_dictionaries({
    "op": st.just("put_writes"), **common, "writes": writes, "task_id": small_text,
    "task_path": st.sampled_from(["", "p"]), "overwrite": st.booleans(),
})
put_full_op = st.fixed_dictionaries({
    "op": st.just("put_full"), **common, "checkpoint": payloads, "metadata": metadata,
    "writes": writes, "ts": st.integers(0, 10**6).map(lambda us: T0 + timedelta(microseconds=us)),
})
operations = st.lists(st.one_of(put_op, put_writes_op, put_full_op), min_size=1, max_size=6)


def apply(store: CheckpointStore, lineage: str, operation: dict[str, Any]) -> None:
    args = {k: v for k, v in operation.items() if k not in ("op", "checkpoint_id", "checkpoint",
                                                            "writes")}
    if operation["op"] == "put":
        store.put(lineage, operation["checkpoint_id"], operation["checkpoint"], **args)
    elif operation["op"] == "put_writes":
        store.put_writes(lineage, operation["checkpoint_id"], operation["writes"], **args)
    else:
        store.put_full(lineage, operation["checkpoint_id"], operation["checkpoint"],
                       writes=operation["writes"], **args)


def state(store: CheckpointStore, lineage: str) -> list[tuple[Any, ...]]:
    return [
        (t.ref.checkpoint_ns, t.ref.checkpoint_id, t.checkpoint, t.metadata, t.ts,
         t.parent.checkpoint_id if t.parent else None, t.pending_writes)
        for t in store.list(lineage)
    ]


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40,
          deadline=None)
@given(ops=operations)
def test_each_write_applied_twice_equals_once(db: Database, ops: list[dict[str, Any]]) -> None:
    store = CheckpointStore(db)
    once, twice = f"once-{uuid.uuid4()}", f"twice-{uuid.uuid4()}"
    for operation in ops:
        apply(store, once, operation)
        apply(store, twice, operation)
        apply(store, twice, operation)
    assert state(store, twice) == state(store, once)
