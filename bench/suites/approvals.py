"""Approvals: the smallest store, a check of the machinery and of the adapters' fixed cost."""

from __future__ import annotations

from collections.abc import Iterator

from bench.core import Bench, Case, Target
from bench.env import Env
from bench.raw import Raw
from genie_repo import ApprovalStore
from genie_repo.timestamps import utc_now

_INSERT = (
    "INSERT INTO approvals (id, thread_id, run_id, tenant_id, tool_name, args, status, created_at)"
    " VALUES (:id, :thread_id, :run_id, '', :tool_name, :args, 'pending', :created_at)"
)
_ARGS = '{"path": "/tmp/x", "mode": "w"}'


def _create(env: Env) -> Case:
    store = ApprovalStore(env.db)
    raw = Raw.of(env)
    insert = raw.statement(_INSERT + " RETURNING *")
    thread = env.unique("thread")
    ids = (f"{thread}-{i}" for i in range(10**9))

    def op() -> object:
        return store.create(thread_id=thread, run_id="run", tool_name="write_file", args=_ARGS)

    def baseline() -> object:
        return insert({"id": next(ids), "thread_id": thread, "run_id": "run",
                       "tool_name": "write_file", "args": _ARGS,
                       "created_at": raw.time(utc_now())})

    return Case(op, baseline)


def _get(env: Env) -> Case:
    store = ApprovalStore(env.db)
    raw = Raw.of(env)
    created = store.create(thread_id=env.unique("thread"), run_id="run", tool_name="t", args=_ARGS)
    find = raw.statement("SELECT * FROM approvals WHERE id = :id")
    return Case(lambda: store.get(created.id), lambda: find({"id": created.id}))


def _resolve(env: Env) -> Case:
    """Each call resolves a different pending approval, made beforehand (untimed)."""
    store = ApprovalStore(env.db)
    raw = Raw.of(env)
    thread = env.unique("thread")
    now = utc_now()
    rows = [{"id": f"{thread}-{side}-{i}", "thread_id": thread, "run_id": "run",
             "tool_name": "t", "args": _ARGS, "created_at": raw.time(now)}
            for side in ("op", "base") for i in range(env.calls)]
    raw.executemany(_INSERT, rows)
    op_ids: Iterator[str] = (f"{thread}-op-{i}" for i in range(env.calls))
    base_ids: Iterator[str] = (f"{thread}-base-{i}" for i in range(env.calls))
    update = raw.statement(
        "UPDATE approvals SET status = :status, resolved_at = :now, resolved_by = :by,"
        " feedback = '' WHERE id = :id AND status = 'pending'"
        " AND (expires_at IS NULL OR expires_at > :now) RETURNING *"
    )
    return Case(
        lambda: store.resolve(next(op_ids), status="approved", resolved_by="alice"),
        lambda: update({"id": next(base_ids), "status": "approved", "by": "alice",
                        "now": raw.time(utc_now())}),
    )


def benches() -> list[Bench]:
    out: list[Bench] = []
    for dialect in ("sqlite", "postgres"):
        out += [
            Bench("approvals", "create", dialect, "raw INSERT .. RETURNING *", Target.none(),
                  _create),
            Bench("approvals", "get", dialect, "raw SELECT by primary key", Target.none(), _get),
            Bench("approvals", "resolve", dialect, "raw compare-and-set UPDATE .. RETURNING *",
                  Target.none(), _resolve),
        ]
    return out
