"""PostgreSQL's async path: the stores' own code, its statements awaited on the event loop.

`PostgresBridge` is a `Database` whose five verbs do not block: each one hands a coroutine to
`await_only` when the store code calling it runs under `run` (see `genie_repo.db.bridge`).
Called from anywhere else (a store's own background worker thread), it takes the synchronous
path of the database it belongs to.

One statement is one await of one coroutine (take a connection, execute, fetch, give it back), so
a call costs one greenlet round trip per statement, on top of psycopg's own async I/O.

Each event loop gets its own `AsyncPool` (asyncio connections belong to one loop), made on first
use with the same settings as the synchronous pool. An open async transaction is a
context variable, so it follows the task that opened it, and only that task.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, ParamSpec, TypeVar

import psycopg
from psycopg_pool import PoolTimeout

from genie_repo.db.async_pool import AsyncPool
from genie_repo.db.bridge import await_only, in_bridge, run_bridged
from genie_repo.db.calls import check_verb, first_value, prepare, single_row
from genie_repo.db.postgres import PostgresDatabase, translate
from genie_repo.db.protocol import Dialect, Params, Row
from genie_repo.errors import GenieRepoError, TransientError
from genie_repo.queries import Query
from genie_repo.timestamps import require_utc

P = ParamSpec("P")
T = TypeVar("T")
AsyncConn = psycopg.AsyncConnection[Any]

# The connection of the async transaction open in this context, per bridge.
_OPEN: contextvars.ContextVar[dict[PostgresBridge, AsyncConn]] = contextvars.ContextVar(
    "genie_repo_pg_async_transaction", default={}  # noqa: B039  (never mutated, only replaced)
)
_FETCH, _COUNT, _MANY = 0, 1, 2


class PostgresBridge:
    """The async twin of a `PostgresDatabase`: same registry, settings and error mapping."""

    dialect: Dialect = "postgres"

    def __init__(self, sync: PostgresDatabase) -> None:
        self.sync = sync
        self.registry = sync.registry
        self.config = sync.config
        self._pools: dict[asyncio.AbstractEventLoop, AsyncPool] = {}

    def __repr__(self) -> str:
        return f"PostgresBridge({self.sync!r})"

    @property
    def database(self) -> PostgresBridge:
        """What an async store's code runs against (this bridge itself)."""
        return self

    def async_runner(self) -> PostgresBridge:
        return self

    async def run(self, function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run store code on this loop, awaiting its statements; no thread is involved."""
        return await run_bridged(function, *args, **kwargs)

    # -- pools ----------------------------------------------------------------------------------

    async def _pool(self) -> AsyncPool:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            for stale in [other for other in self._pools if other.is_closed()]:
                self._pools.pop(stale).close_now()
            pool = self._pools[loop] = AsyncPool(
                self.sync._conninfo, self.sync._connect_kwargs, self.config.pool
            )
        return pool

    async def aclose(self) -> None:
        """Close this loop's pool (each loop's pool is closed from its own loop)."""
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool.close()

    def close(self) -> None:
        """Close every loop's pool: a running loop's through that loop, an ended loop's
        connections directly."""
        pools, self._pools = self._pools, {}
        try:
            here: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        for loop, pool in pools.items():
            if loop is here or not loop.is_running():
                pool.close_now()
            else:
                asyncio.run_coroutine_threadsafe(pool.close(), loop).result(timeout=10)

    # -- transactions ---------------------------------------------------------------------------

    @asynccontextmanager
    async def async_transaction(self, *, readonly: bool = False) -> AsyncIterator[None]:
        """An async transaction for the calling task: the async stores it calls share it.
        Commit on success, roll back on any exception (cancellation included); nested calls
        are savepoints."""
        open_now = _OPEN.get()
        outer = open_now.get(self)
        if outer is not None:
            async with self._wrap(outer.transaction()):
                yield
            return
        pool = await self._pool()
        try:
            conn = await pool.get()
        except (psycopg.Error, PoolTimeout) as exc:
            raise self._error(exc, None) from exc
        try:
            token = _OPEN.set({**open_now, self: conn})
            try:
                async with self._wrap(conn.transaction()):
                    if readonly:
                        await conn.execute("SET TRANSACTION READ ONLY")
                    yield
            finally:
                _OPEN.reset(token)
        finally:
            await pool.put(conn)

    @asynccontextmanager
    async def _wrap(self, block: Any) -> AsyncIterator[None]:
        try:
            async with block:
                yield
        except psycopg.Error as exc:
            raise self._error(exc, None) from exc

    # -- the Database protocol, for store code running under `run` ------------------------------

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[PostgresBridge]:
        """For store code running under `run`: `async_transaction`, entered and left one
        await at a time."""
        if not in_bridge():
            with self.sync.transaction(readonly=readonly):
                yield self
            return
        manager = self.async_transaction(readonly=readonly)
        await_only(manager.__aenter__())
        try:
            yield self
        except BaseException as exc:
            if not await_only(manager.__aexit__(type(exc), exc, exc.__traceback__)):
                raise
        else:
            await_only(manager.__aexit__(None, None, None))

    def execute(self, name: str, params: Params | None = None) -> int:
        if not in_bridge():
            return self.sync.execute(name, params)
        query = self.registry[name]
        values = prepare(query, "execute", params, require_utc)
        return await_only(self._statement(query, values, _COUNT))  # type: ignore[no-any-return]

    def execute_many(self, name: str, rows: Iterable[Params]) -> int:
        if not in_bridge():
            return self.sync.execute_many(name, rows)
        query = self.registry[name]
        check_verb(query, "execute_many")
        prepared = [prepare(query, "execute_many", r, require_utc) for r in rows]
        if not prepared:
            return 0
        return await_only(self._statement(query, prepared, _MANY))  # type: ignore[no-any-return]

    def fetch_one(self, name: str, params: Params | None = None) -> Row | None:
        if not in_bridge():
            return self.sync.fetch_one(name, params)
        query = self.registry[name]
        values = prepare(query, "fetch_one", params, require_utc)
        return single_row(query, await_only(self._statement(query, values, _FETCH)), "postgres")

    def fetch_all(self, name: str, params: Params | None = None) -> list[Row]:
        if not in_bridge():
            return self.sync.fetch_all(name, params)
        query = self.registry[name]
        values = prepare(query, "fetch_all", params, require_utc)
        return await_only(self._statement(query, values, _FETCH))

    def fetch_value(self, name: str, params: Params | None = None) -> Any:
        if not in_bridge():
            return self.sync.fetch_value(name, params)
        query = self.registry[name]
        values = prepare(query, "fetch_value", params, require_utc)
        return first_value(await_only(self._statement(query, values, _FETCH)))

    # -- internals ------------------------------------------------------------------------------

    async def _statement(self, query: Query, values: Any, mode: int) -> Any:
        """One statement, awaited whole: on the open transaction's connection, else on one
        taken from the pool and given back (autocommit; `execute_many` in its own
        transaction)."""
        conn = _OPEN.get().get(self)
        if conn is not None:
            return await self._on(conn, query, values, mode, None)
        pool = self._pools.get(asyncio.get_running_loop()) or await self._pool()
        try:
            conn = await pool.get()
        except (psycopg.Error, PoolTimeout) as exc:
            raise await self._failed(exc, query, pool) from exc
        try:
            if mode == _MANY:
                try:
                    async with conn.transaction():
                        return await self._on(conn, query, values, mode, pool)
                except psycopg.Error as exc:  # the commit of execute_many's own transaction
                    raise await self._failed(exc, query, pool) from exc
            return await self._on(conn, query, values, mode, pool)
        finally:
            await pool.put(conn)

    async def _on(
        self, conn: AsyncConn, query: Query, values: Any, mode: int, pool: AsyncPool | None
    ) -> Any:
        try:
            if mode == _MANY:
                async with conn.cursor() as cursor:
                    await cursor.executemany(query.sql, values)
                    return max(cursor.rowcount, 0)
            cursor = await conn.execute(query.sql, values)
            if mode == _COUNT:
                return max(cursor.rowcount, 0)
            return await cursor.fetchall()
        except (psycopg.Error, UnicodeEncodeError) as exc:
            raise await self._failed(exc, query, pool) from exc

    async def _failed(
        self, exc: BaseException, query: Query | None, pool: AsyncPool | None
    ) -> GenieRepoError:
        """Our error for a driver error; after a lost connection the idle ones are dropped."""
        error = self._error(exc, query)
        if isinstance(error, TransientError) and pool is not None:
            await pool.drop_idle()
        return error

    def _error(self, exc: BaseException, query: Query | None) -> GenieRepoError:
        return translate(exc, query, self.sync._password)

