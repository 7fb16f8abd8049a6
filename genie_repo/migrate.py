"""Apply, roll back and inspect the schema with yoyo-migrations.

The same SQL files serve `yoyo apply --database <url> migrations/<dialect>`, this module and the
`genie-repo migrate` command. A cross-process lock (a PostgreSQL advisory lock, or a lock file
beside the SQLite database) is held around yoyo's own, so processes starting together apply each
migration once and never see a half-built schema.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import apsw
import psycopg
from yoyo import get_backend, read_migrations
from yoyo.backends.core.sqlite3 import SQLiteBackend
from yoyo.connections import default_migration_table, parse_uri

from genie_repo._paths import data_dir
from genie_repo.config import Config
from genie_repo.db.protocol import Database
from genie_repo.db.sqlite import create_private_file
from genie_repo.errors import GenieRepoError, MigrationError

_ADVISORY_KEY = 0x67656E6965  # "genie"


@dataclass(frozen=True)
class MigrationState:
    id: str
    applied: bool


def migrate(target: Config | Database | None = None) -> list[str]:
    """Apply every pending migration; returns the ids applied (empty when up to date)."""
    with _backend(target) as (backend, migrations):
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
        return [m.id for m in pending]


def rollback_migrations(target: Config | Database | None = None, steps: int = 1) -> list[str]:
    """Roll back the newest `steps` applied migrations; returns their ids, newest first."""
    if steps < 0:
        raise MigrationError("steps must be >= 0")
    with _backend(target) as (backend, migrations):
        chosen = backend.to_rollback(migrations)[:steps]
        backend.rollback_migrations(chosen)
        return [m.id for m in chosen]


def migration_status(target: Config | Database | None = None) -> list[MigrationState]:
    """Every known migration, oldest first, and whether it is applied."""
    with _backend(target) as (backend, migrations):
        applied = backend.get_applied_migration_hashes()
        return [MigrationState(m.id, m.hash in applied) for m in migrations]


def config_of(target: Config | Database | None) -> Config:
    if target is None:
        return Config.from_env()
    if isinstance(target, Config):
        return target
    config = getattr(target, "config", None)
    if not isinstance(config, Config):
        raise MigrationError(f"cannot tell which database {target!r} is")
    return config


@contextmanager
def _backend(target: Config | Database | None) -> Iterator[tuple[Any, Any]]:
    config = config_of(target)
    folder = data_dir("migrations") / config.dialect
    try:
        with _exclusive(config):
            backend = _open_backend(config)
            try:
                with backend.lock():
                    yield backend, read_migrations(str(folder))
            finally:
                backend.connection.close()
    except GenieRepoError:
        raise
    except Exception as exc:  # the migration boundary: yoyo, driver and OS errors alike
        message = f"{type(exc).__name__}: {exc}"
        password = config.password()
        if password:
            message = message.replace(password, "***")
        raise MigrationError(
            f"migration on {config.display_path()} failed: {message}", dialect=config.dialect
        ) from None


class ApswSQLiteBackend(SQLiteBackend):  # type: ignore[misc]
    """yoyo's SQLite backend on apsw instead of `sqlite3` (see genie_repo.db.apsw_dbapi)."""

    driver_module = "genie_repo.db.apsw_dbapi"

    def connect(self, dburi: Any) -> Any:
        return self.driver.connect(dburi.database)

    def __enter__(self) -> ApswSQLiteBackend:
        return self  # the base class registers sqlite3 type adapters here; apsw needs none

    def __exit__(self, *exc: object) -> None:
        self.connection.close()


def _open_backend(config: Config) -> Any:
    if config.dsn:
        return get_backend(config.yoyo_url())
    backend = ApswSQLiteBackend(parse_uri(config.yoyo_url()), default_migration_table)
    backend.init_database()
    return backend


@contextmanager
def _exclusive(config: Config) -> Iterator[None]:
    if config.dsn:
        conninfo = psycopg.conninfo.make_conninfo(config.dsn)
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (_ADVISORY_KEY,))
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (_ADVISORY_KEY,))
        return
    path = config.sqlite_path
    create_private_file(path)
    _use_wal(path)
    fd = os.open(f"{path}-migrate.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _use_wal(path: os.PathLike[str]) -> None:
    """WAL is a property of the file: set it before yoyo's sqlite3 connection touches it."""
    conn = apsw.Connection(str(path))
    try:
        conn.set_busy_timeout(15_000)
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
