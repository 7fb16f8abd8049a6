"""A small pool of psycopg async connections for one event loop, with no background tasks.

psycopg_pool's AsyncConnectionPool keeps worker and scheduler tasks alive on the loop; a loop
that ends without closing the pool (every `asyncio.run` whose code forgot to) cancels them, and a
worker cancelled while it connects can leave `asyncio.run` waiting forever. This pool does its
work inside the calls that need it: a connection is made when none is idle, checked when taken
(closed, broken, past `max_lifetime` or `max_idle`: replaced), and kept when given back clean.
At most `max_size` connections are out at once; waiting longer than `timeout` is PoolTimeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from psycopg_pool import PoolTimeout

from genie_repo.config import PoolOptions

AsyncConn = psycopg.AsyncConnection[Any]


class AsyncPool:
    """Connections of one event loop: taken with `get`, always given back with `put`."""

    def __init__(self, conninfo: str, kwargs: dict[str, Any], options: PoolOptions) -> None:
        self._conninfo = conninfo
        self._kwargs = kwargs
        self._options = options
        self._slots = asyncio.Semaphore(options.max_size)
        self._idle: list[tuple[AsyncConn, float, float]] = []  # (conn, born, idle since)
        self._born: dict[int, float] = {}
        self.closed = False

    async def get(self) -> AsyncConn:
        if self.closed:
            raise PoolTimeout("the async pool is closed")
        if self._slots.locked():
            try:
                await asyncio.wait_for(self._slots.acquire(), self._options.timeout)
            except TimeoutError:
                raise PoolTimeout(
                    f"no connection free in {self._options.timeout:g} s "
                    f"(max_size {self._options.max_size})"
                ) from None
        else:
            await self._slots.acquire()  # free: returns without suspending
        try:
            return await self._take()
        except BaseException:
            self._slots.release()
            raise

    async def _take(self) -> AsyncConn:
        now = time.monotonic()
        while self._idle:
            conn, born, since = self._idle.pop()
            if (conn.closed or conn.broken or now - born > self._options.max_lifetime
                    or now - since > self._options.max_idle):
                await self._discard(conn)
                continue
            self._born[id(conn)] = born
            return conn
        conn = await psycopg.AsyncConnection.connect(self._conninfo, **self._kwargs)
        self._born[id(conn)] = now
        return conn

    async def put(self, conn: AsyncConn) -> None:
        """Keep a clean connection for the next caller; close one left in a transaction, in
        error or broken (e.g. by a cancelled statement)."""
        born = self._born.pop(id(conn), 0.0)
        try:
            if (self.closed or conn.closed or conn.broken
                    or conn.info.transaction_status != TransactionStatus.IDLE):
                await self._discard(conn)
            else:
                self._idle.append((conn, born, time.monotonic()))
        finally:
            self._slots.release()

    async def drop_idle(self) -> None:
        """Close every idle connection: after a connection failure the others are suspect."""
        idle, self._idle = self._idle, []
        for conn, _, _ in idle:
            await self._discard(conn)

    async def close(self) -> None:
        self.closed = True
        await self.drop_idle()

    def close_now(self) -> None:
        """Close without the loop (it has ended): the idle connections' sockets are closed."""
        self.closed = True
        idle, self._idle = self._idle, []
        for conn, _, _ in idle:
            conn.pgconn.finish()

    @staticmethod
    async def _discard(conn: AsyncConn) -> None:
        with contextlib.suppress(psycopg.Error):  # already unusable; nothing to keep
            await conn.close()
