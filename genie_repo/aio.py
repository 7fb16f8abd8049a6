"""Async twins of the stores: the same methods, awaitable, never blocking the event loop.

There is one implementation of every operation, the synchronous store. A twin is declared in
one line, `class AsyncApprovalStore(AsyncTwin[ApprovalStore])`, and gets, when the class is
created, one coroutine method per public method of the store: same name, signature and
docstring, running the sync method on the twin's own bounded thread pool. Sync and async cannot
drift because nothing is written twice.

What a caller can rely on:
- The event loop never waits on the database: every call runs on a worker thread, so a SQLite
  busy wait or a slow PostgreSQL query only delays the awaiting task. The bounded pool also
  bounds connections (SQLite opens one per thread; keep `max_workers` within the PostgreSQL
  pool's `max_size`, or calls queue on the pool).
- Errors are the store's own exceptions (NotFound, Conflict, InvalidInput, ...), unchanged.
- A twin may be awaited from any number of event loops and threads at once; the worker runs the
  call with the caller's context variables.
- Cancellation: cancelling an await whose call has not started yet means the call never runs.
  A call that has started runs to completion in its worker (commit or rollback, as the sync
  store would) and its result is dropped: a cancelled await does not undo a write.
- `aclose()` (or `async with`) waits for running calls, closes what the twin created (the
  store, when built from a Database and having `close()`; the pool, unless one was passed in).

Store methods must return values, not lazy iterators: a generator would pull rows on whatever
thread iterates it, so a twin refuses a store with a public generator method.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from types import FunctionType, TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, get_args, get_origin

from genie_repo.config import Config
from genie_repo.db import Database
from genie_repo.db import open_database as open_database_sync
from genie_repo.errors import GenieRepoError
from genie_repo.stores.approvals import ApprovalStore
from genie_repo.stores.base import Store
from genie_repo.stores.checkpoints import CheckpointStore
from genie_repo.stores.clarifications import ClarificationStore
from genie_repo.stores.cron import CronStore
from genie_repo.stores.items import ItemStore
from genie_repo.stores.memories import MemoryStore
from genie_repo.stores.sessions import SessionStore
from genie_repo.stores.short_memory import ShortMemoryStore
from genie_repo.stores.stats import StatsStore

S = TypeVar("S", bound=Store)
T = TypeVar("T", bound="AsyncTwin[Any]")

DEFAULT_MAX_WORKERS = 4
_TWIN_OPTIONS = frozenset({"max_workers", "executor"})


class AsyncTwin(Generic[S]):
    """Base of the async twins; subclass it as `AsyncTwin[SomeStore]` and nothing else."""

    store_class: ClassVar[type[Store]]
    store: S  # the sync store every call runs on

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        store_class = _declared_store_class(cls)
        if store_class is None:  # a subclass of a twin inherits its methods
            return
        cls.store_class = store_class
        _check_twinnable(store_class)
        for name, function in _public_methods(store_class).items():
            setattr(cls, name, _twin_method(cls, name, function))
        if cls.__doc__ is None:
            cls.__doc__ = f"Async twin of {store_class.__name__}. {store_class.__doc__ or ''}"

    def __init__(
        self,
        db: Database,
        /,
        *args: Any,
        max_workers: int = DEFAULT_MAX_WORKERS,
        executor: Executor | None = None,
        **options: Any,
    ) -> None:
        """Build the sync store from `db` (other arguments go to its constructor, e.g.
        `clock=`); the twin owns that store and closes it in `aclose()`."""
        _check_pool_options(max_workers, executor)  # before a store (and its workers) exists
        self._adopt(self.store_class(db, *args, **options), max_workers, executor, owns_store=True)

    @classmethod
    def wrap(
        cls: type[T],
        store: Store,
        /,
        *,
        max_workers: int = DEFAULT_MAX_WORKERS,
        executor: Executor | None = None,
    ) -> T:
        """A twin over an existing store, shared with sync code; the caller keeps closing it."""
        if not isinstance(store, cls.store_class):
            raise TypeError(f"{cls.__name__} wraps a {cls.store_class.__name__}, not {store!r}")
        _check_pool_options(max_workers, executor)
        twin = cls.__new__(cls)
        twin._adopt(store, max_workers, executor, owns_store=False)
        return twin

    def _adopt(
        self, store: Store, max_workers: int, executor: Executor | None, *, owns_store: bool
    ) -> None:
        self.store = store  # type: ignore[assignment]  # checked: an instance of store_class
        self._owns_store = owns_store
        self._owns_executor = executor is None
        self._executor = executor or ThreadPoolExecutor(
            max_workers, thread_name_prefix=f"genie-{type(store).__name__}"
        )
        self._closed = False

    async def _call(self, function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Run `function` on the pool and await it; the loop stays free meanwhile."""
        if self._closed:
            raise GenieRepoError(f"{type(self).__name__} is closed")
        return await self._submit(function, *args, **kwargs)

    def _submit(
        self, function: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> asyncio.Future[Any]:
        # run_in_executor cancels a call still queued when its await is cancelled, and lets a
        # started one finish (a thread cannot be interrupted); the context copy carries the
        # caller's context variables (logging, tracing) into the worker, as asyncio.to_thread.
        call = functools.partial(contextvars.copy_context().run, function, *args, **kwargs)
        return asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def aclose(self) -> None:
        """Refuse new calls, wait for running ones, then close the store if the twin built it
        and the thread pool if the twin made it. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            close = getattr(self.store, "close", None)
            if self._owns_store and callable(close):
                await self._submit(close)
        finally:
            if self._owns_executor:
                executor = self._executor
                await asyncio.to_thread(executor.shutdown, wait=True)

    async def __aenter__(self: T) -> T:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        state = " closed" if self._closed else ""
        return f"<{type(self).__name__} over {self.store!r}{state}>"

    if TYPE_CHECKING:  # the twinned methods are made at class creation, out of mypy's sight

        def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]: ...


def _check_pool_options(max_workers: int, executor: Executor | None) -> None:
    if executor is None and (not isinstance(max_workers, int) or max_workers < 1):
        raise ValueError("max_workers must be a positive int")


def _declared_store_class(cls: type) -> type[Store] | None:
    for base in cls.__dict__.get("__orig_bases__", ()):
        if get_origin(base) is AsyncTwin:
            (store_class,) = get_args(base)
            if not (isinstance(store_class, type) and issubclass(store_class, Store)):
                raise TypeError(f"{cls.__name__}: AsyncTwin[...] takes a Store subclass")
            return store_class
    if AsyncTwin in cls.__bases__:
        raise TypeError(f"{cls.__name__} must subclass AsyncTwin[SomeStore]")
    return None


def _public_methods(store_class: type[Store]) -> dict[str, FunctionType]:
    """Every public plain method of the store and its bases (not static or class methods)."""
    names = {
        name
        for klass in store_class.__mro__
        if klass is not object
        for name, value in vars(klass).items()
        if not name.startswith("_") and isinstance(value, FunctionType)
    }
    methods = {name: getattr(store_class, name) for name in sorted(names)}
    return {name: f for name, f in methods.items() if isinstance(f, FunctionType)}


def _check_twinnable(store_class: type[Store]) -> None:
    methods = _public_methods(store_class)
    reserved = {"store", "store_class"} | {n for n in vars(AsyncTwin) if not n.startswith("_")}
    taken = sorted(set(methods) & reserved)
    if taken:
        raise TypeError(f"{store_class.__name__} methods clash with the twin's own: {taken}")
    lazy = sorted(name for name, f in methods.items() if inspect.isgeneratorfunction(f))
    if lazy:
        raise TypeError(
            f"{store_class.__name__}.{lazy[0]} is a generator: return a list, so the rows are "
            "read on the worker thread, not on the event loop"
        )
    init_options = set(inspect.signature(store_class.__init__).parameters)
    if init_options & _TWIN_OPTIONS:
        raise TypeError(f"{store_class.__name__}() takes an option reserved by the twin")


def _twin_method(
    twin_class: type, name: str, function: FunctionType
) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(function)  # name, docstring, and (via __wrapped__) the signature
    async def method(self: AsyncTwin[Any], /, *args: Any, **kwargs: Any) -> Any:
        return await self._call(getattr(self.store, name), *args, **kwargs)

    method.__qualname__ = f"{twin_class.__qualname__}.{name}"
    method.__module__ = twin_class.__module__
    return method


async def open_database(config: Config | None = None) -> Database:
    """`genie_repo.open_database` off the event loop (PostgreSQL connects when opened)."""
    return await asyncio.to_thread(open_database_sync, config)


class AsyncApprovalStore(AsyncTwin[ApprovalStore]):
    """Async twin of ApprovalStore."""


class AsyncClarificationStore(AsyncTwin[ClarificationStore]):
    """Async twin of ClarificationStore."""


class AsyncStatsStore(AsyncTwin[StatsStore]):
    """Async twin of StatsStore."""


class AsyncSessionStore(AsyncTwin[SessionStore]):
    """Async twin of SessionStore."""


class AsyncCheckpointStore(AsyncTwin[CheckpointStore]):
    """Async twin of CheckpointStore."""


class AsyncMemoryStore(AsyncTwin[MemoryStore]):
    """Async twin of MemoryStore."""


class AsyncShortMemoryStore(AsyncTwin[ShortMemoryStore]):
    """Async twin of ShortMemoryStore."""


class AsyncCronStore(AsyncTwin[CronStore]):
    """Async twin of CronStore."""


class AsyncItemStore(AsyncTwin[ItemStore]):
    """Async twin of ItemStore."""


__all__ = [
    "AsyncApprovalStore",
    "AsyncCheckpointStore",
    "AsyncClarificationStore",
    "AsyncCronStore",
    "AsyncItemStore",
    "AsyncMemoryStore",
    "AsyncSessionStore",
    "AsyncShortMemoryStore",
    "AsyncStatsStore",
    "AsyncTwin",
    "open_database",
]
