"""Migration 0010_checkpoints_hot on both dialects: it drops the indexes the primary key now
serves, and rolling it back (and forward again) keeps every checkpoint and write readable."""

from __future__ import annotations

from typing import Any

import apsw
import psycopg

from genie_repo import Config, migrate, open_database, rollback_migrations
from genie_repo.models.checkpoints import Payload, Write
from genie_repo.stores.checkpoints import CheckpointStore

MIGRATION = "0010_checkpoints_hot"
OLD_INDEXES = {"idx_checkpoints_ns_ts", "idx_checkpoints_lineage_ts"}


def indexes(config: Config) -> set[str]:
    """Index names on the checkpoints table, read with the bare driver (test-only SQL)."""
    if config.dsn is None:
        conn = apsw.Connection(str(config.sqlite_path))
        try:
            rows: list[Any] = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'checkpoints'"
                " AND name NOT LIKE 'sqlite_autoindex%'"
            ).fetchall()
        finally:
            conn.close()
        return {row[0] for row in rows}
    with psycopg.connect(config.dsn) as conn:
        rows = conn.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'checkpoints'"
            " AND schemaname = current_schema() AND indexname <> 'checkpoints_pkey'"
        ).fetchall()
    return {row[0] for row in rows}


def fill(store: CheckpointStore) -> None:
    for n in range(5):
        store.put_full(
            "L", f"c{n}", Payload("json", f"{n}".encode()),
            writes=[Write("ch", Payload("json", f"w{n}".encode()), task_id="t")],
            parent_id=f"c{n - 1}" if n else None, metadata={"step": n, "run_id": "r"},
        )
    store.put("L", "c9", Payload("json", b"sub"), ns="child:1")


def snapshot(store: CheckpointStore) -> list[tuple[str, str, bytes, list[bytes]]]:
    return [
        (t.ref.checkpoint_ns, t.ref.checkpoint_id, t.checkpoint.data,
         [w.value.data for w in t.pending_writes])
        for t in store.list("L")
    ]


def test_rollback_and_reapply_keep_the_data(config: Config) -> None:
    assert not indexes(config) & OLD_INDEXES
    db = open_database(config)
    try:
        fill(CheckpointStore(db))
        before = snapshot(CheckpointStore(db))
    finally:
        db.close()
    rolled: list[str] = []
    while MIGRATION not in rolled:  # newer migrations (if any) first, then this one
        step = rollback_migrations(config, 1)
        assert step, f"{MIGRATION} was never applied"
        rolled += step
    assert indexes(config) >= OLD_INDEXES
    db = open_database(config)
    try:
        assert snapshot(CheckpointStore(db)) == before  # the old schema reads the same rows
    finally:
        db.close()
    assert MIGRATION in migrate(config)
    assert not indexes(config) & OLD_INDEXES
    db = open_database(config)
    try:
        store = CheckpointStore(db)
        assert snapshot(store) == before
        latest = store.get_tuple("L")
        assert latest is not None and latest.ref.checkpoint_id == "c4"
        assert [t.ref.checkpoint_id for t in store.list("L", ns="")] == [
            "c4", "c3", "c2", "c1", "c0"
        ]
        assert store.delete_for_runs(["r"]) == 5
    finally:
        db.close()
