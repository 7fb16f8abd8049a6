"""The one protocol both adapters implement; stores talk only to this.

A store names a registry query and passes one dict of parameters; rows come back as dicts whose
values are already plain Python (aware UTC datetimes, bools, str, bytes, int, float) whatever the
dialect. JSON columns come back as text in both dialects; the store decodes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import Any, Literal, ParamSpec, Protocol, TypeVar

from genie_repo.queries import Kind, QueryRegistry

Dialect = Literal["sqlite", "postgres"]
Row = dict[str, Any]
Params = Mapping[str, Any]
P = ParamSpec("P")
T = TypeVar("T")

# Which query kinds each verb may run: a mismatch is a programming error caught at the call.
VERB_KINDS: dict[str, frozenset[Kind]] = {
    "execute": frozenset({"exec"}),
    "execute_many": frozenset({"batch"}),
    "fetch_one": frozenset({"one", "opt"}),
    "fetch_all": frozenset({"many"}),
    "fetch_value": frozenset({"scalar"}),
}


class Executor(Protocol):
    def execute(self, name: str, params: Params | None = None) -> int:
        """Run an `:exec` query; returns the number of rows it changed."""
        ...

    def execute_many(self, name: str, rows: Iterable[Params]) -> int:
        """Run a `:batch` query once per parameter dict: all or nothing in its own transaction,
        or as part of the caller's open one (which then rolls back as a whole on error)."""
        ...

    def fetch_one(self, name: str, params: Params | None = None) -> Row | None:
        """`:opt` returns the row or None; `:one` raises NotFound when there is none."""
        ...

    def fetch_all(self, name: str, params: Params | None = None) -> list[Row]: ...

    def fetch_value(self, name: str, params: Params | None = None) -> Any:
        """First column of the first row of a `:scalar` query, or None."""
        ...


class Transaction(Executor, Protocol):
    """Executor bound to one open transaction (one connection)."""


class Database(Executor, Protocol):
    dialect: Dialect
    registry: QueryRegistry

    def transaction(self, *, readonly: bool = False) -> AbstractContextManager[Transaction]:
        """Commit on success, roll back on any exception; nested calls are savepoints."""
        ...

    def async_runner(self) -> AsyncRunner:
        """How this database's store code runs for async callers (one per database)."""
        ...

    def close(self) -> None: ...


class AsyncRunner(Protocol):
    """Runs synchronous store code for async callers without blocking the event loop:
    on PostgreSQL on the loop itself (statements awaited natively), on SQLite on a worker."""

    @property
    def database(self) -> Database:
        """The database the async stores' code runs against."""
        ...

    async def run(self, function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `function(*args, **kwargs)` and await its result."""
        ...

    def async_transaction(self, *, readonly: bool = False) -> AbstractAsyncContextManager[None]:
        """A transaction shared by the async store calls of the task that opened it."""
        ...

    async def aclose(self) -> None: ...


