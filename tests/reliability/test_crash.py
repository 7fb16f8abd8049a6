"""SIGKILL a writer at random moments: acknowledged writes survive, nothing is ever torn."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path

import apsw
import pytest

from genie_repo import Config, open_database
from tests.reliability.processes import read_acks, start_child, wait_for_acks
from tests.reliability.workloads import crash_unit_present, crash_units_visible

KILLS = {"sqlite": 20, "postgres": 8}


def integrity_ok(path: Path) -> bool:
    conn = apsw.Connection(str(path))
    try:
        return conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()


@pytest.mark.slow
def test_sigkill_never_loses_an_acknowledged_write_nor_tears_one(
    dialect: str, fresh_config: Callable[[str], Config], tmp_path: Path
) -> None:
    """A unit that committed but whose acknowledgement the kill beat is allowed (at most one
    a kill): the guarantee is that nothing acknowledged is lost and nothing is torn."""
    config = fresh_config(dialect)
    target = {"db_file": str(config.sqlite_path)} if dialect == "sqlite" else {"dsn": config.dsn}
    acks = tmp_path / "acks"
    rng = random.Random(8)
    committed_unacked: set[str] = set()
    for round_ in range(KILLS[dialect]):
        prefix = f"r{round_}"
        child = start_child("crash-writer", {**target, "ack_file": str(acks), "prefix": prefix})
        wait_for_acks(child, acks, prefix, rng.randint(1, 12))
        time.sleep(rng.uniform(0, 0.01))  # a random moment, most likely inside a write
        child.kill()
        child.communicate()

        if dialect == "sqlite":
            assert integrity_ok(config.sqlite_path), f"integrity_check failed after kill {round_}"
        complete, torn = crash_units_visible(config)
        acknowledged = read_acks(acks)
        assert torn == set(), f"torn units after kill {round_}"
        lost = set(acknowledged) - complete
        assert lost == set(), f"acknowledged writes lost after kill {round_}: {sorted(lost)}"
        unacknowledged = complete - set(acknowledged) - committed_unacked
        assert len(unacknowledged) <= 1, "more than the one in-flight unit committed unseen"
        committed_unacked |= unacknowledged
        db = open_database(config)  # the next open works, and reads what was acknowledged
        try:
            assert crash_unit_present(db, acknowledged[-1])
        finally:
            db.close()
