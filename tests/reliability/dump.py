"""Logical dumps that bypass the library: every table's rows, sorted, read with the driver.

Two dumps compare equal exactly when no row was added, removed or changed anywhere (yoyo's
bookkeeping tables included), which is how the tests prove a rejected call wrote nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import apsw
import psycopg

from genie_repo.config import Config

Dump = dict[str, list[tuple[Any, ...]]]


def _sort_key(row: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(repr(value) for value in row)


def sqlite_dump(path: Path) -> Dump:
    conn = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {name: sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(), key=_sort_key)
                for name in names}
    finally:
        conn.close()


def postgres_dump(dsn: str) -> Dump:
    with psycopg.connect(dsn) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1")]
        return {name: sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(), key=_sort_key)
                for name in names}


def logical_dump(config: Config) -> Dump:
    return postgres_dump(config.dsn) if config.dsn else sqlite_dump(config.sqlite_path)


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
        "is_nullable FROM information_schema.columns WHERE table_schema = 'public'",
        "SELECT 'constraint', conrelid::regclass::text, conname, pg_get_constraintdef(oid), '', ''"
        " FROM pg_constraint WHERE connamespace = 'public'::regnamespace",
        "SELECT 'index', tablename, indexname, indexdef, '', '' FROM pg_indexes "
        "WHERE schemaname = 'public'",
        "SELECT 'trigger', event_object_table, trigger_name, action_statement, "
        "event_manipulation, action_timing FROM information_schema.triggers "
        "WHERE trigger_schema = 'public'",
        "SELECT 'function', '', p.proname, pg_get_functiondef(p.oid), '', '' FROM pg_proc p "
        "WHERE p.pronamespace = 'public'::regnamespace AND p.prokind = 'f'",
    ]
    with psycopg.connect(dsn) as conn:
        rows = [tuple(str(v) for v in r) for q in queries for r in conn.execute(q).fetchall()]
    return sorted(rows)


def schema_of(config: Config) -> list[tuple[Any, ...]]:
    if config.dsn:
        return list(postgres_schema(config.dsn))
    return list(sqlite_schema(config.sqlite_path))
