"""SQLite through apsw: one connection per thread, WAL, and `BEGIN IMMEDIATE` for writes.

Every connection gets the same pragmas (busy_timeout, foreign_keys, synchronous), so no
connection can fail fast with "database is locked" or skip a cascade. Timestamps are stored as
canonical UTC text and come back as aware datetimes for columns declared `TIMESTAMP`; columns
declared `BOOLEAN` come back as bools, so stores see the same values on both dialects.
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import apsw

from genie_repo.config import Config
from genie_repo.db.calls import (
    check_verb,
    prepare,
    single_row,
)
from genie_repo.db.protocol import Dialect, Params, Row
from genie_repo.db.sqlite_worker import SqliteWorker
from genie_repo.errors import (
    Conflict,
    GenieRepoError,
    InvalidInput,
    NotFound,
    TransientError,
)
from genie_repo.queries import Query, QueryRegistry
from genie_repo.timestamps import from_sqlite_text, to_sqlite_text

_DECLTYPE_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "TIMESTAMP": from_sqlite_text,
    "BOOLEAN": bool,
}
_SYNCHRONOUS = {"normal": "PRAGMA synchronous=NORMAL", "full": "PRAGMA synchronous=FULL"}
_Shape = tuple[list[str], list[tuple[str, Callable[[Any], Any]]]]
_CONSTRAINT_ERRORS: dict[int, type[GenieRepoError]] = {
    apsw.SQLITE_CONSTRAINT_FOREIGNKEY: NotFound,
    apsw.SQLITE_CONSTRAINT_UNIQUE: Conflict,
    apsw.SQLITE_CONSTRAINT_PRIMARYKEY: Conflict,
    apsw.SQLITE_CONSTRAINT_NOTNULL: InvalidInput,
    apsw.SQLITE_CONSTRAINT_CHECK: InvalidInput,
}


def create_private_file(path: Path) -> None:
    """Create the database file 0600 in a 0700 directory; existing ones are left as they are."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


class SqliteDatabase:
    """The apsw adapter. Safe to share between threads; each thread gets its own connection."""

    dialect: Dialect = "sqlite"

    def __init__(
        self,
        path: str | os.PathLike[str],
        registry: QueryRegistry | None = None,
        *,
        durability: str = "normal",
        busy_timeout_ms: int = 15_000,
    ) -> None:
        self.path = Path(path).expanduser()
        self.config = Config(
            db_file=self.path, durability=durability,  # type: ignore[arg-type]
            busy_timeout_ms=busy_timeout_ms,
        )
        self.registry = registry or QueryRegistry("sqlite")
        self._synchronous = _SYNCHRONOUS["full" if durability == "full" else "normal"]
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._connections: set[apsw.Connection] = set()
        self._lock = threading.Lock()
        self._shapes: dict[str, _Shape] = {}
        self._closed = False
        self._worker: SqliteWorker | None = None
        create_private_file(self.path)
        self._connection()  # open now: a bad path fails at open, not at first query

    # -- connections -------------------------------------------------------------------------

    def _connection(self) -> apsw.Connection:
        conn: apsw.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self._closed:
            raise GenieRepoError("database is closed", dialect=self.dialect)
        conn = self._open_connection(query_only=False)
        self._local.conn = conn
        self._local.depth = 0
        # When the thread ends its thread-local values go; close its connection with them, so
        # short-lived threads do not pile up open connections until close().
        self._local.reaper = _Reaper()
        weakref.finalize(self._local.reaper, _close_connection, conn, self._connections, self._lock)
        return conn

    def async_runner(self) -> SqliteWorker:
        """The async path: reads on the caller's thread, other calls whole on a worker."""
        with self._lock:
            if self._worker is None:
                self._worker = SqliteWorker(self)
            return self._worker

    def run_if_read_only(
        self, function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[bool, Any]:
        """Run `function` here if it only reads without waiting: `(True, result)`. It runs on
        this thread's read-only connection (`query_only`, no busy wait), where the first
        statement that would write, or wait for a lock, fails before touching anything: then
        `(False, None)`, and the caller runs the call where it may write and wait."""
        own = self._current()
        if self._local.depth:  # inside a transaction of this thread: not ours to probe
            return False, None
        probe: apsw.Connection | None = getattr(self._local, "probe", None)
        if probe is None:
            probe = self._local.probe = self._open_connection(query_only=True)
            weakref.finalize(self._local.reaper, _close_connection, probe, self._connections,
                             self._lock)
        self._local.conn = probe
        try:
            return True, function(*args, **kwargs)
        except GenieRepoError as exc:
            if isinstance(exc.__cause__, apsw.ReadOnlyError | apsw.BusyError | apsw.LockedError):
                return False, None
            raise
        finally:
            self._local.conn = own

    def _open_connection(self, *, query_only: bool) -> apsw.Connection:
        """A connection with the pragmas every one gets; a query-only one never waits."""
        try:
            conn = apsw.Connection(str(self.path), statementcachesize=256)
            conn.set_busy_timeout(0 if query_only else self._busy_timeout_ms)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(self._synchronous)
            conn.execute("PRAGMA foreign_keys=ON")
            if query_only:
                conn.execute("PRAGMA query_only=1")
        except apsw.Error as exc:
            raise _translate(exc, None) from exc
        with self._lock:
            self._connections.add(conn)
        return conn

    def close(self) -> None:
        """Close every thread's connection; later calls raise."""
        if self._worker is not None:
            self._worker.close()
        self._closed = True
        with self._lock:
            connections = list(self._connections)
            self._connections.clear()
        for conn in connections:
            conn.close()
        self._local = threading.local()

    # -- transactions -------------------------------------------------------------------------

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[SqliteDatabase]:
        """`BEGIN IMMEDIATE` (or `BEGIN` when readonly) so writers queue instead of deadlocking.
        Nested calls on the same thread become savepoints."""
        conn = self._connection()
        depth: int = self._local.depth
        savepoint = f"genie_sp{depth}"
        if depth == 0:
            self._raw(conn, "BEGIN" if readonly else "BEGIN IMMEDIATE")
        else:
            self._raw(conn, f"SAVEPOINT {savepoint}")
        self._local.depth = depth + 1
        try:
            yield self
        except BaseException:
            self._local.depth = depth
            if depth == 0:
                self._raw(conn, "ROLLBACK")
            else:
                self._raw(conn, f"ROLLBACK TO {savepoint}")
                self._raw(conn, f"RELEASE {savepoint}")
            raise
        self._local.depth = depth
        if depth == 0:
            try:
                self._raw(conn, "COMMIT")
            except TransientError:
                self._raw(conn, "ROLLBACK")
                raise
        else:
            self._raw(conn, f"RELEASE {savepoint}")

    def _raw(self, conn: apsw.Connection, sql: str) -> None:
        try:
            conn.execute(sql)
        except apsw.Error as exc:
            raise _translate(exc, None) from exc

    # -- the five verbs -----------------------------------------------------------------------

    def execute(self, name: str, params: Params | None = None) -> int:
        query = self.registry[name]
        values = prepare(query, "execute", params, to_sqlite_text)
        conn = self._current()
        try:
            conn.execute(query.sql, values)
        except (apsw.Error, UnicodeEncodeError, OverflowError) as exc:
            raise _translate(exc, query) from exc
        return int(conn.changes())

    def execute_many(self, name: str, rows: Iterable[Params]) -> int:
        query = self.registry[name]
        check_verb(query, "execute_many")
        prepared = [prepare(query, "execute_many", r, to_sqlite_text) for r in rows]
        if not prepared:
            return 0
        conn = self._current()
        # Its own transaction, or a part of the caller's (which rolls back as a whole on error).
        with self.transaction() if self._local.depth == 0 else contextlib.nullcontext():
            try:
                total = 0
                for values in prepared:  # changes() per row: cascades and triggers not counted
                    conn.execute(query.sql, values)
                    total += conn.changes()
                return total
            except (apsw.Error, UnicodeEncodeError, OverflowError) as exc:
                raise _translate(exc, query) from exc

    def fetch_one(self, name: str, params: Params | None = None) -> Row | None:
        query = self.registry[name]
        return single_row(query, self._rows(query, "fetch_one", params), self.dialect)

    def fetch_all(self, name: str, params: Params | None = None) -> list[Row]:
        return self._rows(self.registry[name], "fetch_all", params)

    def fetch_value(self, name: str, params: Params | None = None) -> Any:
        query = self.registry[name]
        values = prepare(query, "fetch_value", params, to_sqlite_text)
        try:
            cursor = self._current().execute(query.sql, values)
            shape = self._shapes.get(query.sql) or self._shape(cursor, query)
            first = next(cursor, None)
            if first is None:
                return None
            cursor.close()
        except (apsw.Error, UnicodeError, OverflowError) as exc:
            raise _translate(exc, query) from exc
        value = first[0]
        names, converters = shape
        if value is not None and converters and converters[0][0] == names[0]:
            value = converters[0][1](value)
        return value

    # -- internals ----------------------------------------------------------------------------

    def _current(self) -> apsw.Connection:
        """This thread's connection (the common case is one attribute read)."""
        try:
            return self._local.conn  # type: ignore[no-any-return]
        except AttributeError:
            return self._connection()

    def _rows(self, query: Query, verb: str, params: Params | None) -> list[Row]:
        """All rows of a query as dicts, TIMESTAMP and BOOLEAN columns converted."""
        values = prepare(query, verb, params, to_sqlite_text)
        try:
            cursor = self._current().execute(query.sql, values)
            names, converters = self._shapes.get(query.sql) or self._shape(cursor, query)
            rows = cursor.fetchall()
        except (apsw.Error, UnicodeError, OverflowError) as exc:
            raise _translate(exc, query) from exc
        if not converters:
            return [dict(zip(names, row, strict=False)) for row in rows]
        out = []
        for row in rows:
            record = dict(zip(names, row, strict=False))
            for column, convert in converters:
                value = record[column]
                if value is not None:
                    record[column] = convert(value)
            out.append(record)
        return out

    def _shape(self, cursor: apsw.Cursor, query: Query) -> _Shape:
        """Column names and converters of a query's result, read once from a running cursor
        (a statement that returns no rows has no description: its shape is not kept)."""
        try:
            description = cursor.get_description()
        except apsw.ExecutionCompleteError:
            return ([], [])
        shape: _Shape = (
            [d[0] for d in description],
            [(d[0], _DECLTYPE_CONVERTERS[d[1].upper()]) for d in description
             if d[1] and d[1].upper() in _DECLTYPE_CONVERTERS],
        )
        self._shapes[query.sql] = shape
        return shape


class _Reaper:
    """A thread-local token whose collection (at thread exit) closes the thread's connection."""


def _close_connection(
    conn: apsw.Connection, connections: set[apsw.Connection], lock: threading.Lock
) -> None:
    with lock:
        connections.discard(conn)
    conn.close()


def _translate(exc: BaseException, query: Query | None) -> GenieRepoError:
    """Map an apsw error to ours by result code, never by message text."""
    name = query.name if query else None
    message = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, UnicodeError):
        return InvalidInput(f"text is not valid Unicode ({exc})", query=name, dialect="sqlite")
    if isinstance(exc, OverflowError):
        return InvalidInput(f"value out of range ({exc})", query=name, dialect="sqlite")
    code = str(getattr(exc, "extendedresult", "") or getattr(exc, "result", ""))
    error: type[GenieRepoError] = GenieRepoError
    if isinstance(exc, apsw.BusyError | apsw.LockedError):
        error = TransientError
    elif isinstance(exc, apsw.ConstraintError):
        error = _CONSTRAINT_ERRORS.get(getattr(exc, "extendedresult", 0), Conflict)
    elif isinstance(exc, apsw.TooBigError | apsw.MismatchError | apsw.RangeError):
        error = InvalidInput
    return error(message, query=name, dialect="sqlite", code=code or None)
