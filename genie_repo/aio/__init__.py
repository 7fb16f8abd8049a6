"""The async stores: the same methods as the sync stores, awaitable, typed, never blocking.

`AsyncSessionStore(db)` takes the same `Database` as `SessionStore(db)`. How a call runs:

- **PostgreSQL, natively async, on the event loop.** The store's own code runs in a greenlet on
  the loop's thread; each statement it sends is awaited on psycopg's `AsyncConnectionPool` (one
  per event loop). No thread is involved (`genie_repo.db.bridge`).
- **SQLite: reads at once, writes on the database's worker thread.** apsw has no async API, and
  a SQLite statement is a function call, cheaper than any thread hop. A call that only reads runs
  on the loop's thread, as the same code's statements do on PostgreSQL (a read in WAL mode never
  waits for a writer); it is tried on a `query_only` connection that never waits, so a call that
  would write or wait stops at that first statement, having changed nothing, and runs whole on
  the worker: one queue put and one loop wake-up per call, never one per statement
  (`genie_repo.db.sqlite_worker`). A method that calls code its caller passed in (a summarizer)
  is marked `@runs_caller_code` and goes straight to the worker.

**Why this way, and not generated sync code or I/O-free steps.** Each store's logic exists once,
as the plain synchronous code the sync API already runs at full speed; the async path runs that
very code, with the database's waits awaited (PostgreSQL) or the call moved off the loop
(SQLite). Generating sync code from async source would have doubled every store module and put
coroutine machinery on the sync hot path's source of truth; I/O-free step functions would have
turned every store method into a generator protocol. What is generated is only the typed surface:
`stores.py`, one `async def` per store method with the store's own signature and docstring,
written by `python -m genie_repo.aio.generate` and checked by a test that fails when it is stale.

What a caller can rely on:
- `await AsyncCheckpointStore(db).get_tuple("t")` is typed `CheckpointTuple | None`, and so on
  for every method; errors are the stores' own (NotFound, Conflict, InvalidInput, ...).
- `async with transaction(db):` makes the async store calls of this task one transaction:
  commit on success, roll back on any exception, nested blocks (and the stores' own
  transactions inside) are savepoints. Other tasks never see or join it.
- Cancellation never leaves half a write. PostgreSQL: the cancellation is raised inside the
  store code at its current statement, so an open transaction rolls back before it propagates;
  a single statement (or a COMMIT) already sent is atomic on the server, done whole or not at
  all. SQLite: a read completes before the await can be cancelled; a write still queued never
  runs; a write that started completes (commit or rollback, as the sync call would) and its
  result is dropped.
- `aclose()` (or `async with`) closes an async store; `await aclose_database(db)` closes the
  database's async resources on this loop, and `db.close()` closes everything.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from genie_repo.aio.base import AsyncStore
from genie_repo.aio.stores import (
    AsyncApprovalStore,
    AsyncCheckpointStore,
    AsyncClarificationStore,
    AsyncCronStore,
    AsyncItemStore,
    AsyncMemoryStore,
    AsyncSessionStore,
    AsyncShortMemoryStore,
    AsyncStatsStore,
)
from genie_repo.config import Config
from genie_repo.db import Database
from genie_repo.db import open_database as open_database_sync


async def open_database(config: Config | None = None) -> Database:
    """`genie_repo.open_database` off the event loop (opening connects to PostgreSQL)."""
    return await asyncio.to_thread(open_database_sync, config)


@asynccontextmanager
async def transaction(db: Database, *, readonly: bool = False) -> AsyncIterator[None]:
    """One transaction for the async store calls this task makes inside the block."""
    async with db.async_runner().async_transaction(readonly=readonly):
        yield


async def aclose_database(db: Database) -> None:
    """Close what the async path opened for `db` on this loop, then the database itself."""
    await db.async_runner().aclose()
    await asyncio.to_thread(db.close)


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
    "AsyncStore",
    "aclose_database",
    "open_database",
    "transaction",
]
