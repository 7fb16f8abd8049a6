"""Checkpoint storage: bytes per step as a thread grows, and what prune gives back.

Both savers get the same steps (the `bench.workloads` checkpoint, ~4.4 KB serialized, with three
writes). Bytes are what the tables and their indexes occupy: on SQLite the pages in use
(`dbstat`, so pages freed by a delete do not count); on PostgreSQL `pg_total_relation_size`
(heap, TOAST and indexes; a delete frees space for reuse only after VACUUM, which autovacuum
does in production and this study does explicitly). Linear means bytes per step stays within
25% between successive sizes (marginal bytes: what one more step costs); bounded means that in
cycles of "write 100 steps, prune to the newest 10", the peak size stops growing (the fourth
cycle's peak is within 10% of the first's). A cycle row shows "peak -> after the prune".
"""

from __future__ import annotations

from typing import Any

from bench import workloads
from bench.core import Study, StudyResult
from bench.env import Env
from bench.raw import Raw
from bench.savers import LANGGRAPH_SCHEMA, genie_saver, langgraph_saver

OUR_TABLES = ("checkpoints", "checkpoint_writes")
LANGGRAPH_TABLES = {"sqlite": ("checkpoints", "writes"),
                    "postgres": ("checkpoints", "checkpoint_blobs", "checkpoint_writes")}
KEEP = 10


def sqlite_bytes(conn: Any, tables: tuple[str, ...]) -> int:
    marks = ", ".join("?" for _ in tables)
    row = conn.execute(
        "SELECT coalesce(sum(d.pgsize), 0) FROM dbstat d JOIN sqlite_schema s ON s.name = d.name"
        f" WHERE s.tbl_name IN ({marks})", tables).fetchone()
    return int(row[0])


def postgres_bytes(raw: Raw, schema: str, tables: tuple[str, ...]) -> int:
    total = 0
    for table in tables:
        row = raw.pg.execute("SELECT pg_total_relation_size(%s::regclass)",
                             (f"{schema}.{table}",)).fetchone()
        total += int(row[0]) if row else 0
    return total


class Writer:
    """Successive steps of one thread through a saver, counting them."""

    def __init__(self, saver: Any, thread_id: str) -> None:
        self.saver = saver
        self.thread_id = thread_id
        self.step = 0
        self.parent: str | None = None

    def advance(self, steps: int) -> None:
        for _ in range(steps):
            cp = workloads.checkpoint(self.step)
            cfg = self.saver.put(workloads.config(self.thread_id, self.parent), cp,
                                 workloads.metadata(self.step), workloads.new_versions(cp))
            self.saver.put_writes(cfg, workloads.writes(self.step), f"task-{self.step}")
            self.parent = cp["id"]
            self.step += 1


def _run(env: Env) -> StudyResult:
    raw = Raw.of(env)
    ours, theirs = genie_saver(env), langgraph_saver(env)

    def measure_ours() -> int:
        if env.dialect == "sqlite":
            return sqlite_bytes(raw.sqlite, OUR_TABLES)
        return postgres_bytes(raw, "public", OUR_TABLES)

    def measure_theirs() -> int:
        if env.dialect == "sqlite":
            return sqlite_bytes(getattr(theirs, "conn"), LANGGRAPH_TABLES["sqlite"])  # noqa: B009
        return postgres_bytes(raw, LANGGRAPH_SCHEMA, LANGGRAPH_TABLES["postgres"])

    def vacuum() -> None:
        if env.dialect == "postgres":
            for table in OUR_TABLES:
                raw.pg.execute(f"VACUUM {table}")

    base_ours, base_theirs = measure_ours(), measure_theirs()
    our_writer = Writer(ours, env.unique("thread"))
    their_writer = Writer(theirs, env.unique("thread"))
    levels = [25, 50, 100, 200] if env.quick else [100, 200, 400, 800]
    rows: list[list[str]] = []
    growth: list[dict[str, int]] = []
    for level in levels:
        our_writer.advance(level - our_writer.step)
        their_writer.advance(level - their_writer.step)
        mine, theirs_now = measure_ours() - base_ours, measure_theirs() - base_theirs
        growth.append({"steps": level, "ours": mine, "langgraph": theirs_now})
    previous = {"steps": 0, "ours": 0, "langgraph": 0}
    marginal: list[float] = []
    for g in growth:
        steps = g["steps"] - previous["steps"]
        ours_step = (g["ours"] - previous["ours"]) / steps
        theirs_step = (g["langgraph"] - previous["langgraph"]) / steps
        if previous["steps"]:
            marginal.append(ours_step)
        rows.append([str(g["steps"]), f"{g['ours']:,}", f"{ours_step:,.0f}",
                     f"{g['langgraph']:,}", f"{theirs_step:,.0f}"])
        previous = g
    linear = max(marginal) <= 1.25 * min(marginal)

    store = ours.store
    store.prune(our_writer.thread_id, keep_last=KEEP)
    vacuum()
    after_prune = measure_ours() - base_ours
    rows.append([f"prune(keep_last={KEEP})", f"{after_prune:,}", "", "", ""])
    cycle = levels[0]
    peaks: list[int] = []
    for number in range(1, 5):
        our_writer.advance(cycle)
        peaks.append(measure_ours() - base_ours)
        store.prune(our_writer.thread_id, keep_last=KEEP)
        vacuum()
        rows.append([f"cycle {number}: +{cycle} steps, prune",
                     f"{peaks[-1]:,} -> {measure_ours() - base_ours:,}", "", "", ""])
    bounded = peaks[-1] <= 1.1 * peaks[0]
    summary = (f"ours: marginal {', '.join(f'{p:,.0f}' for p in marginal)} bytes/step "
               f"({'linear' if linear else 'NOT linear'}: within 25%); peaks over 4 cycles of "
               f"{cycle} steps + prune(keep_last={KEEP}): "
               f"{', '.join(f'{p:,}' for p in peaks)} bytes "
               f"({'bounded' if bounded else 'NOT bounded'}: last peak within 10% of the first)")
    return StudyResult(
        "checkpoint storage per step (table + index bytes), ours vs LangGraph",
        ["steps", "ours bytes", "ours bytes/step (marginal)", "LangGraph bytes",
         "LangGraph bytes/step (marginal)"],
        rows,
        {"growth": growth, "marginal_bytes_per_step": marginal, "after_prune": after_prune,
         "cycle_peaks": peaks, "linear": linear, "bounded": bounded},
        linear and bounded, summary,
    )


def studies() -> list[Study]:
    return [Study("checkpoints", "storage", dialect, _run) for dialect in ("sqlite", "postgres")]
