"""A put_full cut short by SIGKILL leaves its checkpoint and all of its writes, or none of them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import apsw
import psycopg

from genie_repo.config import Config
from genie_repo.db import open_database
from genie_repo.stores.checkpoints import CheckpointStore

WRITES_PER_CHECKPOINT = 3
CHUNK = 512 * 1024

WRITER = """
import sys
from genie_repo.config import Config
from genie_repo.db import open_database
from genie_repo.models.checkpoints import Payload, Write
from genie_repo.stores.checkpoints import CheckpointStore

dialect, target, chunk, per = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
config = Config(dsn=target) if dialect == "postgres" else Config(db_file=target)
store = CheckpointStore(open_database(config))
n = 0
while True:
    data = bytes([n % 251]) * chunk
    writes = [Write(channel=f"ch{i}", value=Payload(type="bytes", data=data), task_id="t")
              for i in range(per)]
    store.put_full("crash", f"c{n:06}", Payload(type="bytes", data=data * 2), writes=writes)
    print(n, flush=True)
    n += 1
"""


def _count_rows(config: Config, table: str) -> int:
    sql = f"SELECT count(*) FROM {table} WHERE lineage_id = 'crash'"
    if config.dsn:
        with psycopg.connect(config.dsn) as conn:
            row = conn.execute(sql).fetchone()
            assert row is not None
            return int(row[0])
    conn = apsw.Connection(str(config.sqlite_path))
    try:
        return int(conn.execute(sql).fetchone()[0])  # type: ignore[index]
    finally:
        conn.close()


def test_killed_put_full_is_all_or_nothing(config: Config) -> None:
    target = config.dsn or str(config.sqlite_path)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, config.dialect, target, str(CHUNK),
         str(WRITES_PER_CHECKPOINT)],
        stdout=subprocess.PIPE, text=True, cwd=root,
        env={**os.environ, "PYTHONPATH": root},
    )
    assert child.stdout is not None
    for _ in range(4):  # four committed, the fifth is under way: kill it mid-write
        assert child.stdout.readline().strip().isdigit()
    os.kill(child.pid, signal.SIGKILL)
    child.wait()

    db = open_database(config)
    try:
        listed = CheckpointStore(db).list("crash")
        assert len(listed) >= 4
        for stored in listed:
            n = int(stored.ref.checkpoint_id[1:])
            data = bytes([n % 251]) * CHUNK
            assert stored.checkpoint.data == data * 2
            assert [w.channel for w in stored.pending_writes] == ["ch0", "ch1", "ch2"]
            assert all(w.value.data == data for w in stored.pending_writes)
    finally:
        db.close()
    # No write outlived a checkpoint that was rolled back.
    assert _count_rows(config, "checkpoint_writes") == WRITES_PER_CHECKPOINT * len(listed)
    assert _count_rows(config, "checkpoints") == len(listed)
