"""Just enough of a DB-API 2.0 module over apsw for yoyo-migrations to drive it.

Why: yoyo's SQLite backend uses Python's built-in `sqlite3`, a second copy of SQLite. Two SQLite
libraries in one process do not see each other's POSIX locks, and when one closes the file the
other's locks vanish (SQLite's "How To Corrupt" section 2.2): migrating through `sqlite3` while
apsw connections are open gave "disk I/O error". Through this module, `migrate()` runs on the
same apsw SQLite as everything else. (A plain `yoyo apply` runs in its own process: no issue.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import apsw

apilevel = "2.0"
threadsafety = 1
paramstyle = "named"
Error = apsw.Error
DatabaseError = apsw.Error


def connect(path: str, busy_timeout_ms: int = 15_000) -> Connection:
    return Connection(path, busy_timeout_ms)


class Connection:
    def __init__(self, path: str, busy_timeout_ms: int) -> None:
        self._conn = apsw.Connection(path)
        self._conn.set_busy_timeout(busy_timeout_ms)
        self._conn.execute("PRAGMA foreign_keys=ON")

    def cursor(self) -> Cursor:
        return Cursor(self._conn)

    def commit(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("COMMIT")

    def rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def close(self) -> None:
        self._conn.close()


class Cursor:
    """Runs a statement at once and keeps its rows (migrations return few or none)."""

    def __init__(self, conn: apsw.Connection) -> None:
        self._conn = conn
        self._rows: list[tuple[Any, ...]] = []
        self.description: list[tuple[Any, ...]] | None = None
        self.rowcount = -1

    def execute(
        self, sql: str, params: Mapping[str, Any] | Sequence[Any] | None = None
    ) -> Cursor:
        if isinstance(params, Mapping):
            params = {k: _bindable(v) for k, v in params.items()}
        elif params is not None:
            params = [_bindable(v) for v in params]
        cursor = self._conn.cursor()
        self._rows, self.description = [], None
        for row in cursor.execute(sql, params):
            if self.description is None:
                self.description = [(d[0], d[1], None, None, None, None, None)
                                    for d in cursor.get_description()]
            self._rows.append(row)
        self.rowcount = self._conn.changes()
        return self

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows, self._rows = self._rows, []
        return rows

    def close(self) -> None:
        self._rows = []


def _bindable(value: Any) -> Any:
    """yoyo binds naive UTC datetimes (its `sqlite3` adapter wrote them as ISO text)."""
    return value.isoformat(sep=" ") if isinstance(value, datetime) else value
