"""Every store test runs on both APIs: the sync store, and its async twin driven to completion
one call at a time (`Blocking`), so the same assertions hold the async path to the same rules."""

from __future__ import annotations

import asyncio
import inspect
import threading
from typing import Any

import genie_repo.aio as aio
from genie_repo.aio import AsyncStore
from genie_repo.db import Database
from genie_repo.stores.base import Store

APIS = ["sync", "async"]


class Builder:
    """Builds a test's stores for its API; `finish()` closes what it built. Each thread that
    calls an async store gets an event loop of its own (tests race stores from threads)."""

    def __init__(self, api: str) -> None:
        self.api = api
        self._lock = threading.Lock()
        self._runners: dict[int, asyncio.Runner] = {}
        self._databases: list[Database] = []

    def __call__(self, store_class: type[Store], db: Database, **options: Any) -> Any:
        if self.api == "sync":
            return store_class(db, **options)
        twin = getattr(aio, f"Async{store_class.__name__}")(db, **options)
        self._databases.append(db)
        return Blocking(twin, self)

    def runner(self) -> asyncio.Runner:
        with self._lock:
            return self._runners.setdefault(threading.get_ident(), asyncio.Runner())

    def finish(self) -> None:
        for runner in self._runners.values():
            for db in self._databases:  # each loop has its own async pool
                runner.run(db.async_runner().aclose())
            runner.close()


class Blocking:
    """An async store behind the sync store's interface: each awaitable method runs to completion
    on the calling thread's event loop; anything else is the store's (e.g. `now()`, `db`)."""

    def __init__(self, twin: AsyncStore[Any], builder: Builder) -> None:
        self._twin = twin
        self._builder = builder

    def __getattr__(self, name: str) -> Any:
        method = getattr(type(self._twin), name, None)
        if method is not None and inspect.iscoroutinefunction(method):
            bound = getattr(self._twin, name)
            return lambda *args, **kwargs: self._builder.runner().run(bound(*args, **kwargs))
        return getattr(self._twin.store, name)

    def close(self) -> None:
        self._builder.runner().run(self._twin.aclose())
