"""SQLite's async path: reads on the loop's thread, everything else whole on a worker thread.

apsw has no async API, and a SQLite statement is a function call of a few microseconds. A
thread hop costs more than that (two thread wake-ups: 20-60 us, most of it the idle core's
wake-up), so a call that only reads runs at once, on the loop's thread, as the same code's
statements do on PostgreSQL: a read in WAL mode never waits for a writer. A call that writes,
or would wait for a lock, crosses threads once, whatever it runs: the awaiting task puts the
call on a queue read by the database's worker, and the worker settles the task's future through
the loop (no executor bookkeeping, no per-statement hops as in aiosqlite).

An async transaction gets a lane of its own: a thread that runs only that transaction's calls,
so its statements never interleave with another task's, and other tasks' calls keep flowing on
the shared worker meanwhile (a writer waiting for SQLite's lock delays only itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import queue
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from genie_repo.errors import GenieRepoError

if TYPE_CHECKING:
    from genie_repo.db.sqlite import SqliteDatabase

P = ParamSpec("P")
T = TypeVar("T")
_Job = tuple[asyncio.Future[Any], asyncio.AbstractEventLoop, contextvars.Context,
             Callable[..., Any], tuple[Any, ...], dict[str, Any]]

# The lane of the async transaction open in this context, per worker.
_LANES: contextvars.ContextVar[dict[SqliteWorker, _Lane]] = contextvars.ContextVar(
    "genie_repo_sqlite_lane", default={}  # noqa: B039  (never mutated, only replaced)
)


class _Lane:
    """One thread serving one queue of calls until it is told to stop."""

    def __init__(self, name: str) -> None:
        self.queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        """Run jobs in order. Outcomes go back to their loops in batches: one wake-up of a
        loop per burst of calls, not one per call, and at once when the queue runs dry."""
        get, empty = self.queue.get, self.queue.empty
        done: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
        while True:
            if done and empty():
                _deliver(done)
            job = get()
            if job is None:
                _deliver(done)
                return
            future, loop, context, function, args, kwargs = job
            if future.cancelled():  # cancelled while queued: the call never runs
                continue
            try:
                outcome = (future, True, context.run(function, *args, **kwargs))
            except BaseException as exc:  # noqa: BLE001  handed to the awaiting task
                outcome = (future, False, exc)
            done.setdefault(loop, []).append(outcome)

    def stop(self) -> None:
        self.queue.put(None)


def _deliver(
    done: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]],
) -> None:
    for loop, outcomes in done.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting
            loop.call_soon_threadsafe(_settle, outcomes)
    done.clear()


def _settle(outcomes: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for future, ok, value in outcomes:
        if future.cancelled():  # cancelled while running: the call finished, result dropped
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


class SqliteWorker:
    """The async runner of one `SqliteDatabase`: its worker thread and transaction lanes."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.database = db
        self._lock = threading.Lock()
        self._shared: _Lane | None = None
        self._idle_lanes: list[_Lane] = []
        self._closed = False

    def __repr__(self) -> str:
        return f"SqliteWorker({self.database.path})"

    async def run(self, function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """A call that only reads runs at once on the loop's thread (a read in WAL mode never
        waits for a writer; tried with `query_only` and no busy wait, so a call that would
        write or wait stops at its first such statement, having changed nothing). Any other
        call runs on the worker (or the open transaction's lane) and is awaited: cancelled
        while queued, it never runs; cancelled while running, it completes (commit or
        rollback, as the sync call would) and its result is dropped."""
        lane = _LANES.get().get(self)
        if lane is None:
            self._check_open()
            if not getattr(function, "runs_caller_code", False):
                done, result = self.database.run_if_read_only(function, args, kwargs)
                if done:
                    return result  # type: ignore[no-any-return]
            lane = self._shared or self._start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        lane.queue.put((future, loop, contextvars.copy_context(), function, args, kwargs))
        return await future

    def _start(self) -> _Lane:
        with self._lock:
            self._check_open()
            if self._shared is None:
                self._shared = _Lane(f"genie-sqlite-{self.database.path.name}")
            return self._shared

    def _check_open(self) -> None:
        if self._closed:
            raise GenieRepoError("database is closed", dialect="sqlite")

    @asynccontextmanager
    async def async_transaction(self, *, readonly: bool = False) -> AsyncIterator[None]:
        """An async transaction for the calling task, on a lane of its own: the async stores it
        calls share it. Commit on success, roll back on any exception (cancellation included);
        nested calls are savepoints."""
        lanes = _LANES.get()
        lane = lanes.get(self)
        token = None
        if lane is None:
            with self._lock:
                self._check_open()
                lane = self._idle_lanes.pop() if self._idle_lanes else _Lane("genie-sqlite-tx")
            token = _LANES.set({**lanes, self: lane})
        try:
            manager: AbstractContextManager[Any] = self.database.transaction(readonly=readonly)
            await self.run(manager.__enter__)
            try:
                yield
            except BaseException as exc:
                # The rollback must run even when this task is being cancelled.
                if not await asyncio.shield(
                    self.run(manager.__exit__, type(exc), exc, exc.__traceback__)
                ):
                    raise
            else:
                await asyncio.shield(self.run(manager.__exit__, None, None, None))
        finally:
            if token is not None:
                _LANES.reset(token)
                with self._lock:
                    if self._closed:
                        lane.stop()
                    else:
                        self._idle_lanes.append(lane)

    async def aclose(self) -> None:
        """Nothing belongs to one event loop here; `close()` (the database's) stops the
        threads."""

    def close(self) -> None:
        """Stop the threads once their queued calls are done; later calls raise."""
        with self._lock:
            self._closed = True
            lanes = [*self._idle_lanes, *([self._shared] if self._shared else [])]
            self._idle_lanes, self._shared = [], None
        for lane in lanes:
            lane.stop()
