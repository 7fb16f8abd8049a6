"""One protocol, two adapters: `open_database(config)` picks SQLite or PostgreSQL."""

from __future__ import annotations

from genie_repo.config import Config
from genie_repo.db.protocol import Database, Dialect, Executor, Row, Transaction


def open_database(config: Config | None = None) -> Database:
    """Open (not migrate) the configured database; a DSN wins over a file."""
    config = config or Config()
    if config.dsn:
        from genie_repo.db.postgres import PostgresDatabase

        return PostgresDatabase(config)
    from genie_repo.db.sqlite import SqliteDatabase

    return SqliteDatabase(
        config.sqlite_path, durability=config.durability, busy_timeout_ms=config.busy_timeout_ms
    )


__all__ = ["Database", "Dialect", "Executor", "Row", "Transaction", "open_database"]
