"""The async twins: parity with every store, errors, races, several loops, a free event loop."""

from __future__ import annotations

import asyncio
import contextvars
import importlib
import inspect
import pkgutil
import threading
from collections.abc import Awaitable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import apsw
import psycopg
import pytest

import genie_repo.aio as aio
import genie_repo.stores as stores_package
from genie_repo import (
    Approval,
    ApprovalStatus,
    ApprovalStore,
    ClarificationStore,
    Config,
    Conflict,
    Database,
    GenieRepoError,
    InvalidInput,
    NotFound,
)
from genie_repo.aio import AsyncApprovalStore, AsyncClarificationStore, AsyncTwin
from genie_repo.stores.base import Store

R = TypeVar("R")


def run(coro: Coroutine[Any, Any, R]) -> R:
    return asyncio.run(coro)


def store_classes() -> list[type[Store]]:
    """Every Store subclass defined anywhere in the genie_repo.stores package."""
    found: list[type[Store]] = []
    for info in pkgutil.walk_packages(stores_package.__path__, stores_package.__name__ + "."):
        module = importlib.import_module(info.name)
        found += [
            value
            for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, Store) and value is not Store
            and value.__module__ == module.__name__
        ]
    return found


def public_methods(cls: type) -> set[str]:
    return {name for name, _ in inspect.getmembers(cls, inspect.isfunction) if name[0] != "_"}


# -- parity: every store has a twin, with the same methods and signatures ---------------------


@pytest.mark.parametrize("store_class", store_classes(), ids=lambda c: c.__name__)
def test_every_store_has_a_twin_with_the_same_methods(store_class: type[Store]) -> None:
    twin = getattr(aio, "Async" + store_class.__name__, None)
    assert twin is not None, f"add `class Async{store_class.__name__}(AsyncTwin[...])` to aio"
    assert issubclass(twin, AsyncTwin) and twin.store_class is store_class
    expected = public_methods(store_class)
    assert expected and public_methods(twin) - {"wrap", "aclose"} == expected
    for name in expected:
        sync_method, async_method = getattr(store_class, name), getattr(twin, name)
        assert inspect.iscoroutinefunction(async_method), name
        assert inspect.signature(async_method) == inspect.signature(sync_method), name
        assert async_method.__doc__ == sync_method.__doc__, name
        assert async_method.__name__ == name


def test_store_discovery_finds_the_known_stores() -> None:
    assert {ApprovalStore, ClarificationStore} <= set(store_classes())


def test_a_store_that_cannot_be_twinned_is_refused_at_class_creation() -> None:
    class Lazy(Store):
        def rows(self) -> Any:
            yield 1

    class Clashing(Store):
        def aclose(self) -> None:
            """Would hide the twin's own aclose."""

    class Configurable(Store):
        def __init__(self, db: Database, *, executor: str = "") -> None:
            super().__init__(db)

    with pytest.raises(TypeError, match="reserved"):

        class AsyncConfigurable(AsyncTwin[Configurable]):
            pass

    with pytest.raises(TypeError, match="generator"):

        class AsyncLazy(AsyncTwin[Lazy]):
            pass

    with pytest.raises(TypeError, match="clash"):

        class AsyncClashing(AsyncTwin[Clashing]):
            pass

    with pytest.raises(TypeError, match="AsyncTwin\\[SomeStore\\]"):

        class Bare(AsyncTwin):  # type: ignore[type-arg]
            pass


# -- every method works, errors come through unchanged -----------------------------------------


def test_approval_twin_methods(db: Database) -> None:
    async def scenario() -> None:
        async with AsyncApprovalStore(db) as approvals:
            created = await approvals.create(
                thread_id="t1", run_id="r1", tool_name="shell", tenant_id="acme", id="a1"
            )
            await approvals.create(thread_id="t1", run_id="r1", tool_name="mail", id="a2",
                                   expires_at=created.created_at - timedelta(seconds=1))
            assert await approvals.get("a1") == created
            assert [a.id for a in await approvals.list_by_thread("t1")] in (
                ["a2", "a1"], ["a1", "a2"])
            assert [a.id for a in await approvals.list_by_tenant("acme")] == ["a1"]
            assert [a.id for a in await approvals.list_pending()] == ["a1"]
            resolved = await approvals.resolve("a1", status="approved", resolved_by="bob")
            assert resolved.status is ApprovalStatus.APPROVED
            assert [a.id for a in await approvals.list_by_status("approved")] == ["a1"]
            assert await approvals.expire_stale() == 1
            assert (await approvals.now()).tzinfo is not None

    run(scenario())


def test_clarification_twin_methods(db: Database) -> None:
    async def scenario() -> None:
        async with AsyncClarificationStore(db) as clarifications:
            asked = await clarifications.create("which branch?", context="deploy", id="c1")
            await clarifications.create("which region?", id="c2")
            assert await clarifications.get("c1") == asked
            assert (await clarifications.find_pending_by_question("which branch?")) == asked
            assert [c.id for c in await clarifications.list_pending()] == ["c1", "c2"]
            assert (await clarifications.answer("c1", "main")).answer == "main"
            assert (await clarifications.expire("c2")).status.value == "expired"
            assert await clarifications.expire_older_than(timedelta(0)) == 0
            assert await clarifications.list_pending() == []

    run(scenario())


def test_errors_propagate_unchanged(db: Database) -> None:
    async def scenario() -> None:
        async with AsyncApprovalStore(db) as approvals:
            await approvals.create(thread_id="t", run_id="r", tool_name="x", id="a1")
            await approvals.resolve("a1", status="rejected", resolved_by="bob")
            cases: list[tuple[type[GenieRepoError], Awaitable[Any]]] = [
                (NotFound, approvals.get("missing")),
                (Conflict, approvals.resolve("a1", status="approved", resolved_by="eve")),
                (Conflict, approvals.create(thread_id="t", run_id="r", tool_name="x", id="a1")),
                (InvalidInput, approvals.resolve("a1", status="maybe", resolved_by="eve")),
                (InvalidInput, approvals.list_pending(limit=0)),
            ]
            for error, call in cases:
                with pytest.raises(error) as caught:
                    await call
                assert type(caught.value) is error

    run(scenario())


def test_wrap_shares_a_store_and_leaves_it_to_its_owner(db: Database) -> None:
    store = ApprovalStore(db)
    store.create(thread_id="t", run_id="r", tool_name="x", id="a1")

    async def scenario() -> Approval:
        async with AsyncApprovalStore.wrap(store, max_workers=1) as approvals:
            assert approvals.store is store
            approval: Approval = await approvals.get("a1")
            return approval

    assert run(scenario()) == store.get("a1")
    with pytest.raises(TypeError):
        AsyncApprovalStore.wrap(ClarificationStore(db))


def test_constructor_options_reach_the_store_and_the_pool(db: Database) -> None:
    moment = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)

    async def scenario() -> Approval:
        async with AsyncApprovalStore(db, clock=lambda: moment, max_workers=2) as approvals:
            created: Approval = await approvals.create(thread_id="t", run_id="r", tool_name="x")
            return created

    assert run(scenario()).created_at == moment
    with pytest.raises(ValueError, match="max_workers"):
        AsyncApprovalStore(db, max_workers=0)


def test_a_closed_twin_refuses_calls(db: Database) -> None:
    async def scenario() -> None:
        approvals = AsyncApprovalStore(db)
        await approvals.aclose()
        await approvals.aclose()  # idempotent
        with pytest.raises(GenieRepoError, match="closed"):
            await approvals.get("a1")

    run(scenario())


def test_async_open_database(config: Config) -> None:
    async def scenario() -> ApprovalStatus:
        database = await aio.open_database(config)
        try:
            async with AsyncApprovalStore(database) as approvals:
                created: Approval = await approvals.create(thread_id="t", run_id="r", tool_name="x")
                return created.status
        finally:
            database.close()

    assert run(scenario()) is ApprovalStatus.PENDING


# -- concurrency -------------------------------------------------------------------------------


def test_fifty_concurrent_resolves_exactly_one_wins(db: Database) -> None:
    async def scenario() -> list[Any]:
        async with AsyncApprovalStore(db, max_workers=8) as approvals:
            await approvals.create(thread_id="t", run_id="r", tool_name="x", id="a1")
            return await asyncio.gather(
                *(approvals.resolve("a1", status="approved", resolved_by=f"user{i}")
                  for i in range(50)),
                return_exceptions=True,
            )

    results = run(scenario())
    winners = [r for r in results if isinstance(r, Approval)]
    assert len(winners) == 1 and winners[0].status is ApprovalStatus.APPROVED
    assert all(isinstance(r, Conflict) for r in results if r is not winners[0])


def test_one_twin_used_from_two_event_loops_in_two_threads(db: Database) -> None:
    approvals = AsyncApprovalStore(db)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    async def work(thread: int) -> None:
        ids = [f"t{thread}-{i}" for i in range(20)]
        await asyncio.gather(*(approvals.create(thread_id=f"t{thread}", run_id="r",
                                                tool_name="x", id=i) for i in ids))
        await asyncio.gather(*(approvals.resolve(i, status="approved", resolved_by="b")
                               for i in ids))
        assert {a.id for a in await approvals.list_by_thread(f"t{thread}")} == set(ids)

    def thread_main(thread: int) -> None:
        try:
            start.wait()
            asyncio.run(work(thread))
        except BaseException as exc:  # reported to the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=thread_main, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run(approvals.aclose())
    assert errors == []
    assert len(ApprovalStore(db).list_by_status("approved")) == 40


class WriteLock:
    """Another connection holding the write lock the twin's next write must wait for.

    A watchdog releases it after a while, so a twin that wrongly blocked the event loop makes
    the test fail instead of hang (PostgreSQL row locks have no timeout)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.guard = threading.Lock()
        self.watchdog = threading.Timer(10.0, self.release)

    def __enter__(self) -> WriteLock:
        if self.config.dialect == "sqlite":
            self.sqlite = apsw.Connection(str(self.config.sqlite_path))
            self.sqlite.execute("BEGIN IMMEDIATE")
        else:  # the row lock resolve's UPDATE waits for
            self.pg = psycopg.connect(self.config.dsn or "")
            self.pg.execute("SELECT id FROM approvals WHERE id = 'a1' FOR UPDATE")
        self.held = True
        self.watchdog.start()
        return self

    def release(self) -> None:
        with self.guard:
            if self.held:
                self.held = False
                if self.config.dialect == "sqlite":
                    self.sqlite.execute("ROLLBACK")
                else:
                    self.pg.rollback()

    def __exit__(self, *exc: object) -> None:
        self.watchdog.cancel()
        self.release()
        (self.sqlite if self.config.dialect == "sqlite" else self.pg).close()


def test_the_event_loop_keeps_running_while_a_call_waits_on_a_lock(
    db: Database, config: Config
) -> None:
    ApprovalStore(db).create(thread_id="t", run_id="r", tool_name="x", id="a1")

    async def scenario() -> tuple[int, Approval]:
        async with AsyncApprovalStore(db) as approvals:
            with WriteLock(config) as lock:
                waiting = asyncio.ensure_future(
                    approvals.resolve("a1", status="approved", resolved_by="bob"))
                beats = 0
                while beats < 20:  # were the loop blocked, no beat would run until the call
                    await asyncio.sleep(0.005)  # failed on the lock's timeout
                    beats += 1
                assert not waiting.done()  # it cannot finish while the lock is held
                lock.release()
                return beats, await waiting

    beats, resolved = run(scenario())
    assert beats == 20 and resolved.status is ApprovalStatus.APPROVED


class SignallingStore(ApprovalStore):
    """Tells the test when a resolve has reached the worker."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.started = threading.Event()

    def resolve(self, approval_id: str, **kwargs: Any) -> Approval:
        self.started.set()
        return super().resolve(approval_id, **kwargs)


def test_cancelled_await_neither_stops_a_started_call_nor_runs_a_queued_one(
    db: Database, config: Config
) -> None:
    store = SignallingStore(db)
    store.create(thread_id="t", run_id="r", tool_name="x", id="a1")
    store.create(thread_id="t", run_id="r", tool_name="x", id="a2")

    async def cancel(task: asyncio.Future[Any]) -> None:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    async def scenario() -> None:
        approvals = AsyncApprovalStore.wrap(store, max_workers=1)
        with WriteLock(config) as lock:
            started = asyncio.ensure_future(
                approvals.resolve("a1", status="approved", resolved_by="bob"))
            await asyncio.to_thread(store.started.wait)  # a1 is in the worker, on the lock
            queued = asyncio.ensure_future(
                approvals.resolve("a2", status="approved", resolved_by="bob"))
            await asyncio.sleep(0)
            await cancel(started)
            await cancel(queued)
            lock.release()
        await approvals.aclose()  # waits for the started call to finish

    run(scenario())
    assert store.get("a1").status is ApprovalStatus.APPROVED  # the started call committed
    assert store.get("a2").status is ApprovalStatus.PENDING  # the queued one never ran


def test_context_variables_reach_the_worker(db: Database) -> None:
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")
    seen: list[str] = []

    class Recording(ApprovalStore):
        def get(self, approval_id: str) -> Approval:
            seen.append(request_id.get())
            return super().get(approval_id)

    store = Recording(db)
    store.create(thread_id="t", run_id="r", tool_name="x", id="a1")

    async def scenario() -> None:
        async with AsyncApprovalStore.wrap(store) as approvals:
            request_id.set("req-7")
            await approvals.get("a1")

    run(scenario())
    assert seen == ["req-7"]
