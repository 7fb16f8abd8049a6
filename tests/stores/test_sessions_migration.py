"""Migration 0011_sessions_hot keeps every session's data: applied over a database holding
sessions, rolled back, and applied again, the events, seqs and state read back the same."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from genie_repo import Config, migrate, rollback_migrations
from genie_repo.db import open_database
from genie_repo.models.sessions import Event, SessionKey
from genie_repo.stores.sessions import SessionStore
from tests.conftest import pg_dsn

KEY = SessionKey("app", "user", "kept")
MIGRATION = "0011_sessions_hot"


@pytest.fixture
def fresh(dialect: str, tmp_path: Path, pg_admin: psycopg.Connection) -> Iterator[Config]:
    """An empty database of its own (rollbacks need yoyo's bookkeeping in it)."""
    if dialect == "sqlite":
        yield Config(db_file=tmp_path / "hot.db")
        return
    name = f"genie_h_{uuid.uuid4().hex[:12]}"
    pg_admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield Config(dsn=pg_dsn(name))
    pg_admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def snapshot(config: Config) -> tuple[object, ...]:
    db = open_database(config)
    try:
        session = SessionStore(db).get_session(KEY)
        assert session is not None
        return (session.last_seq, session.state,
                [(e.seq, e.id, e.payload, e.state_delta, e.timestamp) for e in session.events])
    finally:
        db.close()


def roll_back_past(config: Config, migration: str) -> None:
    for _ in range(20):
        if migration in rollback_migrations(config, 1):
            return
    raise AssertionError(f"{migration} was never rolled back")


def test_data_survives_apply_rollback_and_reapply(fresh: Config) -> None:
    migrate(fresh)
    db = open_database(fresh)
    store = SessionStore(db)
    store.create_session(KEY, {"k": 1})
    for i in range(5):
        store.append_event(KEY, Event(id=f"e{i}", payload=f'{{"i":{i}}}',
                                      state_delta={"turn": i}))
    store.delete_events(KEY, ["e1"])
    db.close()
    before = snapshot(fresh)
    assert before[0] == 5 and len(before[2]) == 4  # type: ignore[arg-type]

    roll_back_past(fresh, MIGRATION)
    assert snapshot(fresh) == before
    migrate(fresh)
    assert snapshot(fresh) == before
    db = open_database(fresh)
    try:
        assert SessionStore(db).append_event(KEY, Event(id="e5")).seq == 6
    finally:
        db.close()
