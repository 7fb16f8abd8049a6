"""set_if_absent under contention: 8 threads and 2 processes race on the same keys, on both
dialects; for every key exactly one caller wins."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from genie_repo.config import Config
from genie_repo.db import Database, open_database
from genie_repo.stores.short_memory import ShortMemoryStore

ROUNDS = 15
THREADS = 8
PROCESSES = 2


def _race(config: Config, name: str, barrier: Any, results: Any) -> None:
    """One contender: for each round, wait for everyone, then try to claim the round's key."""
    db = open_database(config)
    try:
        store = ShortMemoryStore(db)
        for round_no in range(ROUNDS):
            barrier.wait(timeout=120)
            won = store.set_if_absent("seen_messages", f"msg-{round_no}", name, timedelta(hours=1))
            results.put((round_no, name, won))
    finally:
        db.close()


@pytest.mark.slow
def test_exactly_one_of_threads_and_processes_wins(db: Database, config: Config) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(THREADS + PROCESSES)
    results = ctx.Queue()
    processes = [
        ctx.Process(target=_race, args=(config, f"process-{i}", barrier, results))
        for i in range(PROCESSES)
    ]
    threads = [
        threading.Thread(target=_race, args=(config, f"thread-{i}", barrier, results))
        for i in range(THREADS)
    ]
    for process in processes:
        process.start()
    for thread in threads:
        thread.start()
    outcomes = [results.get(timeout=180) for _ in range(ROUNDS * (THREADS + PROCESSES))]
    for thread in threads:
        thread.join(timeout=60)
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0

    wins = Counter(round_no for round_no, _, won in outcomes if won)
    assert wins == {round_no: 1 for round_no in range(ROUNDS)}
    store = ShortMemoryStore(db)
    winners = {round_no: name for round_no, name, won in outcomes if won}
    for round_no, name in winners.items():
        assert store.get("seen_messages", f"msg-{round_no}") == name
