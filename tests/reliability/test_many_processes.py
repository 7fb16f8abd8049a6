"""Several processes writing one database at once: no errors, no lost rows.

On SQLite every writer queues on `BEGIN IMMEDIATE` within the busy timeout, so "database is
locked" never reaches a caller; on PostgreSQL the same workload runs through each process's pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import apsw
import pytest

from genie_repo import ApprovalStore, Config, TransientError, open_database
from tests.reliability.processes import finish_child, start_child, wait_until
from tests.reliability.workloads import CRON_TASKS, MIXED_KINDS, check_mixed, prepare_mixed

WORKERS = 4
STEPS = 500


@pytest.mark.slow
def test_four_processes_times_500_mixed_writes(
    dialect: str, fresh_config: Callable[[str], Config], tmp_path: Path
) -> None:
    config = fresh_config(dialect)
    db = open_database(config)
    prepare_mixed(db)
    db.close()
    target = {"db_file": str(config.sqlite_path)} if dialect == "sqlite" else {"dsn": config.dsn}
    ready, go = tmp_path / "ready", tmp_path / "go"
    ready.mkdir()
    children = [
        start_child("mixed-writer", {**target, "worker": w, "steps": STEPS,
                                     "ready_dir": str(ready), "go_file": str(go)})
        for w in range(WORKERS)
    ]
    # Release them together, so their writes really interleave.
    wait_until(lambda: len(list(ready.iterdir())) == WORKERS or any(
        c.poll() is not None for c in children), seconds=60, what="every writer ready")
    go.touch()
    reports = [finish_child(child) for child in children]
    assert [r["errors"] for r in reports] == [[]] * WORKERS
    assert [r["done"] for r in reports] == [STEPS] * WORKERS
    tokens = [t for r in reports for t in r["tokens"]]
    races = [i for i in range(STEPS) if i % MIXED_KINDS == 8]
    # set_if_absent: every raced key won by exactly one process.
    assert sorted(t for t in tokens if t.startswith("won:")) == sorted(
        f"won:key-{i}" for i in races)
    # claim_due: every task's due run claimed by exactly one process.
    assert sorted(t for t in tokens if t.startswith("claimed:")) == sorted(
        f"claimed:task-{n}" for n in range(CRON_TASKS))
    db = open_database(config)
    try:
        assert check_mixed(db, WORKERS, STEPS) == []
    finally:
        db.close()


def test_sqlite_writer_blocked_past_its_busy_timeout_gets_transient_error(
    make_config: Callable[[str], Config],
) -> None:
    """Within the busy timeout a writer waits its turn (the test above); past it, the caller
    gets TransientError (retryable), not a hang and not a raw "database is locked"."""
    config = make_config("sqlite")
    blocker = apsw.Connection(str(config.sqlite_path))
    blocker.execute("BEGIN IMMEDIATE")  # another process's open write transaction
    db = open_database(Config(db_file=config.sqlite_path, busy_timeout_ms=200))
    store = ApprovalStore(db)
    outcome: list[BaseException] = []

    def write() -> None:
        try:
            store.create(id="a", thread_id="t", run_id="r", tool_name="tool")
        except BaseException as exc:
            outcome.append(exc)

    try:
        writer = threading.Thread(target=write)
        writer.start()
        writer.join(timeout=30)
        assert not writer.is_alive(), "a writer blocked past its busy timeout hung"
        assert len(outcome) == 1 and type(outcome[0]) is TransientError, outcome
        blocker.execute("ROLLBACK")
        assert store.create(id="a", thread_id="t", run_id="r", tool_name="tool").id == "a"
    finally:
        db.close()
        blocker.close()
