"""What every async store shares: its runner, the sync store whose code it runs, and closing."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, ClassVar, Generic, ParamSpec, TypeVar

from genie_repo.db.protocol import AsyncRunner, Database
from genie_repo.errors import GenieRepoError
from genie_repo.stores.base import Store

S = TypeVar("S", bound=Store)
P = ParamSpec("P")
T = TypeVar("T")
A = TypeVar("A", bound="AsyncStore[Any]")


class AsyncStore(Generic[S]):
    """The async twin of one store class. The store's own code runs for every call: on
    PostgreSQL on the event loop with its statements awaited natively, on SQLite whole on the
    database's worker thread (see `genie_repo.aio`)."""

    store_class: ClassVar[type[Store]]
    store: S  # the store whose code every call runs, built on the runner's database

    def __init__(self, db: Database, /, *args: Any, **options: Any) -> None:
        """Build the store from `db` (other arguments go to its constructor, e.g. `clock=`)."""
        self.runner: AsyncRunner = db.async_runner()
        self.store = self.store_class(self.runner.database, *args, **options)  # type: ignore[assignment]
        self._closed = False

    async def _run(self, method: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        if self._closed:
            raise GenieRepoError(f"{type(self).__name__} is closed")
        return await self.runner.run(method, *args, **kwargs)

    async def aclose(self) -> None:
        """Refuse new calls and close the store's own workers, if it has any (the database
        stays open: it belongs to the caller). Idempotent."""
        if self._closed:
            return
        self._closed = True
        close = getattr(self.store, "close", None)
        if callable(close):
            await self.runner.run(close)

    async def __aenter__(self: A) -> A:
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
        return f"<{type(self).__name__} over {self.runner!r}{state}>"
