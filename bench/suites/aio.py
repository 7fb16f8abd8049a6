"""Async stores: the same op awaited through `genie_repo.aio` against the sync call.

Both sides run the same store code on the same database. On PostgreSQL the async side awaits
psycopg on the loop (no thread); on SQLite a read runs on the loop's thread and a write on the
database's worker thread. The async side is timed inside the event loop, one `await` per call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bench import workloads
from bench.core import Bench, Case, Dialect, Target
from bench.env import Env
from bench.savers import fill_thread
from bench.suites.sessions import event, filled_session, new_session
from genie_repo import ApprovalStore, SessionStore, ShortMemoryStore
from genie_repo.aio import AsyncApprovalStore, AsyncSessionStore, AsyncShortMemoryStore, AsyncStore
from genie_repo.db.sqlite_worker import SqliteWorker
from genie_repo.stores.base import runs_caller_code

Calls = tuple[Callable[[], Any], Callable[[], Any]]


def _case(make: Callable[[Env], tuple[AsyncStore[Any], Calls]]) -> Callable[[Env], Case]:
    def setup(env: Env) -> Case:
        store, (op, baseline) = make(env)
        return Case(op, baseline, asynchronous=True,
                    teardown=lambda: env.loop.run_until_complete(store.aclose()))

    return setup


def _approval_get(env: Env) -> tuple[AsyncStore[Any], Calls]:
    sync, twin = ApprovalStore(env.db), AsyncApprovalStore(env.db)
    created = sync.create(thread_id=env.unique("thread"), run_id="run", tool_name="t")
    return twin, ((lambda: twin.get(created.id)), (lambda: sync.get(created.id)))


def _short_memory_get(env: Env) -> tuple[AsyncStore[Any], Calls]:
    sync, twin = ShortMemoryStore(env.db), AsyncShortMemoryStore(env.db)
    key = env.unique("key")
    sync.set("bench", key, "value", timedelta(hours=1))
    return twin, ((lambda: twin.get("bench", key)), (lambda: sync.get("bench", key)))


def _approval_create(env: Env) -> tuple[AsyncStore[Any], Calls]:
    sync, twin = ApprovalStore(env.db), AsyncApprovalStore(env.db)
    thread = env.unique("thread")
    return twin, (
        (lambda: twin.create(thread_id=thread, run_id="run", tool_name="write_file")),
        (lambda: sync.create(thread_id=thread, run_id="run", tool_name="write_file")),
    )


def _append_event(env: Env) -> tuple[AsyncStore[Any], Calls]:
    sync, twin = SessionStore(env.db), AsyncSessionStore(env.db)
    ours, theirs = new_session(sync, env), new_session(sync, env)
    op_events = iter([event(i) for i in range(env.calls)])
    base_events = iter([event(i) for i in range(env.calls)])
    return twin, ((lambda: twin.append_event(ours, next(op_events))),
                  (lambda: sync.append_event(theirs, next(base_events))))


def _get_session(env: Env) -> tuple[AsyncStore[Any], Calls]:
    sync, twin = SessionStore(env.db), AsyncSessionStore(env.db)
    key = filled_session(sync, env, 200 if env.quick else 1000)
    return twin, ((lambda: twin.get_session(key, event_limit=200)),
                  (lambda: sync.get_session(key, event_limit=200)))


def _saver_get_tuple(env: Env) -> Case:
    from genie_repo.integrations.langgraph import GenieCheckpointSaver

    saver = GenieCheckpointSaver(env.db)
    thread = env.unique("thread")
    fill_thread(saver, thread, 20)
    config = workloads.config(thread)
    return Case(lambda: saver.aget_tuple(config), lambda: saver.get_tuple(config),
                asynchronous=True)


def _worker_floor(env: Env) -> Case:
    """What the SQLite worker's hop alone costs: a no-op run on it and awaited."""
    worker = env.db.async_runner()
    assert isinstance(worker, SqliteWorker)

    @runs_caller_code  # straight to the worker: a no-op read would run on the loop
    def noop() -> None:
        return None

    async def hop() -> None:
        await worker.run(noop)

    return Case(hop, asynchronous=True)


def _concurrent(env: Env) -> Case:
    """32 tasks awaiting approvals.get at once, against the same 32 calls made in turn."""
    twin, sync = AsyncApprovalStore(env.db), ApprovalStore(env.db)
    created = sync.create(thread_id=env.unique("thread"), run_id="run", tool_name="t")

    async def gathered() -> None:
        await asyncio.gather(*(twin.get(created.id) for _ in range(32)))

    def sequential() -> None:
        for _ in range(32):
            sync.get(created.id)

    return Case(gathered, sequential, asynchronous=True,
                teardown=lambda: env.loop.run_until_complete(twin.aclose()))


def _fast_target(dialect: Dialect) -> Target:
    """The fastest ops: PostgreSQL within 1.15x of sync, SQLite within 25 µs of it."""
    return Target.slowdown(1.15) if dialect == "postgres" else Target.extra_us(25)


def _slow_target(dialect: Dialect) -> Target:
    return Target.slowdown(1.15 if dialect == "postgres" else 1.5)


def benches() -> list[Bench]:
    out: list[Bench] = [
        Bench("aio", "worker hop floor (no-op)", "sqlite", "-",
              Target.none(), _worker_floor, note="one call on the SQLite worker, no database"),
    ]
    for dialect in ("sqlite", "postgres"):
        out += [
            Bench("aio", "approvals.get", dialect, "ApprovalStore.get (sync)",
                  _fast_target(dialect), _case(_approval_get),
                  note="the cheapest op: the worst case for the async path"),
            Bench("aio", "short_memory.get", dialect, "ShortMemoryStore.get (sync)",
                  _fast_target(dialect), _case(_short_memory_get)),
            Bench("aio", "approvals.create", dialect, "ApprovalStore.create (sync)",
                  _slow_target(dialect), _case(_approval_create), note="a one-statement write"),
            Bench("aio", "sessions.append_event", dialect, "SessionStore.append_event (sync)",
                  _slow_target(dialect), _case(_append_event), note="1 KB event, 2-key delta"),
            Bench("aio", "sessions.get_session", dialect, "SessionStore.get_session (sync)",
                  _slow_target(dialect), _case(_get_session),
                  note="newest 200 of 1,000 events", cost=0.3),
            Bench("aio", "saver.aget_tuple", dialect, "GenieCheckpointSaver.get_tuple (sync)",
                  _slow_target(dialect), _saver_get_tuple,
                  note="LangGraph's async API on the async store"),
            Bench("aio", "approvals.get x32 concurrent", dialect, "32 sync calls in turn",
                  Target.none(), _concurrent, note="32 tasks gathered", cost=0.2),
        ]
    return out

