"""Async twins: the same op awaited through `genie_repo.aio` against the sync call.

Both sides run the same sync store code (the twin runs it on its worker pool), on the same
database; the difference is the cost of the hop to a worker thread and back. The async side is
timed inside the event loop, one `await` per call, so the loop's own start-up is not charged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench import workloads
from bench.core import Bench, Case, Target
from bench.env import Env
from bench.savers import fill_thread
from bench.suites.sessions import event, filled_session, new_session
from genie_repo.aio import AsyncApprovalStore, AsyncSessionStore
from genie_repo.stores.approvals import ApprovalStore
from genie_repo.stores.sessions import SessionStore


def _twin_case(
    make_twin: Callable[[Env], Any], make_calls: Callable[[Env, Any], tuple[Any, Any]]
) -> Callable[[Env], Case]:
    def setup(env: Env) -> Case:
        twin = make_twin(env)
        op, baseline = make_calls(env, twin)
        return Case(op, baseline, asynchronous=True,
                    teardown=lambda: env.loop.run_until_complete(twin.aclose()))

    return setup


def _approval_get(env: Env, twin: AsyncApprovalStore) -> tuple[Any, Any]:
    store: ApprovalStore = twin.store
    created = store.create(thread_id=env.unique("thread"), run_id="run", tool_name="t")
    return (lambda: twin.get(created.id)), (lambda: store.get(created.id))


def _approval_create(env: Env, twin: AsyncApprovalStore) -> tuple[Any, Any]:
    store: ApprovalStore = twin.store
    thread = env.unique("thread")

    def op() -> Any:
        return twin.create(thread_id=thread, run_id="run", tool_name="write_file")

    def baseline() -> Any:
        return store.create(thread_id=thread, run_id="run", tool_name="write_file")

    return op, baseline


def _append_event(env: Env, twin: AsyncSessionStore) -> tuple[Any, Any]:
    store: SessionStore = twin.store
    ours, theirs = new_session(store, env), new_session(store, env)
    op_events = iter([event(i) for i in range(env.calls)])
    base_events = iter([event(i) for i in range(env.calls)])
    return ((lambda: twin.append_event(ours, next(op_events))),
            (lambda: store.append_event(theirs, next(base_events))))


def _get_session(env: Env, twin: AsyncSessionStore) -> tuple[Any, Any]:
    store: SessionStore = twin.store
    key = filled_session(store, env, 200 if env.quick else 1000)
    return ((lambda: twin.get_session(key, event_limit=200)),
            (lambda: store.get_session(key, event_limit=200)))


def _saver_get_tuple(env: Env, saver: Any) -> tuple[Any, Any]:
    thread = env.unique("thread")
    fill_thread(saver, thread, 20)
    config = workloads.config(thread)
    return (lambda: saver.aget_tuple(config)), (lambda: saver.get_tuple(config))


def _saver_twin(env: Env) -> Any:
    from genie_repo.integrations.langgraph import GenieCheckpointSaver

    saver = GenieCheckpointSaver(env.db)
    saver.aclose = _nothing  # type: ignore[attr-defined]  # the saver owns no pool
    return saver


async def _nothing() -> None:
    return None


def _hop_floor(env: Env) -> Case:
    """What any thread hop costs: a no-op run on a worker thread and awaited (the no-op itself
    costs well under a microsecond). No twin can add less than this."""
    pool = ThreadPoolExecutor(4)

    def noop() -> None:
        return None

    async def hop() -> None:
        await asyncio.get_running_loop().run_in_executor(pool, noop)

    return Case(hop, asynchronous=True, teardown=pool.shutdown)


def benches() -> list[Bench]:
    out: list[Bench] = [
        Bench("aio", "thread hop floor (no-op)", "sqlite", "-",
              Target.none(), _hop_floor, note="run_in_executor round trip, no database"),
    ]
    for dialect in ("sqlite", "postgres"):
        out += [
            Bench("aio", "approvals.get", dialect, "ApprovalStore.get (sync)",
                  Target.slowdown(1.5),
                  _twin_case(lambda env: AsyncApprovalStore(env.db), _approval_get),
                  note="the cheapest op: the worst case for a thread hop"),
            Bench("aio", "approvals.create", dialect, "ApprovalStore.create (sync)",
                  Target.slowdown(1.5),
                  _twin_case(lambda env: AsyncApprovalStore(env.db), _approval_create),
                  note="a one-statement write"),
            Bench("aio", "sessions.append_event", dialect, "SessionStore.append_event (sync)",
                  Target.slowdown(1.5),
                  _twin_case(lambda env: AsyncSessionStore(env.db), _append_event),
                  note="1 KB event, 2-key delta"),
            Bench("aio", "sessions.get_session", dialect, "SessionStore.get_session (sync)",
                  Target.slowdown(1.5),
                  _twin_case(lambda env: AsyncSessionStore(env.db), _get_session),
                  note="newest 200 of 1,000 events", cost=0.3),
            Bench("aio", "saver.aget_tuple", dialect, "GenieCheckpointSaver.get_tuple (sync)",
                  Target.slowdown(1.5), _twin_case(_saver_twin, _saver_get_tuple),
                  note="LangGraph's async API (asyncio.to_thread)"),
        ]
    return out
