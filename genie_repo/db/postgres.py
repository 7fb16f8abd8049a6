"""PostgreSQL through a psycopg 3 connection pool.

Connections run in autocommit, so a one-statement call is one round trip; `transaction()` wraps
several. After a connection is found broken (server restart, failover, a killed backend) the
pool's idle connections are checked and the dead ones dropped, so the next call gets a live one:
the failed call raises TransientError and the process never needs restarting.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

import psycopg
import psycopg_pool
from psycopg.rows import dict_row

from genie_repo.config import Config
from genie_repo.db.calls import (
    check_verb,
    first_value,
    prepare,
    single_row,
)
from genie_repo.db.protocol import AsyncRunner, Dialect, Params, Row
from genie_repo.errors import (
    Conflict,
    GenieRepoError,
    InvalidInput,
    NotFound,
    TransientError,
)
from genie_repo.queries import Query, QueryRegistry
from genie_repo.timestamps import require_utc

if TYPE_CHECKING:
    from genie_repo.db.postgres_async import PostgresBridge

_TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03", "57P01", "57P02", "57P03", "53300", "53400"}
_SQLSTATE_ERRORS: dict[str, type[GenieRepoError]] = {
    "23505": Conflict,  # unique_violation
    "23P01": Conflict,  # exclusion_violation
    "23503": NotFound,  # foreign_key_violation: the parent row is missing
    "23502": InvalidInput,  # not_null_violation
    "23514": InvalidInput,  # check_violation
}


class PostgresDatabase:
    """The psycopg adapter. Thread-safe; a transaction holds one pooled connection."""

    dialect: Dialect = "postgres"

    def __init__(self, config: Config, registry: QueryRegistry | None = None) -> None:
        self.registry = registry or QueryRegistry("postgres")
        self.config = config
        self._password = config.password()
        self._display = config.display_path()
        options = config.pool
        kwargs: dict[str, Any] = {
            "autocommit": True,
            "row_factory": dict_row,
            "prepare_threshold": options.prepare_threshold,
            "connect_timeout": options.connect_timeout,
            # UTC sessions, keeping any options the DSN carries (e.g. a search_path)
            "options": (config.conninfo().get("options", "") + " -c TimeZone=UTC").strip(),
        }
        self._local = threading.local()
        self._bridge: PostgresBridge | None = None
        self._connect_kwargs = kwargs
        self._conninfo = conninfo = psycopg.conninfo.make_conninfo(config.dsn or "")
        try:  # one direct connect first, so a bad DSN or a down server fails now and clearly
            psycopg.connect(conninfo, **kwargs).close()
        except psycopg.Error as exc:
            error = self._translated(exc, None, check_pool=False)
            error.message = f"cannot connect to PostgreSQL at {self._display}: {error.message}"
            raise error from None
        self._pool: psycopg_pool.ConnectionPool[Any] = psycopg_pool.ConnectionPool(
            conninfo,
            min_size=options.min_size,
            max_size=options.max_size,
            timeout=options.timeout,
            max_lifetime=options.max_lifetime,
            max_idle=options.max_idle,
            kwargs=kwargs,
            open=True,
            name="genie_repo",
        )

    def __repr__(self) -> str:
        return f"PostgresDatabase({self._display})"

    def close(self) -> None:
        self._pool.close()
        if self._bridge is not None:
            self._bridge.close()

    # -- connections and transactions ----------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """The connection of this thread's open transaction, else one from the pool."""
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is not None:
            yield conn
            return
        try:
            with self._pool.connection() as conn:
                yield conn
        except psycopg_pool.PoolTimeout as exc:
            raise self._translated(exc, None) from None

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[PostgresDatabase]:
        """One pooled connection for the block; nested calls are savepoints."""
        outer = getattr(self._local, "conn", None)
        with self._connection() as conn:
            self._local.conn = conn
            try:
                with conn.transaction():
                    if readonly and outer is None:
                        conn.execute("SET TRANSACTION READ ONLY")
                    yield self
            except psycopg.Error as exc:
                raise self._translated(exc, None) from exc
            finally:
                self._local.conn = outer

    # -- the five verbs -----------------------------------------------------------------------

    def execute(self, name: str, params: Params | None = None) -> int:
        query = self.registry[name]
        values = prepare(query, "execute", params, require_utc)
        with self._connection() as conn:
            cursor = self._run(conn, query, values)
            return max(cursor.rowcount, 0)

    def execute_many(self, name: str, rows: Iterable[Params]) -> int:
        query = self.registry[name]
        check_verb(query, "execute_many")
        prepared = [prepare(query, "execute_many", r, require_utc)
                    for r in rows]
        if not prepared:
            return 0
        # Its own transaction, or a part of the caller's (which rolls back as a whole on error).
        own = getattr(self._local, "conn", None) is None
        with self.transaction() if own else nullcontext(), self._connection() as conn:
            try:
                with conn.cursor() as cursor:
                    cursor.executemany(query.sql, prepared)
                    return max(cursor.rowcount, 0)
            except (psycopg.Error, UnicodeEncodeError) as exc:
                raise self._translated(exc, query) from exc

    def fetch_one(self, name: str, params: Params | None = None) -> Row | None:
        query = self.registry[name]
        return single_row(query, self._fetch(query, "fetch_one", params), self.dialect)

    def fetch_all(self, name: str, params: Params | None = None) -> list[Row]:
        return self._fetch(self.registry[name], "fetch_all", params)

    def fetch_value(self, name: str, params: Params | None = None) -> Any:
        return first_value(self._fetch(self.registry[name], "fetch_value", params))

    # -- internals ----------------------------------------------------------------------------

    def _fetch(self, query: Query, verb: str, params: Params | None) -> list[Row]:
        values = prepare(query, verb, params, require_utc)
        with self._connection() as conn:
            cursor = self._run(conn, query, values)
            try:
                return cursor.fetchall()
            except psycopg.Error as exc:
                raise self._translated(exc, query) from exc

    def _run(
        self, conn: psycopg.Connection[Any], query: Query, values: dict[str, Any]
    ) -> psycopg.Cursor[Any]:
        try:
            return conn.execute(query.sql, values)
        except (psycopg.Error, UnicodeEncodeError) as exc:
            raise self._translated(exc, query) from exc

    def async_runner(self) -> AsyncRunner:
        """The async path: this database's store code run on the event loop, its statements
        awaited on a psycopg AsyncConnectionPool (one per event loop, opened on first use)."""
        if self._bridge is None:
            from genie_repo.db.postgres_async import PostgresBridge

            self._bridge = PostgresBridge(self)
        return self._bridge

    def _translated(
        self, exc: BaseException, query: Query | None, *, check_pool: bool = True
    ) -> GenieRepoError:
        error = translate(exc, query, self._password)
        if isinstance(error, TransientError) and check_pool:
            self._pool.check()  # drop the other dead idle connections now
        return error


def translate(exc: BaseException, query: Query | None, password: str | None) -> GenieRepoError:
    """Map by SQLSTATE (never by message text); scrub the password from the message."""
    name = query.name if query else None
    message = f"{type(exc).__name__}: {exc}"
    if password:
        message = message.replace(password, "***")
    if isinstance(exc, UnicodeError):
        return InvalidInput(f"text is not valid Unicode ({exc})", query=name, dialect="postgres")
    if isinstance(exc, psycopg_pool.PoolTimeout):
        return TransientError(f"no database connection free in time: {message}",
                              query=name, dialect="postgres")
    sqlstate = getattr(exc, "sqlstate", None)
    error: type[GenieRepoError] = GenieRepoError
    if sqlstate in _SQLSTATE_ERRORS:
        error = _SQLSTATE_ERRORS[sqlstate]
    elif sqlstate and (sqlstate in _TRANSIENT_SQLSTATES or sqlstate.startswith("08")):
        error = TransientError
    elif sqlstate and sqlstate.startswith(("22", "54")):
        # 22: data exception (bad value, out of range, bad encoding); 54: a value over a
        # server limit, e.g. a key too large for its btree index (psycopg raises these as
        # OperationalError, which must not make them look transient).
        error = InvalidInput
    elif isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        error = TransientError  # no SQLSTATE: the connection itself failed
    return error(message, query=name, dialect="postgres", code=sqlstate)
