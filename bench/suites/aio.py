"""Async twins: the same op awaited through `genie_repo.aio` against the sync call.

Both sides run the same sync store code (the twin runs it on its worker pool), on the same
database; the difference is the cost of the hop to a worker thread and back. The async side is
timed inside the event loop, one `await` per call, so the loop's own start-up is not charged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from genie_repo.aio import AsyncApprovalStore

from bench.core import Bench, Case, Target
from bench.env import Env
from genie_repo.stores.approvals import ApprovalStore


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


def benches() -> list[Bench]:
    out: list[Bench] = []
    for dialect in ("sqlite", "postgres"):
        out += [
            Bench("aio", "approvals.get", dialect, "ApprovalStore.get (sync)",
                  Target.slowdown(1.5),
                  _twin_case(lambda env: AsyncApprovalStore(env.db), _approval_get),
                  note="the cheapest op: the worst case for a thread hop"),
        ]
    return out
