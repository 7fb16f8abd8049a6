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
_Shape = tuple[list[str], list[tuple[int, Callable[[Any], Any]]]]
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
        create_private_file(self.path)
        self._connection()  # open now: a bad path fails at open, not at first query

    # -- connections -------------------------------------------------------------------------

    def _connection(self) -> apsw.Connection:
        conn: apsw.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self._closed:
            raise GenieRepoError("database is closed", dialect=self.dialect)
        try:
            conn = apsw.Connection(str(self.path), statementcachesize=256)
            conn.set_busy_timeout(self._busy_timeout_ms)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(self._synchronous)
            conn.execute("PRAGMA foreign_keys=ON")
        except apsw.Error as exc:
            raise _translate(exc, None) from exc
        self._local.conn = conn
        self._local.depth = 0
        with self._lock:
            self._connections.add(conn)
        # When the thread ends its thread-local values go; close its connection with them, so
        # short-lived threads do not pile up open connections until close().
        self._local.reaper = _Reaper()
        weakref.finalize(self._local.reaper, _close_connection, conn, self._connections, self._lock)
        return conn

    def close(self) -> None:
        """Close every thread's connection; later calls raise."""
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
        conn = self._connection()
        self._run(conn, query, "execute", params)
        return int(conn.changes())

    def execute_many(self, name: str, rows: Iterable[Params]) -> int:
        query = self.registry[name]
        check_verb(query, "execute_many")
        prepared = [prepare(query, "execute_many", r, to_sqlite_text)
                    for r in rows]
        if not prepared:
            return 0
        conn = self._connection()
        total = 0
        # Its own transaction, or a part of the caller's (which rolls back as a whole on error).
        with self.transaction() if self._local.depth == 0 else contextlib.nullcontext():
            try:
                for values in prepared:
                    conn.execute(query.sql, values)
                    total += conn.changes()
            except (apsw.Error, UnicodeEncodeError, OverflowError) as exc:
                raise _translate(exc, query) from exc
        return total

    def fetch_one(self, name: str, params: Params | None = None) -> Row | None:
        query = self.registry[name]
        rows = self._fetch(self._run(self._connection(), query, "fetch_one", params), query)
        return single_row(query, rows, self.dialect)

    def fetch_all(self, name: str, params: Params | None = None) -> list[Row]:
        query = self.registry[name]
        return self._fetch(self._run(self._connection(), query, "fetch_all", params), query)

    def fetch_value(self, name: str, params: Params | None = None) -> Any:
        query = self.registry[name]
        cursor = self._run(self._connection(), query, "fetch_value", params)
        try:
            first = next(cursor, None)
            if first is None:
                return None
            _, converters = self._shape(cursor, query)
            value = first[0]
            cursor.close()
        except (apsw.Error, UnicodeDecodeError) as exc:
            raise _translate(exc, query) from exc
        if value is not None and converters and converters[0][0] == 0:
            value = converters[0][1](value)
        return value

    # -- internals ----------------------------------------------------------------------------

    def _run(
        self, conn: apsw.Connection, query: Query, verb: str, params: Params | None
    ) -> apsw.Cursor:
        values = prepare(query, verb, params, to_sqlite_text)
        try:
            return conn.execute(query.sql, values)
        except (apsw.Error, UnicodeEncodeError, OverflowError) as exc:
            raise _translate(exc, query) from exc

    def _fetch(self, cursor: apsw.Cursor, query: Query) -> list[Row]:
        """All rows as dicts, TIMESTAMP and BOOLEAN columns converted."""
        try:
            first = next(cursor, None)
            if first is None:
                return []
            names, converters = self._shape(cursor, query)
            rows = [first, *cursor.fetchall()]
        except (apsw.Error, UnicodeDecodeError) as exc:
            raise _translate(exc, query) from exc
        if not converters:
            return [dict(zip(names, row, strict=False)) for row in rows]
        out = []
        for row in rows:
            values = list(row)
            for i, convert in converters:
                if values[i] is not None:
                    values[i] = convert(values[i])
            out.append(dict(zip(names, values, strict=False)))
        return out

    def _shape(self, cursor: apsw.Cursor, query: Query) -> _Shape:
        """Column names and converters of a query's result (read once, while it runs)."""
        shape = self._shapes.get(query.sql)
        if shape is None:
            description = cursor.get_description()
            shape = (
                [d[0] for d in description],
                [(i, _DECLTYPE_CONVERTERS[d[1].upper()]) for i, d in enumerate(description)
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
