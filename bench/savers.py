"""LangGraph's own savers as baselines, next to ours, on the run's database.

SqliteSaver and PostgresSaver create tables named like ours (`checkpoints`, ...), so they cannot
share our schema: on PostgreSQL LangGraph's saver gets its own schema (`langgraph`) in the run's
database; on SQLite its own file in the same directory (same disk, same page cache), with the
library's durability (WAL, synchronous=NORMAL) so the comparison is like for like.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from psycopg.rows import dict_row

from bench import workloads
from bench.env import Env

LANGGRAPH_SCHEMA = "langgraph"


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


def genie_saver(env: Env) -> Any:
    from genie_repo.integrations.langgraph import GenieCheckpointSaver

    return env.shared("genie_saver", lambda: GenieCheckpointSaver(env.db))


def fill_thread(saver: BaseCheckpointSaver[Any], thread_id: str, steps: int) -> str:
    """`steps` successive checkpoints, each with its three writes; returns the last id."""
    parent: str | None = None
    for step in range(steps):
        cp = workloads.checkpoint(step)
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
