"""Checkpoints: our store and our LangGraph saver against LangGraph's SqliteSaver/PostgresSaver.

Every checkpoint is the workload of `bench.workloads` (five channels, three pending writes),
serialized by LangGraph's JsonPlusSerializer on both sides, so the comparison is storage against
storage, not serializer against serializer. The put_full rows use ~4.4 KB checkpoints; the peer
rows (one LangGraph API op each, at equal durability, sync and async) ~1.6 KB ones.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import Checkpoint, CheckpointTuple
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from bench import workloads
from bench.core import Bench, Case, Target
from bench.env import Env
from bench.raw import Raw
from bench.savers import (
    SMALL_HISTORY,
    PutSteps,
    SaverSteps,
    WriteSteps,
    afill_thread,
    async_peer_saver,
    fill_thread,
    genie_saver,
    langgraph_saver,
    sqlite_saver,
)
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


# -- peer rows: one op each, through the LangGraph API on both sides, ~1.6 KB checkpoints ------

Pair = tuple[Any, Any]


def _pair(env: Env, durability: str) -> Pair:
    """(ours, LangGraph's) at one durability; PostgreSQL has one (durability is the server's)."""
    if env.dialect == "postgres":
        return genie_saver(env), langgraph_saver(env)
    return genie_saver(env, durability), sqlite_saver(env, durability)


def _filled(env: Env, durability: str) -> tuple[Any, Any, RunnableConfig, RunnableConfig]:
    """Both savers of the pair with one thread of HISTORY small steps each (once per run)."""

    def make() -> tuple[Any, Any, RunnableConfig, RunnableConfig]:
        steps = QUICK_HISTORY if env.quick else HISTORY
        ours, theirs = _pair(env, durability)
        our_thread, their_thread = env.unique("thread"), env.unique("thread")
        fill_thread(ours, our_thread, steps, SMALL_HISTORY)
        fill_thread(theirs, their_thread, steps, SMALL_HISTORY)
        return ours, theirs, workloads.config(our_thread), workloads.config(their_thread)

    filled: tuple[Any, Any, RunnableConfig, RunnableConfig] = env.shared(
        f"filled_{durability}", make)
    return filled


def _put(durability: str) -> Callable[[Env], Case]:
    def setup(env: Env) -> Case:
        ours, theirs = _pair(env, durability)
        return Case(PutSteps(ours, env.unique("thread"), env.calls),
                    PutSteps(theirs, env.unique("thread"), env.calls))

    return setup


def _put_writes(durability: str) -> Callable[[Env], Case]:
    def setup(env: Env) -> Case:
        ours, theirs = _pair(env, durability)
        return Case(WriteSteps(ours, env.unique("thread")),
                    WriteSteps(theirs, env.unique("thread")))

    return setup


def _latest(durability: str) -> Callable[[Env], Case]:
    def setup(env: Env) -> Case:
        ours, theirs, our_cfg, their_cfg = _filled(env, durability)
        return Case(lambda: ours.get_tuple(our_cfg), lambda: theirs.get_tuple(their_cfg))

    return setup


def _page(durability: str) -> Callable[[Env], Case]:
    def setup(env: Env) -> Case:
        ours, theirs, our_cfg, their_cfg = _filled(env, durability)
        return Case(lambda: list(ours.list(our_cfg, limit=10)),
                    lambda: list(theirs.list(their_cfg, limit=10)))

    return setup


# -- async peers: our saver's async methods against AsyncSqliteSaver / AsyncPostgresSaver ------

CONCURRENCY = 32


def _async_pair(env: Env) -> Pair:
    return genie_saver(env, "full"), async_peer_saver(env)


def _afilled(env: Env) -> tuple[Any, Any, RunnableConfig, RunnableConfig]:
    def make() -> tuple[Any, Any, RunnableConfig, RunnableConfig]:
        steps = QUICK_HISTORY if env.quick else HISTORY
        ours, theirs = _async_pair(env)
        our_thread, their_thread = env.unique("thread"), env.unique("thread")
        env.loop.run_until_complete(afill_thread(ours, our_thread, steps))
        env.loop.run_until_complete(afill_thread(theirs, their_thread, steps))
        return ours, theirs, workloads.config(our_thread), workloads.config(their_thread)

    filled: tuple[Any, Any, RunnableConfig, RunnableConfig] = env.shared("afilled", make)
    return filled


def _aget_tuple(tasks: int) -> Callable[[Env], Case]:
    def setup(env: Env) -> Case:
        ours, theirs, our_cfg, their_cfg = _afilled(env)

        async def op() -> object:
            return await asyncio.gather(*(ours.aget_tuple(our_cfg) for _ in range(tasks)))

        async def baseline() -> object:
            return await asyncio.gather(*(theirs.aget_tuple(their_cfg) for _ in range(tasks)))

        return Case(op, baseline, asynchronous=True, baseline_asynchronous=True)

    return setup


def _aput(tasks: int) -> Callable[[Env], Case]:
    def setup(env: Env) -> Case:
        ours, theirs = _async_pair(env)
        our_steps = [PutSteps(ours, env.unique("thread"), env.calls) for _ in range(tasks)]
        their_steps = [PutSteps(theirs, env.unique("thread"), env.calls) for _ in range(tasks)]

        async def op() -> object:
            return await asyncio.gather(*(steps.aput() for steps in our_steps))

        async def baseline() -> object:
            return await asyncio.gather(*(steps.aput() for steps in their_steps))

        return Case(op, baseline, asynchronous=True, baseline_asynchronous=True)

    return setup


# -- floors: a hand-written saver on the bare driver with our schema and SQL, against the peer --


class BareSaver:
    """The least a saver can do on this driver, schema and SQL: the library's own statements
    (registry text, same shapes) through a bare connection, plus the serde work every saver
    does, building LangGraph's values directly. Not a product: the floor under our saver, so
    `floor ratio >= target` says whether a target is reachable at all on this design."""

    def __init__(self, env: Env, durability: str) -> None:
        self.serde = JsonPlusSerializer()
        self.registry = env.db.registry
        self.dialect = env.dialect
        if env.dialect == "sqlite":
            self.conn: Any = Raw(env).sqlite
            self.conn.execute(f"PRAGMA synchronous={durability.upper() or 'NORMAL'}")
        else:
            self.conn = Raw(env).pg

    def _run(self, name: str, params: dict[str, Any]) -> list[Any]:
        cursor = self.conn.execute(self.registry[f"checkpoints.{name}"].sql, params)
        return cursor.fetchall() if self.dialect == "sqlite" or cursor.description else []

    def _tuple(self, thread: str, row: Any, writes: list[Any]) -> CheckpointTuple:
        loads = self.serde.loads_typed
        ns = row[0]
        return CheckpointTuple(
            {"configurable": {"thread_id": thread, "checkpoint_ns": ns, "checkpoint_id": row[1]}},
            loads((row[4], row[5])), json.loads(row[6]),
            {"configurable": {"thread_id": thread, "checkpoint_ns": ns, "checkpoint_id": row[2]}}
            if row[2] else None,
            [(w[0], w[1], loads((w[2], w[3]))) for w in writes],
        )

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        thread = config["configurable"]["thread_id"]
        key = {"lineage_id": thread, "checkpoint_ns": ""}
        self.conn.execute("BEGIN")
        rows = self._run("latest_checkpoint", key)
        writes = self._run("list_writes", {**key, "checkpoint_id": rows[0][1]}) if rows else []
        self.conn.execute("COMMIT")
        return self._tuple(thread, rows[0], writes) if rows else None

    def list(self, config: RunnableConfig, *, limit: int) -> Iterator[CheckpointTuple]:
        thread = config["configurable"]["thread_id"]
        self.conn.execute("BEGIN")
        rows = self._run("list_in_ns", {"lineage_id": thread, "checkpoint_ns": "",
                                        "before_id": None, "metadata_filter": "{}",
                                        "limit": limit})
        keys = json.dumps([[row[0], row[1]] for row in rows])
        writes = self._run("list_page_writes", {"lineage_id": thread, "keys": keys})
        self.conn.execute("COMMIT")
        by_key: dict[tuple[str, str], list[Any]] = {}
        for w in writes:
            by_key.setdefault((w[0], w[1]), []).append(w[2:])
        for row in rows:
            yield self._tuple(thread, row, by_key.get((row[0], row[1]), []))

    def put(self, config: RunnableConfig, checkpoint: Checkpoint, metadata: Any,
            new_versions: Any) -> RunnableConfig:
        configurable = config["configurable"]
        type_, data = self.serde.dumps_typed(checkpoint)
        self._run("upsert_checkpoint", {
            "lineage_id": configurable["thread_id"], "checkpoint_ns": "",
            "checkpoint_id": checkpoint["id"],
            "parent_checkpoint_id": configurable.get("checkpoint_id") or "",
            "ts": 0, "checkpoint_type": type_, "checkpoint_data": data,
            "metadata": json.dumps(metadata, sort_keys=True, separators=(",", ":")),
        })
        return workloads.config(configurable["thread_id"], checkpoint["id"])

    def put_writes(self, config: RunnableConfig, writes: list[tuple[str, Any]],
                   task_id: str) -> None:
        configurable = config["configurable"]
        key = {"lineage_id": configurable["thread_id"], "checkpoint_ns": "",
               "checkpoint_id": configurable["checkpoint_id"]}
        dumped = [(channel, *self.serde.dumps_typed(value)) for channel, value in writes]
        if self.dialect == "postgres":
            self._run("insert_writes_if_absent", {**key, "writes": json.dumps(
                [[task_id, i, ch, t, d.hex(), "", 0] for i, (ch, t, d) in enumerate(dumped)])})
            return
        sql = self.registry["checkpoints.insert_write_if_absent"].sql
        self.conn.execute("BEGIN IMMEDIATE")
        for idx, (channel, type_, data) in enumerate(dumped):
            self.conn.execute(sql, {**key, "task_id": task_id, "idx": idx, "channel": channel,
                                    "value_type": type_, "value_data": data, "task_path": "",
                                    "seq": 0})
        self.conn.execute("COMMIT")


def _floor(op: str, durability: str) -> Callable[[Env], Case]:
    def setup(env: Env) -> Case:
        bare = BareSaver(env, durability)
        _, theirs = _pair(env, durability)
        if op == "put":
            return Case(PutSteps(bare, env.unique("thread"), env.calls),
                        PutSteps(theirs, env.unique("thread"), env.calls))
        if op == "put_writes":
            return Case(WriteSteps(bare, env.unique("thread")),
                        WriteSteps(theirs, env.unique("thread")))
        _, theirs, our_cfg, their_cfg = _filled(env, durability)
        if op == "get_tuple":
            return Case(lambda: bare.get_tuple(our_cfg), lambda: theirs.get_tuple(their_cfg))
        return Case(lambda: list(bare.list(our_cfg, limit=10)),
                    lambda: list(theirs.list(their_cfg, limit=10)))

    return setup


def _peer_rows(dialect: str) -> list[Bench]:
    if dialect == "postgres":
        configs = [("", "PostgresSaver (autocommit, prepare_threshold=0)", "")]
        targets = {"put": Target.ratio(1.2), "put_writes": Target.ratio(1.2),
                   "get_tuple": Target.ratio(4.0), "list(limit=10)": Target.ratio(10.0)}
    else:
        configs = [
            ("full", "SqliteSaver (WAL, synchronous=FULL: its default)", " [both FULL]"),
            ("normal", "SqliteSaver (WAL, synchronous=NORMAL)", " [both NORMAL]"),
        ]
        targets = dict.fromkeys(("put", "put_writes", "get_tuple", "list(limit=10)"),
                                Target.ratio(1.25))
    out: list[Bench] = []
    for durability, peer, suffix in configs:
        ours = "" if dialect == "postgres" else f"; ours synchronous={durability.upper()}"
        out += [
            Bench("checkpoints", f"floor.{op}{suffix}", dialect, f"{peer}.{op}", Target.none(),
                  _floor(op, durability),
                  note="bare-driver saver with our SQL: the best ratio this design allows",
                  cost=0.3 if op == "list(limit=10)" else 0.5)
            for op in ("put", "put_writes", *(("get_tuple", "list(limit=10)")
                                              if dialect == "sqlite" else ()))
        ]
        out += [
            Bench("checkpoints", f"saver.put{suffix}", dialect, f"{peer}.put", targets["put"],
                  _put(durability), note=f"~1.6 KB checkpoint, new step each call{ours}",
                  cost=0.5),
            Bench("checkpoints", f"saver.put_writes{suffix}", dialect, f"{peer}.put_writes",
                  targets["put_writes"], _put_writes(durability),
                  note=f"3 writes, a new task each call{ours}", cost=0.5),
            Bench("checkpoints", f"saver.get_tuple{suffix}", dialect, f"{peer}.get_tuple",
                  targets["get_tuple"], _latest(durability),
                  note="latest of a 1,000-checkpoint thread (~1.6 KB each), with its writes"),
            Bench("checkpoints", f"saver.list(limit=10){suffix}", dialect,
                  f"{peer}.list(limit=10)", targets["list(limit=10)"], _page(durability),
                  note="newest 10 of 1,000, with their writes", cost=0.3),
        ]
    peer = ("AsyncSqliteSaver (aiosqlite, WAL, synchronous=FULL: its default; ours FULL)"
            if dialect == "sqlite" else "AsyncPostgresSaver (one AsyncConnection, autocommit)")
    out += [
        Bench("checkpoints", "saver.aget_tuple", dialect, f"{peer}.aget_tuple",
              Target.none(), _aget_tuple(1), note="sequential awaits"),
        Bench("checkpoints", "saver.aput", dialect, f"{peer}.aput", Target.none(), _aput(1),
              note="sequential awaits", cost=0.5),
        Bench("checkpoints", f"saver.aget_tuple x{CONCURRENCY}", dialect,
              f"{peer}.aget_tuple x{CONCURRENCY}", Target.ratio(3.0), _aget_tuple(CONCURRENCY),
              note=f"one call = {CONCURRENCY} concurrent tasks (gather)", cost=0.1),
        Bench("checkpoints", f"saver.aput x{CONCURRENCY}", dialect,
              f"{peer}.aput x{CONCURRENCY}", Target.ratio(3.0), _aput(CONCURRENCY),
              note=f"one call = {CONCURRENCY} concurrent tasks, one thread each", cost=0.1),
    ]
    return out


def benches() -> list[Bench]:
    out: list[Bench] = []
    for dialect in ("sqlite", "postgres"):
        saver = "SqliteSaver" if dialect == "sqlite" else "PostgresSaver"
        out += [
            Bench("checkpoints", "put_full", dialect, f"{saver} put + put_writes",
                  Target.ratio(2.0) if dialect == "sqlite" else Target.none(), _put_full,
                  note="store.put_full: 5 channels, 3 writes, one transaction", cost=0.5),
            Bench("checkpoints", "saver.put+put_writes", dialect,
                  f"{saver} put + put_writes (WAL, synchronous=NORMAL on SQLite)",
                  Target.none(), _saver_put,
                  note="GenieCheckpointSaver, the two calls LangGraph's runtime makes",
                  cost=0.5),
            *_peer_rows(dialect),
        ]
    return out
