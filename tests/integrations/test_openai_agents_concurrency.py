"""GenieSession under concurrency, on both dialects: 4 processes add to one session while 8
tasks pop from it; nothing is lost, nothing is popped twice, batches and order are kept."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

from genie_repo.config import Config
from genie_repo.db import Database, open_database
from genie_repo.integrations.openai_agents import GenieSession

WRITERS, BATCHES, BATCH = 4, 10, 3
POPPERS = 8
POPS_WHILE_WRITING = 5  # per task: a third of the items, so a history is left to check
ROOT = Path(__file__).resolve().parents[2]

_WRITER = textwrap.dedent("""
    import asyncio, sys
    from genie_repo.config import Config
    from genie_repo.db import open_database
    from genie_repo.integrations.openai_agents import GenieSession

    dialect, target = sys.argv[1], sys.argv[2]
    writer, batches, size = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    config = Config(dsn=target) if dialect == "postgres" else Config(db_file=target)
    db = open_database(config)

    async def main():
        session = GenieSession("busy", db)
        print("ready", flush=True)
        sys.stdin.readline()  # start together
        for b in range(batches):
            await session.add_items([{"role": "user", "content": f"w{writer}-b{b}-i{i}"}
                                     for i in range(size)])
        await session.aclose()

    asyncio.run(main())
    db.close()
""")


def _target(config: Config) -> list[str]:
    return ["postgres", config.dsn] if config.dsn else ["sqlite", str(config.db_file)]


def _parse(item: Any) -> tuple[int, int, int]:
    w, b, i = item["content"].split("-")
    return int(w[1:]), int(b[1:]), int(i[1:])


def _check_history(items: list[Any]) -> None:
    """Each writer's items in its order, and each batch's remaining items adjacent."""
    keys = [_parse(item) for item in items]
    for w in range(WRITERS):
        mine = [(b, i) for (ww, b, i) in keys if ww == w]
        assert mine == sorted(mine)
    for position, (w, b, i) in enumerate(keys):
        if i > 0:  # a batch is appended whole: its previous item sits right before it
            assert keys[position - 1] == (w, b, i - 1)


def test_processes_add_while_tasks_pop(config: Config) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, *_target(config), str(w), str(BATCHES), str(BATCH)],
            cwd=ROOT, env={"PYTHONPATH": str(ROOT)}, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True,
        )
        for w in range(WRITERS)
    ]
    databases: list[Database] = []
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        databases = [open_database(config) for _ in range(POPPERS)]
        during, after, history = asyncio.run(_pop_while_writing(procs, databases))
        assert [proc.wait(timeout=120) for proc in procs] == [0] * WRITERS
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        for db in databases:
            db.close()

    added = Counter(f"w{w}-b{b}-i{i}" for w in range(WRITERS) for b in range(BATCHES)
                    for i in range(BATCH))
    popped = [item["content"] for items in (*during, *after) for item in items]
    assert sum(map(len, during)) > 0 and len(history) > 0
    assert Counter(popped) == added  # nothing lost, nothing popped twice
    _check_history(history)
    order = {item["content"]: position for position, item in enumerate(history)}
    for items in after:  # with no writers left, every task pops newest first
        positions = [order[item["content"]] for item in items]
        assert positions == sorted(positions, reverse=True)


async def _pop_while_writing(
    procs: list[subprocess.Popen[str]], databases: list[Database]
) -> tuple[list[list[Any]], list[list[Any]], list[Any]]:
    """Phase one: 8 tasks pop a few items each while the writers run (released together).
    Phase two, once the writers exit: the remaining history is read, then 8 tasks pop it
    empty."""
    sessions = [GenieSession("busy", db) for db in databases]

    async def pop_while_writers_run(session: GenieSession) -> list[Any]:
        got: list[Any] = []
        while len(got) < POPS_WHILE_WRITING and any(proc.poll() is None for proc in procs):
            item = await session.pop_item()
            if item is None:
                await asyncio.sleep(0.005)  # pacing an empty poll, not a timing assumption
            else:
                got.append(item)
        return got

    async def pop_until_empty(session: GenieSession) -> list[Any]:
        got: list[Any] = []
        while (item := await session.pop_item()) is not None:
            got.append(item)
        return got

    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.close()
    during = await asyncio.gather(*(pop_while_writers_run(s) for s in sessions))
    for proc in procs:
        await asyncio.to_thread(proc.wait, 120)
    history = await sessions[0].get_items()
    after = await asyncio.gather(*(pop_until_empty(s) for s in sessions))
    assert await sessions[0].get_items() == []
    for session, db in zip(sessions, databases, strict=True):
        await session.aclose()
        await db.async_runner().aclose()
    return list(during), list(after), history
