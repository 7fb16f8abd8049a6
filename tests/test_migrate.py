"""Migrations: yoyo's own CLI, our call, idempotency, rollback, and concurrent appliers."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import apsw
import psycopg
import pytest
from psycopg import sql

from genie_repo import Config, MigrationError, migrate, migration_status, rollback_migrations
from genie_repo._paths import data_dir
from tests.conftest import pg_dsn

TABLES = {
    "approvals", "clarifications", "cron_tasks", "cron_history", "memories", "short_memories",
    "sessions", "session_events", "session_states", "app_states", "user_states",
    "session_summaries", "checkpoints", "checkpoint_writes",
}


@pytest.fixture
def empty(dialect: str, tmp_path: Path, pg_admin: psycopg.Connection) -> Iterator[Config]:
    """An empty, unmigrated database."""
    if dialect == "sqlite":
        yield Config(db_file=tmp_path / "empty.db")
        return
    name = f"genie_e_{uuid.uuid4().hex[:12]}"
    pg_admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield Config(dsn=pg_dsn(name))
    pg_admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def tables(config: Config) -> set[str]:
    if config.dsn:
        with psycopg.connect(config.dsn) as conn:
            rows = conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchall()
        return {r[0] for r in rows}
    conn = apsw.Connection(str(config.sqlite_path))
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    return names


def schema_dump(config: Config) -> list[tuple[str, ...]]:
    if config.dsn:
        with psycopg.connect(config.dsn) as conn:
            return [tuple(map(str, r)) for r in conn.execute(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name NOT LIKE '%%yoyo%%' "
                "ORDER BY 1, 2").fetchall()]
    conn = apsw.Connection(str(config.sqlite_path))
    rows = [tuple(map(str, r)) for r in conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE '%yoyo%' ORDER BY 2")]
    conn.close()
    return rows


def test_plain_yoyo_apply_creates_every_table(empty: Config, dialect: str) -> None:
    yoyo = Path(sys.executable).with_name("yoyo")
    subprocess.run(
        [str(yoyo), "apply", "--batch", "--no-config-file", "--database", empty.yoyo_url(),
         str(data_dir("migrations") / dialect)],
        check=True, capture_output=True,
    )
    assert tables(empty) >= TABLES
    before = schema_dump(empty)
    assert migrate(empty) == []
    assert schema_dump(empty) == before


def test_migrate_then_status_then_no_op(empty: Config) -> None:
    applied = migrate(empty)
    assert applied[0] == "0001_approvals_clarifications" and len(applied) >= 6
    assert tables(empty) >= TABLES
    assert all(state.applied for state in migration_status(empty))
    assert migrate(empty) == []


def test_rollback_then_apply_round_trips(empty: Config) -> None:
    migrate(empty)
    before = schema_dump(empty)
    newest = migration_status(empty)[-1].id
    assert rollback_migrations(empty, 1) == [newest]
    assert not migration_status(empty)[-1].applied
    assert migrate(empty) == [newest]
    assert schema_dump(empty) == before
    with pytest.raises(MigrationError):
        rollback_migrations(empty, -1)


def _migrate_in_child(db_file: str | None, dsn: str | None) -> None:
    migrate(Config(db_file=db_file, dsn=dsn))


def test_two_processes_migrating_at_once(empty: Config) -> None:
    context = multiprocessing.get_context("spawn")
    args = (str(empty.sqlite_path) if not empty.dsn else None, empty.dsn)
    children = [context.Process(target=_migrate_in_child, args=args) for _ in range(2)]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=120)
    assert [c.exitcode for c in children] == [0, 0]
    assert tables(empty) >= TABLES
    assert migrate(empty) == []


def test_unreachable_server_is_migration_error_without_password() -> None:
    config = Config(dsn="postgresql://postgres:hunter2@127.0.0.1:1/x?connect_timeout=2")
    with pytest.raises(MigrationError) as info:
        migrate(config)
    assert "hunter2" not in str(info.value) and "127.0.0.1" in str(info.value)


def test_sqlite_file_and_folder_are_private(tmp_path: Path) -> None:
    config = Config(db_file=tmp_path / "private" / "genie.db")
    migrate(config)
    assert config.sqlite_path.stat().st_mode & 0o777 == 0o600
    assert config.sqlite_path.parent.stat().st_mode & 0o777 == 0o700


def test_every_migration_exists_in_both_dialects() -> None:
    root = data_dir("migrations")
    names = {d: sorted(p.name for p in (root / d).glob("*.sql")) for d in ("sqlite", "postgres")}
    assert names["sqlite"] == names["postgres"]
    for name in names["sqlite"]:
        if not name.endswith(".rollback.sql"):
            assert name.replace(".sql", ".rollback.sql") in names["sqlite"], name
