"""The async stores: parity with every store, the two execution paths, transactions,
cancellation, several loops, and a free event loop."""

from __future__ import annotations

import asyncio
import contextvars
import importlib
import inspect
import pkgutil
import threading
from collections.abc import Coroutine
from datetime import timedelta
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
    Config,
    Conflict,
    Database,
    GenieRepoError,
    InvalidInput,
    NotFound,
    SessionKey,
    SessionStore,
)
from genie_repo.aio import (
    AsyncApprovalStore,
    AsyncClarificationStore,
    AsyncSessionStore,
    AsyncShortMemoryStore,
    generate,
    transaction,
)
from genie_repo.stores.base import Store
from tests.clock import FakeClock

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


# -- parity: generated, current, same methods and signatures ----------------------------------


def test_the_generated_async_stores_are_current() -> None:
    assert generate.TARGET.read_text(encoding="utf-8") == generate.render(), (
        "genie_repo/aio/stores.py is stale: run python -m genie_repo.aio.generate"
    )


def test_every_store_is_generated() -> None:
    assert set(generate.STORES) == set(store_classes())


@pytest.mark.parametrize("store_class", store_classes(), ids=lambda c: c.__name__)
def test_every_store_has_an_async_twin_with_the_same_signatures(store_class: type[Store]) -> None:
    twin = getattr(aio, f"Async{store_class.__name__}")
    assert twin.store_class is store_class
    methods = {
        name for name, value in inspect.getmembers(store_class, inspect.isfunction)
        if not name.startswith("_") and name not in generate.SKIPPED
    }
    twin_methods = {
        name for name, value in inspect.getmembers(twin, inspect.iscoroutinefunction)
        if not name.startswith("_") and name not in {"aclose", "__aenter__", "__aexit__"}
    }
    assert twin_methods == methods
    for name in methods:
        sync, asynchronous = (inspect.signature(getattr(c, name)) for c in (store_class, twin))
        assert sync == asynchronous, name
        assert inspect.getdoc(getattr(twin, name)) == inspect.getdoc(getattr(store_class, name))


# -- the two execution paths ----------------------------------------------------------------


class ThreadRecording(ApprovalStore):
    """Notes the thread its code runs on."""

    seen: list[tuple[str, int]] = []

    def get(self, approval_id: str) -> Approval:
        self.seen.append(("get", threading.get_ident()))
        return super().get(approval_id)

    def resolve(self, approval_id: str, **kwargs: Any) -> Approval:
        self.seen.append(("resolve", threading.get_ident()))
        return super().resolve(approval_id, **kwargs)


class AsyncThreadRecording(AsyncApprovalStore):
    store_class = ThreadRecording


def test_where_each_path_runs(db: Database) -> None:
    """PostgreSQL: every call on the loop's thread (natively async, no thread hop). SQLite: a
    read on the loop's thread; a write tried there first, stopped at its first write, then run
    whole on the worker."""
    ApprovalStore(db).create(thread_id="t", run_id="r", tool_name="x", id="a1")
    ThreadRecording.seen = []

    async def scenario() -> int:
        async with AsyncThreadRecording(db) as approvals:
            await approvals.get("a1")
            await approvals.resolve("a1", status="approved", resolved_by="bob")
        return threading.get_ident()

    loop = run(scenario())
    if db.dialect == "postgres":
        assert ThreadRecording.seen == [("get", loop), ("resolve", loop)]
    else:
        (_, got), (_, tried), (_, resolved) = ThreadRecording.seen
        assert got == tried == loop and resolved != loop
    assert ApprovalStore(db).get("a1").status is ApprovalStatus.APPROVED


def test_sqlite_caller_code_runs_once_off_the_loop(make_config: Any) -> None:
    """A method that calls the caller's code (a summarizer) is never tried on the loop."""
    from genie_repo import open_database

    db = open_database(make_config("sqlite"))
    key = SessionKey(app_name="app", user_id="u", session_id="s")
    SessionStore(db).create_session(key)
    calls: list[int] = []

    def summarize(events: Any) -> tuple[str, list[str]]:
        calls.append(threading.get_ident())
        return "a summary", []

    async def scenario() -> int:
        async with AsyncSessionStore(db) as sessions:
            await sessions.create_session_summary(key, summarize)
        return threading.get_ident()

    loop = run(scenario())
    assert len(calls) == 1 and calls[0] != loop
    assert SessionStore(db).get_summary_text(key) == "a summary"
    db.close()


def test_approval_and_clarification_methods(db: Database) -> None:
    async def scenario() -> None:
        async with AsyncApprovalStore(db) as approvals:
            made = await approvals.create(thread_id="t", run_id="r", tool_name="x", id="a1")
            assert await approvals.get("a1") == made
            assert [a.id for a in await approvals.list_pending()] == ["a1"]
            done = await approvals.resolve("a1", status="approved", resolved_by="bob")
            assert done.status is ApprovalStatus.APPROVED
        async with AsyncClarificationStore(db) as clarifications:
            asked = await clarifications.create(question="which file?")
            answered = await clarifications.answer(asked.id, "a.txt")
            assert answered.answer == "a.txt"

    run(scenario())


def test_errors_propagate_unchanged(db: Database) -> None:
    async def scenario() -> None:
        async with AsyncApprovalStore(db) as approvals:
            with pytest.raises(NotFound):
                await approvals.get("missing")
            with pytest.raises(InvalidInput):
                await approvals.create(thread_id="", run_id="r", tool_name="x")
            await approvals.create(thread_id="t", run_id="r", tool_name="x", id="a1")
            with pytest.raises(Conflict):
                await approvals.create(thread_id="t", run_id="r", tool_name="x", id="a1")

    run(scenario())


def test_constructor_options_reach_the_store(db: Database) -> None:
    clock = FakeClock()

    async def scenario() -> Approval:
        async with AsyncApprovalStore(db, clock=clock) as approvals:
            return await approvals.create(thread_id="t", run_id="r", tool_name="x")

    assert run(scenario()).created_at == clock.now


def test_a_closed_async_store_refuses_calls(db: Database) -> None:
    async def scenario() -> None:
        approvals = AsyncApprovalStore(db)
        await approvals.aclose()
        await approvals.aclose()  # idempotent
        with pytest.raises(GenieRepoError, match="closed"):
            await approvals.get("a1")

    run(scenario())


def test_a_store_built_for_the_async_path_still_works_from_a_plain_thread(db: Database) -> None:
    """A store's own background threads (summaries, auto memories) call it synchronously."""
    async def scenario() -> Approval:
        async with AsyncApprovalStore(db) as approvals:
            await approvals.create(thread_id="t", run_id="r", tool_name="x", id="a1")
            return await asyncio.to_thread(approvals.store.get, "a1")

    assert run(scenario()).id == "a1"


def test_async_open_database(config: Config) -> None:
    async def scenario() -> str:
        database = await aio.open_database(config)
        try:
            async with AsyncApprovalStore(database) as approvals:
                made = await approvals.create(thread_id="t", run_id="r", tool_name="x")
                return (await approvals.get(made.id)).id
        finally:
            await aio.aclose_database(database)

    assert run(scenario())


# -- transactions -------------------------------------------------------------------------------


def test_an_async_transaction_commits_or_rolls_back_as_a_whole(db: Database) -> None:
    key = SessionKey(app_name="app", user_id="u", session_id="s")

    async def scenario() -> None:
        async with AsyncSessionStore(db) as sessions, AsyncApprovalStore(db) as approvals:
            await sessions.create_session(key)
            async with transaction(db):
                await approvals.create(thread_id="t", run_id="r", tool_name="x", id="kept")
                await sessions.update_session_state(key, {"step": 1})
            with pytest.raises(RuntimeError):
                async with transaction(db):
                    await approvals.create(thread_id="t", run_id="r", tool_name="x", id="gone")
                    await sessions.update_session_state(key, {"step": 2})
                    raise RuntimeError("boom")

    run(scenario())
    approvals = ApprovalStore(db)
    assert approvals.get("kept").id == "kept"
    with pytest.raises(NotFound):
        approvals.get("gone")
    assert SessionStore(db).get_session(key).state == {"step": 1}


def test_nested_async_transactions_are_savepoints(db: Database) -> None:
    async def scenario() -> None:
        async with AsyncApprovalStore(db) as approvals, transaction(db):
            await approvals.create(thread_id="t", run_id="r", tool_name="x", id="outer")
            with pytest.raises(ValueError):
                async with transaction(db):
                    await approvals.create(thread_id="t", run_id="r", tool_name="x", id="inner")
                    raise ValueError
            with pytest.raises(Conflict):  # a failed statement in a savepoint undoes only it
                async with transaction(db):
                    await approvals.create(thread_id="t", run_id="r", tool_name="x", id="outer")
            await approvals.create(thread_id="t", run_id="r", tool_name="x", id="after")

    run(scenario())
    assert {a.id for a in ApprovalStore(db).list_by_thread("t")} == {"outer", "after"}


def test_another_task_never_joins_a_transaction(db: Database) -> None:
    async def scenario() -> None:
        approvals = AsyncApprovalStore(db)
        opened, checked = asyncio.Event(), asyncio.Event()

        async def writer() -> None:
            with pytest.raises(RuntimeError):
                async with transaction(db):
                    await approvals.create(thread_id="t", run_id="r", tool_name="x", id="tx")
                    opened.set()
                    await checked.wait()
                    raise RuntimeError("roll back")

        async def outsider() -> None:
            await opened.wait()
            # outside the transaction: its uncommitted row is invisible, and this write is
            # not rolled back with it (SQLite: it waits for the writer's lock, then commits)
            assert await approvals.list_by_thread("t") == []
            checked.set()
            await approvals.create(thread_id="t", run_id="r", tool_name="x", id="outside")

        await asyncio.gather(writer(), outsider())
        await approvals.aclose()

    run(scenario())
    assert [a.id for a in ApprovalStore(db).list_by_thread("t")] == ["outside"]


# -- concurrency ---------------------------------------------------------------------------------


def test_fifty_concurrent_resolves_exactly_one_wins(db: Database) -> None:
    async def scenario() -> list[Any]:
        async with AsyncApprovalStore(db) as approvals:
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


def test_a_thousand_concurrent_tasks_on_a_small_pool(make_config: Any) -> None:
    """PostgreSQL with a pool of 10 (and SQLite's worker): no error, no deadlock, all done."""
    for dialect in ("postgres", "sqlite"):
        config = make_config(dialect)
        database = aio_database(config, max_size=10)
        try:
            async def scenario(db: Database = database) -> int:
                async with AsyncShortMemoryStore(db) as memory:
                    wins = await asyncio.gather(*(
                        memory.set_if_absent("dedup", f"k{i % 250}", "v", timedelta(hours=1))
                        for i in range(1000)
                    ))
                    values = await asyncio.gather(*(
                        memory.get("dedup", f"k{i}") for i in range(250)))
                assert values == ["v"] * 250
                return sum(wins)

            assert run(scenario()) == 250
        finally:
            database.close()


def aio_database(config: Config, *, max_size: int) -> Database:
    from dataclasses import replace

    from genie_repo import open_database

    return open_database(replace(config, pool=replace(config.pool, max_size=max_size)))


def test_one_async_store_used_from_two_event_loops_in_two_threads(db: Database) -> None:
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
        await db.async_runner().aclose()

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
    assert errors == []
    assert len(ApprovalStore(db).list_by_status("approved")) == 40


class WriteLock:
    """Another connection holding the write lock the async store's next write must wait for.

    A watchdog releases it after a while, so a store that wrongly blocked the event loop makes
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


# -- cancellation -------------------------------------------------------------------------------


class Signalling(ApprovalStore):
    """Tells the test when a resolve has started on the worker (not the try on the loop)."""

    started = threading.Event()

    def resolve(self, approval_id: str, **kwargs: Any) -> Approval:
        if threading.current_thread() is not threading.main_thread():
            type(self).started.set()
        return super().resolve(approval_id, **kwargs)


class AsyncSignalling(AsyncApprovalStore):
    store_class = Signalling


async def _cancel(task: asyncio.Future[Any]) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_sqlite_cancelled_await_neither_stops_a_started_call_nor_runs_a_queued_one(
    make_config: Any,
) -> None:
    config = make_config("sqlite")
    from genie_repo import open_database

    db = open_database(config)
    store = ApprovalStore(db)
    store.create(thread_id="t", run_id="r", tool_name="x", id="a1")
    store.create(thread_id="t", run_id="r", tool_name="x", id="a2")
    Signalling.started = threading.Event()

    async def scenario() -> None:
        approvals = AsyncSignalling(db)
        with WriteLock(config) as lock:
            started = asyncio.ensure_future(
                approvals.resolve("a1", status="approved", resolved_by="bob"))
            await asyncio.to_thread(Signalling.started.wait)  # a1 runs, waiting on the lock
            queued = asyncio.ensure_future(
                approvals.resolve("a2", status="approved", resolved_by="bob"))
            await asyncio.sleep(0)
            await _cancel(started)
            await _cancel(queued)
            lock.release()
        await approvals.expire_stale()  # a write, queued behind the started call

    run(scenario())
    assert store.get("a1").status is ApprovalStatus.APPROVED  # the started call committed
    assert store.get("a2").status is ApprovalStatus.PENDING  # the queued one never ran
    db.close()


def test_a_cancelled_transaction_rolls_back_whole(db: Database) -> None:
    """Cancelled mid-transaction (between two writes), nothing of it stays, on both paths."""
    key = SessionKey(app_name="app", user_id="u", session_id="s")
    SessionStore(db).create_session(key)

    async def scenario() -> None:
        sessions = AsyncSessionStore(db)
        approvals = AsyncApprovalStore(db)
        wrote, never = asyncio.Event(), asyncio.Event()

        async def work() -> None:
            async with transaction(db):
                await approvals.create(thread_id="t", run_id="r", tool_name="x", id="half")
                await sessions.update_session_state(key, {"half": True})
                wrote.set()
                await never.wait()

        task = asyncio.ensure_future(work())
        await wrote.wait()
        await _cancel(task)
        await sessions.aclose()

    run(scenario())
    assert ApprovalStore(db).list_by_thread("t") == []
    assert SessionStore(db).get_session(key).state == {}


def test_context_variables_reach_the_store_code(db: Database) -> None:
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")
    seen: list[str] = []

    class Recording(ApprovalStore):
        def get(self, approval_id: str) -> Approval:
            seen.append(request_id.get())
            return super().get(approval_id)

    class AsyncRecording(AsyncApprovalStore):
        store_class = Recording

    ApprovalStore(db).create(thread_id="t", run_id="r", tool_name="x", id="a1")

    async def scenario() -> None:
        async with AsyncRecording(db) as approvals:
            request_id.set("req-7")
            await approvals.get("a1")

    run(scenario())
    assert seen == ["req-7"]
