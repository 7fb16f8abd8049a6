"""Logical dumps that bypass the library: every table's rows, sorted, read with the driver.

Two dumps compare equal exactly when no row was added, removed or changed anywhere (yoyo's
bookkeeping tables included), which is how the tests prove a rejected call wrote nothing. Long
values are reduced to a digest (PostgreSQL hashes each row's text form on the server), so a
dump stays cheap when the tests store 10 MB strings.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import apsw
import psycopg

from genie_repo.config import Config

Dump = dict[str, list[tuple[Any, ...]]]


def _compact(value: Any) -> Any:
    if isinstance(value, str | bytes) and len(value) > 256:
        data = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
        return (type(value).__name__, len(value), hashlib.sha256(data).hexdigest())
    return value


def _sort_key(row: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(repr(value) for value in row)


def sqlite_dump(path: Path) -> Dump:
    conn = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {name: sorted((tuple(_compact(v) for v in row)
                              for row in conn.execute(f'SELECT * FROM "{name}"')), key=_sort_key)
                for name in names}
    finally:
        conn.close()


def postgres_dump(dsn: str) -> Dump:
    with psycopg.connect(dsn) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1")]
        return {name: [tuple(r) for r in conn.execute(
                    f'SELECT md5(t::text) FROM "{name}" t ORDER BY 1').fetchall()]
                for name in names}


def logical_dump(config: Config) -> Dump:
    return postgres_dump(config.dsn) if config.dsn else sqlite_dump(config.sqlite_path)


class Dumper:
    """Repeated dumps of one database over one open driver connection (one round trip each)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._pg: psycopg.Connection[Any] | None = None
        self._sqlite: apsw.Connection | None = None
        if config.dsn:
            self._pg = psycopg.connect(config.dsn, autocommit=True)
            names = [r[0] for r in self._pg.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                "current_schema() AND table_type = 'BASE TABLE' ORDER BY 1")]
            assert names, f"no tables in {config.dsn}"
            # One row per table: its row count and a digest of its sorted row digests.
            self._sql = " UNION ALL ".join(
                f"SELECT '{n}', count(*) || ':' || coalesce(md5(string_agg(md5(t::text), '' "
                f"ORDER BY md5(t::text))), '') FROM \"{n}\" t" for n in names)
        else:
            self._sqlite = apsw.Connection(str(config.sqlite_path),
                                           flags=apsw.SQLITE_OPEN_READONLY)

    def dump(self) -> Dump:
        if self._pg is not None:
            out: Dump = {}
            for table, digest in self._pg.execute(self._sql):
                out.setdefault(table, []).append((digest,))
            return out
        assert self._sqlite is not None
        names = [r[0] for r in self._sqlite.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {name: sorted((tuple(_compact(v) for v in row) for row in
                              self._sqlite.execute(f'SELECT * FROM "{name}"')), key=_sort_key)
                for name in names}

    def snapshot(self) -> object:
        """Cheap proof of "nothing committed": SQLite's `PRAGMA data_version` on this separate
        connection changes exactly when another connection commits (even a commit that rewrites
        identical values, so it is stricter than a dump); PostgreSQL's is the hashed dump."""
        if self._sqlite is not None:
            return self._sqlite.execute("PRAGMA data_version").fetchall()
        return self.dump()

    def close(self) -> None:
        if self._pg is not None:
            self._pg.close()
        if self._sqlite is not None:
            self._sqlite.close()


def sqlite_schema(path: Path) -> list[tuple[str, str, str | None]]:
    conn = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        return [(r[0], r[1], r[2]) for r in conn.execute(
            "SELECT type, name, sql FROM sqlite_master ORDER BY type, name")]
    finally:
        conn.close()


def postgres_schema(dsn: str) -> list[tuple[str, ...]]:
    """Columns (with types, defaults, nullability), constraints, indexes and triggers."""
    queries = [
        "SELECT 'column', table_name, column_name, data_type, coalesce(column_default, ''), "
        "is_nullable FROM information_schema.columns WHERE table_schema = current_schema()",
        "SELECT 'constraint', conrelid::regclass::text, conname, pg_get_constraintdef(oid), '', ''"
        " FROM pg_constraint WHERE connamespace = current_schema()::regnamespace",
        "SELECT 'index', tablename, indexname, indexdef, '', '' FROM pg_indexes "
        "WHERE schemaname = current_schema()",
        "SELECT 'trigger', event_object_table, trigger_name, action_statement, "
        "event_manipulation, action_timing FROM information_schema.triggers "
        "WHERE trigger_schema = current_schema()",
        "SELECT 'function', '', p.proname, pg_get_functiondef(p.oid), '', '' FROM pg_proc p "
        "WHERE p.pronamespace = current_schema()::regnamespace AND p.prokind = 'f'",
    ]
    with psycopg.connect(dsn) as conn:
        rows = [tuple(str(v) for v in r) for q in queries for r in conn.execute(q).fetchall()]
    return sorted(rows)


def schema_of(config: Config) -> list[tuple[Any, ...]]:
    if config.dsn:
        return list(postgres_schema(config.dsn))
    return list(sqlite_schema(config.sqlite_path))


def purge_large_rows(config: Config, threshold: int = 1_000_000) -> None:
    """Delete (with the driver) rows holding a value longer than `threshold`: run after such a
    row has been checked, it keeps later dumps of a battery with 10 MB values cheap."""
    if config.dsn:
        with psycopg.connect(config.dsn, autocommit=True) as pg:
            for (name,) in pg.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                    "current_schema() AND table_type = 'BASE TABLE'").fetchall():
                pg.execute(f'DELETE FROM "{name}" t WHERE length(t::text) > %s', (threshold,))
        return
    conn = apsw.Connection(str(config.sqlite_path))
    try:
        conn.set_busy_timeout(15_000)
        conn.execute("PRAGMA foreign_keys=ON")
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE "
            "'CREATE VIRTUAL%' AND name NOT LIKE 'sqlite_%' AND name NOT IN (SELECT name || "
            "suffix FROM sqlite_master, (SELECT '_data' AS suffix UNION SELECT '_idx' UNION "
            "SELECT '_content' UNION SELECT '_docsize' UNION SELECT '_config') "
            "WHERE sql LIKE 'CREATE VIRTUAL%')")]
        for name in tables:
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{name}")')]
            where = " OR ".join(f'length("{c}") > {int(threshold)}' for c in columns)
            conn.execute(f'DELETE FROM "{name}" WHERE {where}')
    finally:
        conn.close()
