"""PostgreSQL restarts and killed backends under load; an exhausted pool fails fast.

The server is a private instance started by the test (see conftest), never the shared one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import psycopg
import pytest

from genie_repo import (
    ApprovalStore,
    Config,
    GenieRepoError,
    PoolOptions,
    TransientError,
    open_database,
)
from tests.reliability.load import Load, LoadReport
from tests.reliability.pgserver import PrivatePostgres
from tests.reliability.processes import wait_until


def advance(report: LoadReport, writes: int, what: str) -> None:
    """Wait (bounded) until the load acknowledged `writes` more writes."""
    start = report.count()
    wait_until(lambda: report.count() >= start + writes or bool(report.unexpected),
               seconds=90, what=f"{writes} writes {what}")
    assert report.unexpected == [], report.unexpected


def stored_ids(dsn: str) -> dict[str, set[str]]:
    """What the server holds, read with the driver."""
    queries = {
        "approval": "SELECT id FROM approvals WHERE thread_id = 'load'",
        "event": "SELECT event_id FROM session_events WHERE app_name = 'load'",
        "checkpoint": "SELECT c.checkpoint_id FROM checkpoints c JOIN checkpoint_writes w "
                      "USING (lineage_id, checkpoint_ns, checkpoint_id) WHERE lineage_id = 'load'",
    }
    with psycopg.connect(dsn) as conn:
        return {kind: {r[0] for r in conn.execute(sql)}
                for kind, sql in queries.items()}


@pytest.mark.slow
def test_restart_and_killed_backends_are_ridden_through(
    private_pg: PrivatePostgres, private_config: Callable[[], Config]
) -> None:
    dsn = str(private_config().dsn)
    dbname = psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]
    config = Config(dsn=dsn, pool=PoolOptions(min_size=2, max_size=4, timeout=10))
    db = open_database(config)
    try:
        with Load(db) as report:
            advance(report, 30, "before the restart")
            private_pg.restart()
            advance(report, 30, "after the restart")
            felt_restart = len(report.transient)
            assert private_pg.terminate_backends(str(dbname)) > 0
            advance(report, 30, "after pg_terminate_backend")
        assert report.unexpected == []
        # The disruptions reached callers, always as TransientError, never a driver error.
        assert felt_restart > 0 and len(report.transient) > felt_restart
        assert all(type(e) is TransientError and e.dialect == "postgres"
                   for e in report.transient)
        stored = stored_ids(dsn)
        assert report.acknowledged.keys() == stored.keys()
        for kind, ids in report.acknowledged.items():
            assert set(ids) <= stored[kind], f"acknowledged {kind}s lost"
        # The same Database object, the same pool: still serving.
        assert ApprovalStore(db).get(report.acknowledged["approval"][-1]).thread_id == "load"
    finally:
        db.close()


def test_exhausted_pool_fails_fast_with_a_clear_transient_error(
    private_config: Callable[[], Config],
) -> None:
    config = Config(dsn=private_config().dsn,
                    pool=PoolOptions(min_size=1, max_size=1, timeout=0.3))
    db = open_database(config)
    store = ApprovalStore(db)
    holding, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def hold_the_only_connection() -> None:
        with db.transaction():
            store.create(id="held", thread_id="t", run_id="r", tool_name="tool")
            holding.set()
            release.wait(30)

    def call() -> None:
        try:
            outcome["result"] = store.list_by_thread("t")
        except GenieRepoError as exc:
            outcome["error"] = exc

    holder = threading.Thread(target=hold_the_only_connection)
    holder.start()
    try:
        assert holding.wait(30)
        caller = threading.Thread(target=call)
        caller.start()
        caller.join(timeout=30)
        assert not caller.is_alive(), "a call on an exhausted pool hung"
        error = outcome.get("error")
        assert isinstance(error, TransientError), outcome
        assert "no database connection free in time" in str(error)
    finally:
        release.set()
        holder.join(timeout=30)
        assert [a.id for a in store.list_by_thread("t")] == ["held"]  # the pool recovered
        db.close()
