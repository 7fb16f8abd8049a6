"""Where a run measures: one fresh, migrated database per dialect, plus raw driver connections
to the same database for the baselines, and a description of the machine.

SQLite lives in a temporary directory. PostgreSQL gets a database created from scratch for the
run (`genie_bench_<time>_<random>` on the server of GENIE_BENCH_DSN), migrated, and dropped at
the end, so runs never see each other's rows.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import platform
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import apsw
import psycopg
from psycopg import sql

from genie_repo import Config, Database, migrate, open_database

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"
ENV_DSN = "GENIE_BENCH_DSN"


def bench_dsn() -> str:
    return os.environ.get(ENV_DSN) or DEFAULT_DSN


@dataclass
class Env:
    """One dialect's database for the run, shared by every bench of that dialect. Benches keep
    out of each other's way by using their own ids (`unique`)."""

    dialect: str
    config: Config
    db: Database
    workdir: Path
    loop: asyncio.AbstractEventLoop
    quick: bool = False
    calls: int = 0  # calls each side of the current bench will make (set by the runner)
    _closers: list[Callable[[], None]] = field(default_factory=list)
    _counter: Iterator[int] = field(default_factory=itertools.count)
    _shared: dict[str, Any] = field(default_factory=dict)

    def unique(self, prefix: str) -> str:
        return f"{prefix}-{next(self._counter)}-{uuid.uuid4().hex[:6]}"

    def on_close(self, closer: Callable[[], None]) -> None:
        self._closers.append(closer)

    def shared(self, key: str, make: Callable[[], Any]) -> Any:
        """One object per key for the whole run (e.g. the baseline connection), so benches do
        not pile up connections."""
        if key not in self._shared:
            self._shared[key] = make()
        return self._shared[key]

    def raw_sqlite(self, path: Path | None = None) -> apsw.Connection:
        """A new plain apsw connection, tuned like the library's: WAL, synchronous=NORMAL."""
        conn = apsw.Connection(str(path or self.config.sqlite_path))
        conn.set_busy_timeout(15_000)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        self.on_close(conn.close)
        return conn

    def raw_postgres(self, schema: str | None = None, **kwargs: Any) -> psycopg.Connection[Any]:
        """A new plain psycopg autocommit connection to the run's database (psycopg's default
        prepare threshold); `schema` puts it on its own search_path (created if missing)."""
        options = "-c TimeZone=UTC"
        if schema:
            with psycopg.connect(self.config.dsn or "", autocommit=True) as admin:
                admin.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                    sql.Identifier(schema)))
            options += f" -c search_path={schema}"
        conn = psycopg.connect(self.config.dsn or "", autocommit=True, options=options, **kwargs)
        self.on_close(conn.close)
        return conn

    def close(self) -> None:
        for closer in reversed(self._closers):
            closer()
        self._closers.clear()
        self.loop.run_until_complete(self.db.async_runner().aclose())  # this loop's async pool
        self.db.close()


@contextmanager
def open_env(
    dialect: str, workdir: Path, loop: asyncio.AbstractEventLoop, *, quick: bool = False
) -> Iterator[Env]:
    """A fresh migrated database of `dialect` for the run; removed afterwards."""
    if dialect == "sqlite":
        config = Config(db_file=workdir / "genie.db")
        migrate(config)
        env = Env("sqlite", config, open_database(config), workdir, loop, quick)
        try:
            yield env
        finally:
            env.close()
        return
    name = f"genie_bench_{datetime.now(UTC):%Y%m%d%H%M%S}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(bench_dsn(), autocommit=True, connect_timeout=10) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            config = Config(dsn=psycopg.conninfo.make_conninfo(bench_dsn(), dbname=name))
            migrate(config)
            env = Env("postgres", config, open_database(config), workdir, loop, quick)
            try:
                yield env
            finally:
                env.close()
        finally:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "os": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
        "sqlite": apsw.sqlite_lib_version(),
        "apsw": apsw.apsw_version(),
        "psycopg": psycopg.__version__,
    }
    for package in ("pydantic", "langgraph", "langgraph-checkpoint",
                    "langgraph-checkpoint-sqlite", "langgraph-checkpoint-postgres"):
        try:
            info[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            info[package] = None
    try:
        with psycopg.connect(bench_dsn(), connect_timeout=5) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            info["postgres"] = row[0] if row else None
    except psycopg.Error:
        info["postgres"] = None
    return info
