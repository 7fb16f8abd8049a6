"""LangGraph's own savers as baselines, next to ours, on the run's database.

SqliteSaver and PostgresSaver create tables named like ours (`checkpoints`, ...), so they cannot
share our schema: on PostgreSQL LangGraph's saver gets its own schema (`langgraph`) in the run's
database; on SQLite its own file in the same directory (same disk, same page cache). Each SQLite
pair runs at one durability on both sides: WAL with synchronous=FULL (what SqliteSaver and
AsyncSqliteSaver get by default: `setup()` turns WAL on, sqlite3 leaves synchronous at FULL) or
synchronous=NORMAL (genie_repo's default). PostgresSaver/AsyncPostgresSaver get what their
`from_conn_string` gives them: autocommit, prepare_threshold=0, dict rows.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import aiosqlite
import psycopg
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from psycopg.rows import dict_row

from bench import workloads
from bench.env import Env
from genie_repo import Config, open_database

LANGGRAPH_SCHEMA = "langgraph"
SMALL_HISTORY = 1  # messages per checkpoint in the peer rows: ~1.6 KB serialized


def langgraph_saver(env: Env) -> BaseCheckpointSaver[Any]:
    """The run's LangGraph saver for this dialect (one per run)."""

    def make() -> BaseCheckpointSaver[Any]:
        saver: BaseCheckpointSaver[Any]
        if env.dialect == "sqlite":
            conn = sqlite3.connect(env.workdir / "langgraph.db", check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            env.on_close(conn.close)
            saver = SqliteSaver(conn)
            saver.setup()
        else:
            pg = env.raw_postgres(schema=LANGGRAPH_SCHEMA, prepare_threshold=0,
                                  row_factory=dict_row)
            saver = PostgresSaver(pg)
            saver.setup()
        return saver

    saver: BaseCheckpointSaver[Any] = env.shared("langgraph_saver", make)
    return saver


def genie_saver(env: Env, durability: str = "normal") -> Any:
    """Our saver on the run's database; on SQLite at the given durability (`full` opens a
    second `Database` on the same file with synchronous=FULL)."""
    from genie_repo.integrations.langgraph import GenieCheckpointSaver

    def make() -> Any:
        if env.dialect != "sqlite" or durability == env.config.durability:
            return GenieCheckpointSaver(env.db)
        db = open_database(Config(db_file=env.config.sqlite_path, durability=durability))  # type: ignore[arg-type]
        env.on_close(db.close)
        return GenieCheckpointSaver(db)

    return env.shared(f"genie_saver_{durability}", make)


def sqlite_saver(env: Env, durability: str) -> SqliteSaver:
    """SqliteSaver on its own file, WAL, synchronous FULL (its default) or NORMAL."""

    def make() -> SqliteSaver:
        conn = sqlite3.connect(env.workdir / "langgraph.db", check_same_thread=False)
        conn.execute(f"PRAGMA synchronous={'FULL' if durability == 'full' else 'NORMAL'}")
        env.on_close(conn.close)
        saver = SqliteSaver(conn)
        saver.setup()
        return saver

    saver: SqliteSaver = env.shared(f"sqlite_saver_{durability}", make)
    return saver


def async_peer_saver(env: Env) -> Any:
    """AsyncSqliteSaver (aiosqlite, WAL, synchronous=FULL: its default) or AsyncPostgresSaver
    (one AsyncConnection as `from_conn_string` makes it), set up on the run's loop."""

    async def make_sqlite() -> Any:
        conn = await aiosqlite.connect(env.workdir / "langgraph.db")
        env.on_close(lambda: env.loop.run_until_complete(conn.close()))
        saver = AsyncSqliteSaver(conn)
        await saver.setup()
        return saver

    async def make_postgres() -> Any:
        conn = await psycopg.AsyncConnection.connect(
            env.config.dsn or "", autocommit=True, prepare_threshold=0, row_factory=dict_row,
            options=f"-c TimeZone=UTC -c search_path={LANGGRAPH_SCHEMA}",
        )
        env.on_close(lambda: env.loop.run_until_complete(conn.close()))
        saver = AsyncPostgresSaver(conn)  # type: ignore[arg-type]
        await saver.setup()
        return saver

    def make() -> Any:
        if env.dialect == "postgres":
            langgraph_saver(env)  # creates the schema
        maker = make_sqlite if env.dialect == "sqlite" else make_postgres
        return env.loop.run_until_complete(maker())

    return env.shared("async_peer_saver", make)


def fill_thread(
    saver: BaseCheckpointSaver[Any], thread_id: str, steps: int, history: int = 4
) -> str:
    """`steps` successive checkpoints, each with its three writes; returns the last id."""
    parent: str | None = None
    for step in range(steps):
        cp = workloads.checkpoint(step, history)
        cfg = saver.put(workloads.config(thread_id, parent), cp, workloads.metadata(step),
                        workloads.new_versions(cp))
        saver.put_writes(cfg, workloads.writes(step), f"task-{step}")
        parent = cp["id"]
    assert parent is not None
    return parent


class SaverSteps:
    """put + put_writes of successive steps through a saver (the runtime's two calls)."""

    def __init__(self, saver: BaseCheckpointSaver[Any], thread_id: str, count: int) -> None:
        self.saver = saver
        self.thread_id = thread_id
        self.parent: str | None = None
        self.steps = iter([(workloads.checkpoint(i), workloads.metadata(i), workloads.writes(i))
                           for i in range(count)])

    def __call__(self) -> None:
        cp, md, writes = next(self.steps)
        cfg = self.saver.put(workloads.config(self.thread_id, self.parent), cp, md,
                             workloads.new_versions(cp))
        self.saver.put_writes(cfg, writes, "task-1")
        self.parent = cp["id"]


async def afill_thread(saver: Any, thread_id: str, steps: int, history: int = SMALL_HISTORY) -> str:
    """`fill_thread` through the async API."""
    parent: str | None = None
    for step in range(steps):
        cp = workloads.checkpoint(step, history)
        cfg = await saver.aput(workloads.config(thread_id, parent), cp, workloads.metadata(step),
                               workloads.new_versions(cp))
        await saver.aput_writes(cfg, workloads.writes(step), f"task-{step}")
        parent = cp["id"]
    assert parent is not None
    return parent


class PutSteps:
    """`put` of successive checkpoints of one thread (each the parent of the next)."""

    def __init__(self, saver: Any, thread_id: str, count: int,
                 history: int = SMALL_HISTORY) -> None:
        self.saver = saver
        self.thread_id = thread_id
        self.parent: str | None = None
        self.steps = iter([(workloads.checkpoint(i, history), workloads.metadata(i))
                           for i in range(count)])

    def __call__(self) -> None:
        cp, md = next(self.steps)
        self.saver.put(workloads.config(self.thread_id, self.parent), cp, md,
                       workloads.new_versions(cp))
        self.parent = cp["id"]

    async def aput(self) -> None:
        cp, md = next(self.steps)
        await self.saver.aput(workloads.config(self.thread_id, self.parent), cp, md,
                              workloads.new_versions(cp))
        self.parent = cp["id"]


class WriteSteps:
    """`put_writes` of three writes for one checkpoint, a new task each call."""

    def __init__(self, saver: Any, thread_id: str) -> None:
        self.saver = saver
        cp = workloads.checkpoint(0, SMALL_HISTORY)
        self.config = saver.put(workloads.config(thread_id), cp, workloads.metadata(0),
                                workloads.new_versions(cp))
        self.writes = workloads.writes(0)
        self.task = 0

    def __call__(self) -> None:
        self.task += 1
        self.saver.put_writes(self.config, self.writes, f"task-{self.task}")
