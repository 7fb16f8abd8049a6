"""Units of work the reliability tests run in child processes and check afterwards.

A *crash unit* is one atomic store call (one transaction) that leaves several rows behind; after
a SIGKILL either all of them are visible or none, and `crash_units_visible` finds torn ones. The
child cycles through three kinds: an approval and a clarification in one `db.transaction()`,
`append_event` (event row, state delta, session counter) and `put_full` (checkpoint + writes).
A *mixed step* is one call of a concurrent writer; `check_mixed` proves every acknowledged one
is present with the final state the writer left it in.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import apsw
import psycopg

from genie_repo import (
    ApprovalStatus,
    ApprovalStore,
    CheckpointStore,
    ClarificationStore,
    ClarifyStatus,
    Config,
    CronStore,
    Database,
    Event,
    NotFound,
    Payload,
    SessionKey,
    SessionStore,
    ShortMemoryStore,
    Write,
)

BLOB = "x" * 64_000  # large enough that a kill often lands in the middle of a write
CRASH_SESSION = SessionKey("crash-app", "crash-user", "crash-session")
WRITES_PER_CHECKPOINT = 5
CRASH_KINDS = ("pair", "append", "put_full")


def raw_rows(config: Config, sql: str) -> list[tuple[Any, ...]]:
    """Rows of a read-only query run with the driver itself, bypassing genie_repo."""
    if config.dsn:
        with psycopg.connect(config.dsn) as pg:
            return list(pg.execute(sql).fetchall())
    conn = apsw.Connection(str(config.sqlite_path), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        return list(conn.execute(sql).fetchall())
    finally:
        conn.close()


# -- crash units --------------------------------------------------------------------------------


def crash_kind(uid: str) -> str:
    return CRASH_KINDS[int(uid.rsplit("-", 1)[1]) % len(CRASH_KINDS)]


def crash_unit(db: Database, uid: str) -> None:
    """One atomic write of the kind `crash_kind(uid)` names."""
    kind = crash_kind(uid)
    if kind == "pair":
        approvals, clarifications = ApprovalStore(db), ClarificationStore(db)
        with db.transaction():
            approvals.create(id=uid, thread_id="crash", run_id=uid, tool_name="tool", args=BLOB)
            clarifications.create(f"question {uid}", context=BLOB, id=uid)
    elif kind == "append":
        sessions = SessionStore(db)
        sessions.create_session(CRASH_SESSION)
        sessions.append_event(CRASH_SESSION, Event(
            id=uid, payload=json.dumps({"blob": BLOB}), state_delta={f"k-{uid}": uid}))
        sessions.close()
    else:
        data = Payload("bytes", BLOB.encode())
        CheckpointStore(db).put_full(
            "crash", uid, data,
            writes=[Write(f"channel-{i}", data, task_id="t") for i in range(WRITES_PER_CHECKPOINT)])


def crash_unit_present(db: Database, uid: str) -> bool:
    """Read back through the library (the next open after a kill must serve reads)."""
    kind = crash_kind(uid)
    try:
        if kind == "pair":
            return (ApprovalStore(db).get(uid).args == BLOB
                    and ClarificationStore(db).get(uid).context == BLOB)
    except NotFound:
        return False
    if kind == "append":
        sessions = SessionStore(db)
        try:
            session = sessions.get_session(CRASH_SESSION)
        finally:
            sessions.close()
        return session is not None and session.state.get(f"k-{uid}") == uid and any(
            e.id == uid for e in session.events)
    found = CheckpointStore(db).get_tuple("crash", uid)
    return found is not None and len(found.pending_writes) == WRITES_PER_CHECKPOINT


def crash_units_visible(config: Config) -> tuple[set[str], set[str]]:
    """(complete units, torn units), read with the driver, not through the library."""
    approvals = dict(raw_rows(config, "SELECT id, length(args) FROM approvals "
                                      "WHERE thread_id = 'crash'"))
    clarifications = dict(raw_rows(config, "SELECT id, length(context) FROM clarifications"))
    pairs = {uid for uid, size in approvals.items()
             if size == len(BLOB) and clarifications.get(uid) == len(BLOB)}
    torn = (approvals.keys() | clarifications.keys()) - pairs

    events = {r[0] for r in raw_rows(config, "SELECT event_id FROM session_events")}
    states = {r[0][2:] for r in raw_rows(config, "SELECT key FROM session_states")}
    last_seq = raw_rows(config, "SELECT last_seq FROM sessions")
    seqs = sorted(r[0] for r in raw_rows(config, "SELECT seq FROM session_events"))
    appends = events & states
    torn |= events ^ states
    if last_seq and seqs != list(range(1, last_seq[0][0] + 1)):
        torn.add(f"session sequence {seqs[-5:]} vs last_seq {last_seq}")

    checkpoints = {r[0] for r in raw_rows(
        config, "SELECT checkpoint_id FROM checkpoints WHERE lineage_id = 'crash'")}
    writes = dict(raw_rows(config, "SELECT checkpoint_id, count(*) FROM checkpoint_writes "
                                   "WHERE lineage_id = 'crash' GROUP BY checkpoint_id"))
    full = {uid for uid in checkpoints if writes.get(uid) == WRITES_PER_CHECKPOINT}
    torn |= (checkpoints | writes.keys()) - full
    return pairs | appends | full, torn


# -- mixed concurrent writers -------------------------------------------------------------------

MIXED_KINDS = 10
CRON_TASKS = 20
CLAIM_MOMENT = datetime(2030, 1, 1, tzinfo=UTC)  # every task is due then, exactly once
TTL = timedelta(days=365)


def prepare_mixed(db: Database) -> None:
    """Cron tasks for the workers to claim: each due run must go to exactly one of them."""
    cron = CronStore(db)
    for n in range(CRON_TASKS):
        cron.create_task(f"task-{n}", "0 * * * *", "noop")


def mixed_session(worker: int) -> SessionKey:
    return SessionKey("mixed", f"user-{worker}", "session")


def mixed_step(db: Database, worker: int, i: int) -> list[str]:
    """Step i of worker `worker`: creates on some steps, compare-and-set of the previous on the
    next; appends with a state delta (session, user and shared app keys), checkpoint put_full,
    short memory (a private set, and set_if_absent on a key every worker races for), cron
    claims. Returns what the parent must tally across workers (races won, runs claimed)."""
    kind = i % MIXED_KINDS
    if kind == 0:
        ApprovalStore(db).create(id=f"w{worker}-a{i}", thread_id=f"thread-{worker}", run_id="r",
                                 tool_name="tool", tenant_id=f"tenant-{worker}")
    elif kind == 1:
        ApprovalStore(db).resolve(f"w{worker}-a{i - 1}", status="approved",
                                  resolved_by=f"w{worker}")
    elif kind == 2:
        ClarificationStore(db).create(f"w{worker} q{i}", id=f"w{worker}-c{i}")
    elif kind == 3:
        ClarificationStore(db).answer(f"w{worker}-c{i - 1}", f"answer {i}")
    elif kind in (4, 5):
        sessions = SessionStore(db)
        sessions.create_session(mixed_session(worker))
        sessions.append_event(mixed_session(worker), Event(
            id=f"w{worker}-e{i}", state_delta={"last": i, "user:last": i, "app:shared": i,
                                               f"app:w{worker}": i}))
        sessions.close()
    elif kind == 6:
        data = Payload("json", json.dumps({"step": i}).encode())
        CheckpointStore(db).put_full(f"lineage-{worker}", f"cp-{i:05d}", data,
                                     writes=[Write("out", data, task_id="t")])
    elif kind == 7:
        SessionStore(db).update_user_state(mixed_session(worker).user_key, {"step": i})
    elif kind == 8:
        short = ShortMemoryStore(db)
        short.set(f"w{worker}", f"k{i}", f"v{i}", TTL)
        if short.set_if_absent("race", f"key-{i}", f"w{worker}", TTL):
            return [f"won:key-{i}"]
    else:
        claims = CronStore(db).claim_due(CLAIM_MOMENT, limit=2, worker_id=f"w{worker}")
        return [f"claimed:{c.task.name}" for c in claims]
    return []


def check_mixed(db: Database, workers: int, steps: int) -> list[str]:
    """Every step of every worker is visible with its final state; returns the problems."""
    problems: list[str] = []
    approvals, clarifications = ApprovalStore(db), ClarificationStore(db)
    sessions, checkpoints = SessionStore(db), CheckpointStore(db)
    checks: list[tuple[str, Callable[[], bool]]] = []

    def approval_is(aid: str, resolved: bool) -> Callable[[], bool]:
        wanted = ApprovalStatus.APPROVED if resolved else ApprovalStatus.PENDING
        return lambda: approvals.get(aid).status == wanted

    def clarification_is(cid: str, answered: bool) -> Callable[[], bool]:
        wanted = ClarifyStatus.ANSWERED if answered else ClarifyStatus.PENDING
        return lambda: clarifications.get(cid).status == wanted

    by_kind = {k: [i for i in range(steps) if i % MIXED_KINDS == k] for k in range(MIXED_KINDS)}
    for w in range(workers):
        for i in by_kind[0]:
            done = i + 1 < steps
            checks.append((f"w{w}-a{i}", approval_is(f"w{w}-a{i}", done)))
        for i in by_kind[2]:
            done = i + 1 < steps
            checks.append((f"w{w}-c{i}", clarification_is(f"w{w}-c{i}", done)))
        appended = sorted(by_kind[4] + by_kind[5])
        session = sessions.get_session(mixed_session(w))
        if session is None:
            problems.append(f"worker {w}: session missing")
            continue
        if [e.id for e in session.events] != [f"w{w}-e{i}" for i in appended]:
            problems.append(f"worker {w}: events {len(session.events)} of {len(appended)}")
        if [e.seq for e in session.events] != list(range(1, len(appended) + 1)):
            problems.append(f"worker {w}: event sequence has gaps")
        if session.state.get("last") != appended[-1] or session.state.get(
                f"app:w{w}") != appended[-1]:
            problems.append(f"worker {w}: session/app state lost an update")
        user_steps = by_kind[7]
        if sessions.list_user_states(mixed_session(w).user_key) != {
                "last": appended[-1], "step": user_steps[-1]}:
            problems.append(f"worker {w}: user state lost an update")
        listed = [t.ref.checkpoint_id for t in checkpoints.list(f"lineage-{w}")]
        if sorted(listed) != [f"cp-{i:05d}" for i in by_kind[6]]:
            problems.append(f"worker {w}: checkpoints {len(listed)} of {len(by_kind[6])}")
    short = ShortMemoryStore(db)
    for w in range(workers):
        for i in by_kind[8]:
            if short.get(f"w{w}", f"k{i}") != f"v{i}":
                problems.append(f"worker {w}: short memory k{i} missing")
    app_shared = sessions.list_app_states("mixed").get("shared")
    if app_shared not in {sorted(by_kind[4] + by_kind[5])[-1]}:
        problems.append(f"shared app key holds {app_shared!r}")
    sessions.close()
    for name, check in checks:
        try:
            if not check():
                problems.append(f"{name}: wrong state")
        except NotFound:
            problems.append(f"{name}: missing")
    return problems
