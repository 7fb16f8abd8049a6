"""Baselines: the same statement through the bare driver, on the same database.

A baseline is what a hand-written call of apsw or psycopg costs for the same rows: no registry,
no parameter checks, no models. Statements are written once with `:name` placeholders and
converted to psycopg's `%(name)s` for PostgreSQL; apsw and psycopg both cache the prepared
statement, as a careful user of either driver would get.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from bench.env import Env
from genie_repo.timestamps import to_sqlite_text

Statement = Callable[[Mapping[str, Any]], list[Any]]
_VERBS = ("execute", "execute_many", "fetch_one", "fetch_all", "fetch_value")


def _capturing(
    verb: str, original: Callable[..., Any], captured: list[tuple[str, str, Mapping[str, Any]]]
) -> Callable[..., Any]:
    def capture(name: str, params: Any = None) -> Any:
        captured.append((f"{verb} {name}", name, dict(params or {}) if verb != "execute_many"
                         else {}))
        return original(name, params)

    return capture
_NAMED = re.compile(r"(?<!:):([A-Za-z_][A-Za-z0-9_]*)")


def to_pg(text: str) -> str:
    return _NAMED.sub(r"%(\1)s", text.replace("%", "%%"))


class Raw:
    """One bare connection of the env's dialect. `Raw.of(env)` is shared by the run's benches."""

    def __init__(self, env: Env) -> None:
        self.dialect = env.dialect
        if env.dialect == "sqlite":
            self.sqlite = env.raw_sqlite()
        else:
            self.pg = env.raw_postgres()

    @classmethod
    def of(cls, env: Env) -> Raw:
        raw: Raw = env.shared("raw", lambda: cls(env))
        return raw

    def statement(self, text: str) -> Statement:
        """A callable running `text` (`:name` placeholders) with a params mapping and returning
        all rows (tuples)."""
        return self.native(text if self.dialect == "sqlite" else to_pg(text))

    def native(self, text: str) -> Statement:
        """Like `statement`, for SQL already in this dialect's placeholder style (e.g. a registry
        query's own text: the same SQL the library runs, through the bare driver)."""
        if self.dialect == "sqlite":
            conn = self.sqlite

            def run_sqlite(params: Mapping[str, Any]) -> list[Any]:
                return conn.execute(text, params).fetchall()

            return run_sqlite
        pg_conn = self.pg

        def run_pg(params: Mapping[str, Any]) -> list[Any]:
            cursor = pg_conn.execute(text, params)
            return cursor.fetchall() if cursor.description else []

        return run_pg

    def replay(self, env: Env, call: Callable[[], object]) -> Callable[[], list[Any]]:
        """The single registry query `call` runs (captured on one call), as a zero-argument
        callable running the same SQL with the same parameters through the bare driver: what
        the database's own work costs, without the library around it. For reads."""
        captured: list[tuple[str, str, Mapping[str, Any]]] = []
        for verb in _VERBS:
            original = getattr(env.db, verb)
            setattr(env.db, verb, _capturing(verb, original, captured))
        try:
            call()
        finally:
            for verb in _VERBS:
                delattr(env.db, verb)
        if len(captured) != 1 or not captured[0][0].startswith("fetch"):
            raise ValueError(f"not a one-query read: it ran {[v for v, _, _ in captured]}")
        _, name, params = captured[0]
        query = env.db.registry[name]
        values = {key: self.time(value) if isinstance(value, datetime) else value
                  for key, value in params.items() if key in query.params}
        statement = self.native(query.sql)
        return lambda: statement(values)

    def time(self, value: datetime) -> Any:
        """A timestamp as this dialect stores it (canonical text on SQLite)."""
        return to_sqlite_text(value) if self.dialect == "sqlite" else value

    def load(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        """Bulk fill (untimed set-up) in one transaction: COPY on PostgreSQL."""
        if self.dialect == "sqlite":
            marks = ", ".join("?" for _ in columns)
            with self.sqlite:
                self.sqlite.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
            return
        with self.pg.transaction(), self.pg.cursor() as cursor, cursor.copy(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def settle(self, *tables: str) -> None:
        """After a bulk load: what autovacuum does soon after on PostgreSQL (VACUUM ANALYZE:
        statistics, visibility map, and a flushed GIN pending list, without which every
        full-text search scans the pending entries); SQLite needs nothing (WAL checkpoint)."""
        if self.dialect == "sqlite":
            self.sqlite.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return
        for table in tables:
            self.pg.execute(f"VACUUM ANALYZE {table}")

    def executemany(self, text: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Bulk fill (untimed set-up), in one transaction."""
        if self.dialect == "sqlite":
            with self.sqlite:
                self.sqlite.executemany(text, rows)
            return
        with self.pg.transaction(), self.pg.cursor() as cursor:
            cursor.executemany(to_pg(text), rows)
