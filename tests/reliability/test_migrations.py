"""Migrations under contention and their round trips, on both dialects.

Extends tests/test_migrate.py: four processes instead of two, with the schema compared in full
(columns, types, defaults, constraints, indexes, triggers, functions; SQLite's own DDL text) and
yoyo's bookkeeping rows compared too. PostgreSQL runs on the private server, in a fresh empty
database per test.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from genie_repo import Config, migrate, migration_status, rollback_migrations
from tests.reliability.dump import logical_dump, schema_of
from tests.reliability.pgserver import PrivatePostgres
from tests.reliability.processes import finish_child, start_child

PROCESSES = 4
Factory = Callable[[], Config]


@pytest.fixture
def make_empty(dialect: str, tmp_path: Path, request: pytest.FixtureRequest) -> Factory:
    """Factory of databases with nothing in them, not even yoyo's tables."""

    def make() -> Config:
        name = f"empty_{uuid.uuid4().hex[:10]}"
        if dialect == "sqlite":
            return Config(db_file=tmp_path / name / "genie.db")
        server: PrivatePostgres = request.getfixturevalue("private_pg")
        return Config(dsn=server.create_database(name))

    return make


@pytest.fixture
def empty_config(make_empty: Factory) -> Config:
    return make_empty()


def genie_tables(config: Config) -> set[str]:
    return {name for name in logical_dump(config) if "yoyo" not in name}


@pytest.mark.slow
def test_four_processes_migrating_one_empty_database(
    empty_config: Config, make_empty: Factory, tmp_path: Path
) -> None:
    target = ({"dsn": empty_config.dsn} if empty_config.dsn
              else {"db_file": str(empty_config.sqlite_path)})
    go = tmp_path / "go"
    children = [start_child("migrate", {**target, "go_file": str(go)}) for _ in range(PROCESSES)]
    go.touch()
    reports = [finish_child(child) for child in children]
    applied = [report["applied"] for report in reports]
    every = [state.id for state in migration_status(empty_config)]
    # Each migration was applied by exactly one process; the others found nothing to do.
    assert sorted(m for ids in applied for m in ids) == sorted(every)
    assert sum(bool(ids) for ids in applied) == 1
    assert all(state.applied for state in migration_status(empty_config))
    alone = make_empty()  # the schema one process builds by itself
    migrate(alone)
    assert schema_of(empty_config) == schema_of(alone)


def test_migrate_on_an_up_to_date_database_changes_nothing(empty_config: Config) -> None:
    migrate(empty_config)
    schema, rows = schema_of(empty_config), logical_dump(empty_config)
    for _ in range(2):
        assert migrate(empty_config) == []
    assert schema_of(empty_config) == schema
    assert logical_dump(empty_config) == rows  # yoyo's bookkeeping rows included


def test_rollback_then_apply_round_trips_at_every_depth(empty_config: Config) -> None:
    migrate(empty_config)
    full_schema = schema_of(empty_config)
    every = [state.id for state in migration_status(empty_config)]
    schemas = {len(every): full_schema}
    for depth in range(1, len(every) + 1):  # roll back one at a time, down to nothing
        assert rollback_migrations(empty_config, 1) == [every[-depth]]
        schemas[len(every) - depth] = schema_of(empty_config)
        assert schemas[len(every) - depth] != schemas[len(every) - depth + 1]
    assert genie_tables(empty_config) == set()
    assert migrate(empty_config) == every
    assert schema_of(empty_config) == full_schema
    # Rolling back part of the way and re-applying lands on the same schema as well.
    assert rollback_migrations(empty_config, 3) == every[:-4:-1]
    assert schema_of(empty_config) == schemas[len(every) - 3]
    assert migrate(empty_config) == every[-3:]
    assert schema_of(empty_config) == full_schema
