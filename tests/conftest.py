"""The test harness: every store test runs on SQLite and on PostgreSQL.

SQLite tests get a fresh file (a copy of one migrated template file). PostgreSQL tests get a
fresh schema of the `test` database, built by the migrations' own SQL. PostgreSQL tests never
skip: when the server cannot be reached they fail (CI relies on that).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import apsw
import psycopg
import pytest
from psycopg import sql
from yoyo.migrations import read_sql_migration

from genie_repo._paths import data_dir
from genie_repo.config import Config
from genie_repo.db import Database, open_database
from genie_repo.migrate import migrate
from tests.api import APIS, Builder

PG_DSN = os.environ.get("GENIE_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/test")
DIALECTS = ["sqlite", "postgres"]
_TEMPLATE_LOCK = 0x67656E6974  # advisory lock key shared by xdist workers


def _schema_hash(dialect: str) -> str:
    digest = hashlib.sha256()
    for path in sorted((data_dir("migrations") / dialect).glob("*.sql")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def pg_dsn(dbname: str) -> str:
    return psycopg.conninfo.make_conninfo(PG_DSN, dbname=dbname)


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[psycopg.Connection]:
    try:
        conn = psycopg.connect(PG_DSN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is required for the test suite and unreachable at {PG_DSN}: {exc}")
    with conn:
        yield conn


@pytest.fixture(scope="session")
def pg_template(pg_admin: psycopg.Connection) -> str:
    """A schema migrated by yoyo, rebuilt when the migrations change; tests copy it."""
    name = f"genie_tpl_{_schema_hash('postgres')}"
    pg_admin.execute("SELECT pg_advisory_lock(%s)", (_TEMPLATE_LOCK,))
    try:
        exists = pg_admin.execute(
            "SELECT 1 FROM pg_namespace WHERE nspname = %s", (name,)
        ).fetchone()
        if not exists:
            building = f"{name}_build_{uuid.uuid4().hex[:6]}"
            pg_admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(building)))
            migrate(Config(dsn=pg_dsn_in_schema(building)))
            pg_admin.execute(
                sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                    sql.Identifier(building), sql.Identifier(name)
                )
            )
    finally:
        pg_admin.execute("SELECT pg_advisory_unlock(%s)", (_TEMPLATE_LOCK,))
    return name


def pg_dsn_in_schema(schema: str) -> str:
    return psycopg.conninfo.make_conninfo(PG_DSN, options=f"-c search_path={schema}")


def _migration_statements() -> list[str]:
    """Every statement of the PostgreSQL migrations, in order (split as yoyo splits them)."""
    statements: list[str] = []
    for path in sorted((data_dir("migrations") / "postgres").glob("*.sql")):
        if not path.name.endswith(".rollback.sql"):
            statements += read_sql_migration(str(path))[2]
    return statements


def create_schema_copy(admin: psycopg.Connection, template: str, name: str) -> None:
    """A fresh schema built by the migrations' own SQL, with the template's yoyo bookkeeping,
    so `migrate()` sees it as up to date. Much cheaper than CREATE DATABASE (no checkpoint)."""
    with admin.transaction():
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
        admin.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(name)))
        for statement in _migration_statements():
            admin.execute(statement)
        for table in YOYO_TABLES:
            copy = sql.SQL("CREATE TABLE {new} (LIKE {old} INCLUDING ALL); "
                           "INSERT INTO {new} SELECT * FROM {old}")
            admin.execute(copy.format(new=sql.Identifier(name, table),
                                      old=sql.Identifier(template, table)))


YOYO_TABLES = ("_yoyo_migration", "_yoyo_log", "_yoyo_version", "yoyo_lock")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "genie.db"
    migrate(Config(db_file=path))
    conn = apsw.Connection(str(path))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


@pytest.fixture
def make_config(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[str], Config]]:
    """Factory for fresh, migrated, isolated databases of either dialect (cleaned up after)."""
    created: list[str] = []

    def make(dialect: str) -> Config:
        if dialect == "sqlite":
            template: Path = request.getfixturevalue("sqlite_template")
            path = tmp_path / f"genie-{uuid.uuid4().hex[:8]}.db"
            shutil.copyfile(template, path)
            path.chmod(0o600)
            return Config(db_file=path)
        admin: psycopg.Connection = request.getfixturevalue("pg_admin")
        template: str = request.getfixturevalue("pg_template")
        name = f"genie_t_{uuid.uuid4().hex[:12]}"
        create_schema_copy(admin, template, name)
        created.append(name)
        return Config(dsn=pg_dsn_in_schema(name))

    yield make
    if created:
        admin = request.getfixturevalue("pg_admin")
        for name in created:
            admin.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def config(dialect: str, make_config: Callable[[str], Config]) -> Config:
    """A fresh migrated database of the test's dialect."""
    return make_config(dialect)


@pytest.fixture
def make_db(make_config: Callable[[str], Config]) -> Iterator[Callable[[str], Database]]:
    """Factory for extra isolated databases (e.g. one per hypothesis example)."""
    opened: list[Database] = []

    def make(dialect: str) -> Database:
        db = open_database(make_config(dialect))
        opened.append(db)
        return db

    yield make
    for db in opened:
        db.close()


@pytest.fixture(params=APIS)
def build(request: pytest.FixtureRequest) -> Iterator[Builder]:
    """`build(SomeStore, db, **options)`: the sync store, or its async twin behind the same
    interface; store fixtures use it so every store test runs on both APIs."""
    builder = Builder(str(request.param))
    yield builder
    builder.finish()


@pytest.fixture
def db(config: Config) -> Iterator[Database]:
    database = open_database(config)
    yield database
    database.close()
