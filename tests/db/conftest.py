"""A scratch table with one column of each kind, behind its own query registry."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from genie_repo.config import Config
from genie_repo.db import Database
from genie_repo.db.postgres import PostgresDatabase
from genie_repo.db.sqlite import SqliteDatabase
from genie_repo.queries import QueryRegistry

SCRATCH_SQL = Path(__file__).parent / "sql"


def open_scratch(config: Config) -> Database:
    registry = QueryRegistry(config.dialect, SCRATCH_SQL)
    if config.dsn:
        return PostgresDatabase(config, registry)
    return SqliteDatabase(config.sqlite_path, registry)


@pytest.fixture
def scratch(config: Config) -> Iterator[Database]:
    db = open_scratch(config)
    db.execute("scratch.create_table")
    yield db
    db.close()


@pytest.fixture
def make_scratch(make_config: Callable[[str], Config]) -> Iterator[Callable[[str], Database]]:
    opened: list[Database] = []

    def make(dialect: str) -> Database:
        db = open_scratch(make_config(dialect))
        db.execute("scratch.create_table")
        opened.append(db)
        return db

    yield make
    for db in opened:
        db.close()
