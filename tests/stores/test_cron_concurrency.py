"""claim_due hands every scheduled run to exactly one claimer: several processes on one SQLite
file (BEGIN IMMEDIATE) or several PostgreSQL connections (FOR UPDATE SKIP LOCKED), and threads
sharing one Database. Claim times are passed explicitly: nothing sleeps or reads a real clock."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from genie_repo import Config, TransientError, open_database
from genie_repo.db import Database
from genie_repo.stores.cron import CronStore

BASE = datetime(2026, 1, 5, 10, 0, 30, tzinfo=UTC)
TASKS = 20
MINUTES = 8


def _claim_minutes(store: CronStore, worker_id: str, barrier: Any) -> int:
    """Walk the simulated minutes; at each, all workers race to claim in small batches until
    none is left that they can take, then meet at the barrier before the clock moves on (a
    worker running ahead would otherwise take a late slot as a catch-up run, which is correct
    but makes the expected count depend on timing)."""
    claimed = 0
    for minute in range(1, MINUTES + 1):
        barrier.wait()
        now = BASE + timedelta(minutes=minute)
        while batch := store.claim_due(now, limit=3, worker_id=worker_id):
            claimed += len(batch)
    barrier.wait()
    return claimed


def _process_worker(db_file: str | None, dsn: str | None, worker_id: str,
                    barrier: Any, results: Any) -> None:
    db = open_database(Config(db_file=db_file, dsn=dsn))
    try:
        results.put((worker_id, _claim_minutes(CronStore(db), worker_id, barrier)))
    except Exception as exc:  # reported to the parent, which fails the test
        results.put((worker_id, repr(exc)))
    finally:
        db.close()


def _define_tasks(db: Database) -> CronStore:
    store = CronStore(db, clock=lambda: BASE)
    for i in range(TASKS):
        store.upsert_from_config(f"task-{i:02d}", "* * * * *", f"run {i}")
    return store


def _assert_each_run_claimed_once(store: CronStore, claimed_per_worker: Iterable[int]) -> None:
    runs = store.list_history(limit=10_000)
    per_slot = Counter((run.task_id, run.scheduled_for) for run in runs)
    slots = {BASE.replace(second=0) + timedelta(minutes=m) for m in range(1, MINUTES + 1)}
    assert len(runs) == TASKS * MINUTES
    assert set(per_slot.values()) == {1}
    assert {slot for _, slot in per_slot} == slots
    assert sum(claimed_per_worker) == TASKS * MINUTES
    final = BASE.replace(second=0) + timedelta(minutes=MINUTES + 1)
    assert {task.next_run_at for task in store.list_tasks()} == {final}


def test_four_processes_claim_each_run_exactly_once(config: Config, db: Database) -> None:
    store = _define_tasks(db)
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(4, timeout=60), ctx.Queue()
    db_file = None if config.dsn else str(config.sqlite_path)
    workers = [
        ctx.Process(target=_process_worker, args=(db_file, config.dsn, f"p{i}", barrier, results))
        for i in range(4)
    ]
    for worker in workers:
        worker.start()
    outcomes = dict(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=30)
    assert all(isinstance(n, int) for n in outcomes.values()), outcomes
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    _assert_each_run_claimed_once(store, outcomes.values())


def test_eight_threads_claim_each_run_exactly_once(db: Database) -> None:
    store = _define_tasks(db)
    barrier = threading.Barrier(8, timeout=60)
    outcomes: dict[str, int | BaseException] = {}

    def work(worker_id: str) -> None:
        try:
            outcomes[worker_id] = _claim_minutes(CronStore(db), worker_id, barrier)
        except BaseException as exc:
            outcomes[worker_id] = exc

    threads = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    counts = [n for n in outcomes.values() if isinstance(n, int)]
    assert len(counts) == 8, outcomes
    _assert_each_run_claimed_once(store, counts)


class _FailingHistoryInsert:
    """The real database, except that advancing the claimed tasks fails mid-transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)

    def execute(self, name: str, params: Any = None) -> int:
        if name == "cron.mark_claimed":  # the last write: history rows are already inserted
            raise TransientError("injected failure")
        return self._db.execute(name, params)


def test_a_failed_claim_leaves_the_schedule_untouched(db: Database) -> None:
    store = _define_tasks(db)
    before = store.list_tasks()
    failing = CronStore(_FailingHistoryInsert(db))
    with pytest.raises(TransientError):
        failing.claim_due(BASE + timedelta(minutes=1), limit=TASKS)
    assert store.list_tasks() == before
    assert store.list_history() == []
    assert len(store.claim_due(BASE + timedelta(minutes=1), limit=TASKS)) == TASKS
