"""Checkpoints: our store and our LangGraph saver against LangGraph's SqliteSaver/PostgresSaver.

Every checkpoint is the workload of `bench.workloads` (five channels, ~4.4 KB serialized, three
pending writes), serialized by LangGraph's JsonPlusSerializer on both sides, so the comparison
is storage against storage, not serializer against serializer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from bench import workloads
from bench.core import Bench, Case, Target
from bench.env import Env
from bench.savers import SaverSteps, fill_thread, genie_saver, langgraph_saver
from genie_repo.models.checkpoints import Payload, Write
from genie_repo.stores.checkpoints import CheckpointStore

HISTORY = 1000
QUICK_HISTORY = 100


def store_put_full(store: CheckpointStore, lineage: str, count: int) -> Callable[[], object]:
    """A LangGraph step stored with one put_full: serialize like the saver does, then one
    transaction for the checkpoint and its three writes."""
    serde = JsonPlusSerializer()
    steps = iter([(workloads.checkpoint(i), workloads.metadata(i), workloads.writes(i))
                  for i in range(count)])
    parent: list[str | None] = [None]

    def put_full() -> object:
        cp, md, writes = next(steps)
        type_, data = serde.dumps_typed(cp)
        rows = []
        for idx, (channel, value) in enumerate(writes):
            w_type, w_data = serde.dumps_typed(value)
            rows.append(Write(channel=channel, value=Payload(type=w_type, data=w_data),
                              task_id="task-1", idx=idx))
        ref = store.put_full(lineage, cp["id"], Payload(type=type_, data=data), writes=rows,
                             parent_id=parent[0], metadata=dict(md))
        parent[0] = cp["id"]
        return ref

    return put_full


def _put_full(env: Env) -> Case:
    store = CheckpointStore(env.db)
    lg = langgraph_saver(env)
    return Case(store_put_full(store, env.unique("lineage"), env.calls),
                SaverSteps(lg, env.unique("thread"), env.calls))


def _saver_put(env: Env) -> Case:
    return Case(SaverSteps(genie_saver(env), env.unique("thread"), env.calls),
                SaverSteps(langgraph_saver(env), env.unique("thread"), env.calls))


def _history(env: Env) -> tuple[Any, Any, RunnableConfig, RunnableConfig]:
    """Both savers with one thread of HISTORY steps each (made once per run)."""

    def make() -> tuple[Any, Any, RunnableConfig, RunnableConfig]:
        steps = QUICK_HISTORY if env.quick else HISTORY
        ours, theirs = genie_saver(env), langgraph_saver(env)
        our_thread, their_thread = env.unique("thread"), env.unique("thread")
        fill_thread(ours, our_thread, steps)
        fill_thread(theirs, their_thread, steps)
        return ours, theirs, workloads.config(our_thread), workloads.config(their_thread)

    history: tuple[Any, Any, RunnableConfig, RunnableConfig] = env.shared("history", make)
    return history


def _get_tuple(env: Env) -> Case:
    ours, theirs, our_cfg, their_cfg = _history(env)
    return Case(lambda: ours.get_tuple(our_cfg), lambda: theirs.get_tuple(their_cfg))


def _list10(env: Env) -> Case:
    ours, theirs, our_cfg, their_cfg = _history(env)
    return Case(lambda: list(ours.list(our_cfg, limit=10)),
                lambda: list(theirs.list(their_cfg, limit=10)))


def benches() -> list[Bench]:
    out: list[Bench] = []
    for dialect in ("sqlite", "postgres"):
        saver = "SqliteSaver" if dialect == "sqlite" else "PostgresSaver"
        out += [
            Bench("checkpoints", "put_full", dialect, f"{saver} put + put_writes",
                  Target.ratio(2.0) if dialect == "sqlite" else Target.none(), _put_full,
                  note="store.put_full: 5 channels, 3 writes, one transaction", cost=0.5),
            Bench("checkpoints", "saver.put+put_writes", dialect,
                  f"{saver} put + put_writes", Target.none(), _saver_put,
                  note="GenieCheckpointSaver, the two calls LangGraph's runtime makes",
                  cost=0.5),
            Bench("checkpoints", "saver.get_tuple", dialect, f"{saver}.get_tuple",
                  Target.ratio(4.0) if dialect == "postgres" else Target.none(), _get_tuple,
                  note="latest of a 1,000-checkpoint thread, with its writes"),
            Bench("checkpoints", "saver.list(limit=10)", dialect, f"{saver}.list(limit=10)",
                  Target.ratio(10.0) if dialect == "postgres" else Target.none(), _list10,
                  note="newest 10 of 1,000, with their writes", cost=0.2),
        ]
    return out
