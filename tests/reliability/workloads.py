"""Units of work the reliability tests run in child processes and check afterwards.

A *crash unit* is one atomic write (one transaction) that leaves several rows behind; after a
SIGKILL either all of them are visible or none, and `half_written` finds any unit that is torn.
A *mixed step* is one call of a concurrent writer; `check_mixed` proves every acknowledged one
is present with the final state the writer left it in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import apsw
import psycopg

from genie_repo import (
    ApprovalStatus,
    ApprovalStore,
    ClarificationStore,
    ClarifyStatus,
    Config,
    Database,
    NotFound,
)

BLOB = "x" * 64_000  # large enough that a kill often lands in the middle of a write


def raw_rows(config: Config, sql: str) -> list[tuple[Any, ...]]:
    """Rows of a read-only query run with the driver itself, bypassing genie_repo."""
    if config.dsn:
        with psycopg.connect(config.dsn) as pg:
            return list(pg.execute(sql).fetchall())  # type: ignore[arg-type]
    conn = apsw.Connection(str(config.sqlite_path), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        return list(conn.execute(sql).fetchall())
    finally:
        conn.close()


# -- crash units --------------------------------------------------------------------------------


def crash_unit(db: Database, uid: str) -> None:
    """One transaction: an approval and a clarification sharing an id."""
    approvals, clarifications = ApprovalStore(db), ClarificationStore(db)
    with db.transaction():
        approvals.create(id=uid, thread_id="crash", run_id=uid, tool_name="tool", args=BLOB)
        clarifications.create(f"question {uid}", context=BLOB, id=uid)


def crash_unit_present(db: Database, uid: str) -> bool:
    try:
        approval = ApprovalStore(db).get(uid)
        clarification = ClarificationStore(db).get(uid)
    except NotFound:
        return False
    return approval.args == BLOB and clarification.context == BLOB


def crash_units_visible(config: Config) -> tuple[set[str], set[str]]:
    """(complete units, torn units), read with the driver, not through the library."""
    approvals = dict(raw_rows(config, "SELECT id, length(args) FROM approvals "
                                      "WHERE thread_id = 'crash'"))
    clarifications = dict(raw_rows(config, "SELECT id, length(context) FROM clarifications"))
    complete = {uid for uid, size in approvals.items()
                if size == len(BLOB) and clarifications.get(uid) == len(BLOB)}
    return complete, (approvals.keys() | clarifications.keys()) - complete


# -- mixed concurrent writers -------------------------------------------------------------------


def mixed_step(db: Database, worker: int, i: int) -> None:
    """Step i of worker `worker`: creates on even steps, compare-and-set the previous on odd."""
    approvals, clarifications = ApprovalStore(db), ClarificationStore(db)
    kind = i % 4
    if kind == 0:
        approvals.create(id=f"w{worker}-a{i}", thread_id=f"thread-{worker}", run_id="r",
                         tool_name="tool", tenant_id=f"tenant-{worker}")
    elif kind == 1:
        approvals.resolve(f"w{worker}-a{i - 1}", status="approved", resolved_by=f"w{worker}")
    elif kind == 2:
        clarifications.create(f"w{worker} q{i}", id=f"w{worker}-c{i}")
    else:
        clarifications.answer(f"w{worker}-c{i - 1}", f"answer {i}")


def check_mixed(db: Database, workers: int, steps: int) -> list[str]:
    """Every step of every worker is visible with its final state; returns the problems."""
    problems: list[str] = []
    approvals, clarifications = ApprovalStore(db), ClarificationStore(db)
    checks: list[tuple[str, Callable[[], bool]]] = []
    for w in range(workers):
        for i in range(0, steps, 4):
            aid, cid = f"w{w}-a{i}", f"w{w}-c{i + 2}"
            resolved = i + 1 < steps
            answered = i + 3 < steps
            checks.append((aid, lambda aid=aid, r=resolved: approvals.get(aid).status
                           == (ApprovalStatus.APPROVED if r else ApprovalStatus.PENDING)))
            if i + 2 < steps:
                checks.append((cid, lambda cid=cid, a=answered: clarifications.get(cid).status
                               == (ClarifyStatus.ANSWERED if a else ClarifyStatus.PENDING)))
    for name, check in checks:
        try:
            if not check():
                problems.append(f"{name}: wrong state")
        except NotFound:
            problems.append(f"{name}: missing")
    return problems
