"""Concurrent writers: appends to one session get a gap-free sequence and none is lost; writers
to distinct `user:` keys never lose each other's updates (trpc-agent's SQL store kept 25 of 80)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from genie_repo.config import Config
from genie_repo.db import Database, open_database
from genie_repo.models.sessions import Event, SessionKey, UserKey
from genie_repo.stores.sessions import SessionStore
from tests.stores.test_sessions import with_plan

KEY = SessionKey("app", "user", "busy")
THREADS = 8
PER_THREAD = 200


def _check_gap_free(store: SessionStore, expected: int) -> None:
    events = store.list_events(KEY, limit=10_000)
    assert [e.seq for e in events] == list(range(1, expected + 1))
    assert len({e.id for e in events}) == expected
    session = store.get_session(KEY)
    assert session is not None and session.last_seq == expected


@pytest.mark.parametrize("plan", ["own plan", "other plan"])
def test_threads_appending_to_one_session(db: Database, plan: str) -> None:
    store = with_plan(SessionStore(db), plan)
    store.create_session(KEY)

    def writer(n: int) -> list[int]:
        return [store.append_event(KEY, Event(author=f"w{n}", payload=f'{{"i":{i}}}')).seq or 0
                for i in range(PER_THREAD)]

    with ThreadPoolExecutor(THREADS) as pool:
        per_writer = list(pool.map(writer, range(THREADS)))
    for seqs in per_writer:
        assert seqs == sorted(seqs)  # each writer sees its own appends in order
    _check_gap_free(store, THREADS * PER_THREAD)


_WORKER = textwrap.dedent("""
    import sys
    from genie_repo.config import Config
    from genie_repo.db import open_database
    from genie_repo.models.sessions import Event, SessionKey
    from genie_repo.stores.sessions import SessionStore

    db = open_database(Config(db_file=sys.argv[1]))
    store = SessionStore(db)
    key = SessionKey("app", "user", "busy")
    for i in range(int(sys.argv[2])):
        store.append_event(key, Event(author=sys.argv[3], payload="{}"))
    db.close()
""")


def test_two_processes_appending_to_one_sqlite_file(
    make_config: Callable[[str], Config],
) -> None:
    config = make_config("sqlite")
    db = open_database(config)
    try:
        store = SessionStore(db)
        store.create_session(KEY)
        root = Path(__file__).resolve().parents[2]
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", _WORKER, str(config.db_file), str(PER_THREAD), f"p{n}"],
                cwd=root, env={"PYTHONPATH": str(root)},
            )
            for n in range(2)
        ]
        assert [p.wait(timeout=120) for p in procs] == [0, 0]
        _check_gap_free(store, 2 * PER_THREAD)
    finally:
        db.close()


def test_threads_writing_distinct_user_keys(db: Database) -> None:
    store = SessionStore(db)
    user = UserKey("app", "user")
    keys = [SessionKey("app", "user", f"s{n}") for n in range(THREADS)]
    for key in keys:
        store.create_session(key)

    def writer(n: int) -> None:
        for i in range(20):
            store.append_event(keys[n], Event(state_delta={f"user:k{n}_{i}": i, "shared": n}))
        store.update_session_state(keys[n], {f"user:direct{n}": n})

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(writer, range(THREADS)))
    expected = {f"k{n}_{i}": i for n in range(THREADS) for i in range(20)}
    expected |= {f"direct{n}": n for n in range(THREADS)}
    assert store.list_user_states(user) == expected
    for n, key in enumerate(keys):
        assert store.list_session_states(key) == {"shared": n}
