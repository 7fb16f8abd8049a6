"""ApprovalStore on both dialects: lifecycle, compare-and-set resolution, expiry, bad input."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import timedelta
from typing import Any

import pytest

from genie_repo import (
    ApprovalStatus,
    ApprovalStore,
    Config,
    Conflict,
    InvalidInput,
    NotFound,
    open_database,
)
from genie_repo.db import Database
from tests.api import Builder
from tests.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(db: Database, clock: FakeClock, build: Builder) -> ApprovalStore:
    return build(ApprovalStore, db, clock=clock)


def new(store: ApprovalStore, **kwargs: Any) -> Any:
    return store.create(**{"thread_id": "t1", "run_id": "r1", "tool_name": "shell", **kwargs})


def test_create_and_get(store: ApprovalStore, clock: FakeClock) -> None:
    made = new(store, args='{"cmd": "ls"}', created_by="u1", question="list files?",
               sender_context="slack:U1:C1", expires_at=clock.now + timedelta(minutes=30))
    assert made.status is ApprovalStatus.PENDING
    assert made.created_at == clock.now
    assert store.get(made.id) == made
    with pytest.raises(NotFound):
        store.get("missing")


def test_duplicate_id_is_conflict(store: ApprovalStore) -> None:
    new(store, id="a1")
    with pytest.raises(Conflict):
        new(store, id="a1")


def test_lists_are_newest_first_and_limited(store: ApprovalStore, clock: FakeClock) -> None:
    ids = []
    for i in range(4):
        clock.advance(seconds=1)
        ids.append(new(store, thread_id="t1" if i < 3 else "t2", tenant_id="acme").id)
    assert [a.id for a in store.list_by_thread("t1")] == ids[2::-1]
    assert [a.id for a in store.list_by_thread("t1", limit=2)] == [ids[2], ids[1]]
    assert [a.id for a in store.list_by_tenant("acme")] == ids[::-1]
    assert store.list_by_tenant("other") == []
    store.resolve(ids[0], status="approved", resolved_by="u")
    assert [a.id for a in store.list_by_status("approved")] == [ids[0]]
    assert [a.id for a in store.list_by_status(ApprovalStatus.PENDING)] == ids[:0:-1]


def test_resolve_only_while_pending(store: ApprovalStore, clock: FakeClock) -> None:
    approval = new(store)
    clock.advance(seconds=5)
    done = store.resolve(approval.id, status="rejected", resolved_by="alice", feedback="no")
    assert (done.status, done.resolved_by, done.feedback) == (
        ApprovalStatus.REJECTED, "alice", "no")
    assert done.resolved_at == clock.now
    with pytest.raises(Conflict, match="rejected"):
        store.resolve(approval.id, status="approved", resolved_by="bob")
    assert store.get(approval.id) == done
    with pytest.raises(NotFound):
        store.resolve("missing", status="approved", resolved_by="bob")


def test_an_expired_approval_cannot_be_resolved(store: ApprovalStore, clock: FakeClock) -> None:
    approval = new(store, expires_at=clock.now + timedelta(minutes=1))
    clock.advance(minutes=2)
    with pytest.raises(Conflict, match="expired"):
        store.resolve(approval.id, status="approved", resolved_by="bob")
    assert store.get(approval.id).status is ApprovalStatus.PENDING


def test_expire_stale_counts_and_marks(store: ApprovalStore, clock: FakeClock) -> None:
    soon = new(store, expires_at=clock.now + timedelta(minutes=1))
    clock.advance(seconds=1)
    later = new(store, expires_at=clock.now + timedelta(hours=1))
    clock.advance(seconds=1)
    forever = new(store)
    assert store.list_pending() == [forever, later, soon]
    clock.advance(minutes=5)
    assert [a.id for a in store.list_pending()] == [forever.id, later.id]
    assert store.expire_stale() == 1
    assert store.expire_stale() == 0
    expired = store.get(soon.id)
    assert (expired.status, expired.resolved_by) == (ApprovalStatus.EXPIRED, "system:ttl-reaper")
    assert store.get(later.id).status is ApprovalStatus.PENDING
    assert store.expire_stale(clock.now + timedelta(days=1)) == 1


def test_eight_threads_resolving_one_approval_one_wins(store: ApprovalStore) -> None:
    approval = new(store)
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def resolve(n: int) -> None:
        barrier.wait()
        try:
            store.resolve(approval.id, status="approved", resolved_by=f"user{n}")
            outcomes.append("won")
        except Conflict:
            outcomes.append("lost")

    threads = [threading.Thread(target=resolve, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["lost"] * 7 + ["won"]
    winner = store.get(approval.id).resolved_by
    assert winner.startswith("user")


def _create_many(db_file: str, worker: int, count: int) -> None:
    db = open_database(Config(db_file=db_file))
    store = ApprovalStore(db)
    for i in range(count):
        store.create(id=f"w{worker}-{i}", thread_id=f"t{worker}", run_id="r", tool_name="x")
    db.close()


def test_two_processes_write_one_sqlite_file(make_config: Any) -> None:
    config: Config = make_config("sqlite")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_create_many, args=(str(config.sqlite_path), n, 150))
               for n in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0]
    db = open_database(config)
    store = ApprovalStore(db)
    assert len(store.list_by_thread("t0", limit=1000)) == 150
    assert len(store.list_by_thread("t1", limit=1000)) == 150
    db.close()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"thread_id": ""},
        {"run_id": None},
        {"tool_name": 7},
        {"args": b"bytes"},
        {"question": "nul\x00"},
        {"id": ""},
        {"expires_at": "tomorrow"},
    ],
)
def test_bad_create_is_invalid_input_and_writes_nothing(
    store: ApprovalStore, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(InvalidInput):
        new(store, **kwargs)
    assert store.list_by_thread("t1") == []
    assert store.list_by_status("pending") == []


def test_bad_resolve_and_list_arguments(store: ApprovalStore) -> None:
    approval = new(store)
    with pytest.raises(InvalidInput, match="unknown approval status"):
        store.resolve(approval.id, status="maybe", resolved_by="u")
    with pytest.raises(InvalidInput):
        store.resolve(approval.id, status="expired", resolved_by="u")
    with pytest.raises(InvalidInput):
        store.resolve(approval.id, status="approved", resolved_by="")
    with pytest.raises(InvalidInput):
        store.resolve("", status="approved", resolved_by="u")
    with pytest.raises(InvalidInput):
        store.list_by_status("nope")
    for limit in (0, -1, 10**9, True, "5"):
        with pytest.raises(InvalidInput):
            store.list_by_thread("t1", limit=limit)  # type: ignore[arg-type]
    assert store.get(approval.id).status is ApprovalStatus.PENDING
