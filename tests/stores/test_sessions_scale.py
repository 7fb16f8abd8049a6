"""Scale: with 100k events in other sessions, reading one 200-event session goes through the
session key index (checked on the database's own plan), never a scan of the events table."""

from __future__ import annotations

import apsw
import psycopg

from genie_repo.config import Config
from genie_repo.db import Database
from genie_repo.models.sessions import Event, SessionKey
from genie_repo.stores.sessions import SessionStore

OTHER_SESSIONS = 1000
EVENTS_EACH = 100  # 100k events in other sessions
KEY = SessionKey("app", "user", "target")

# Test-only bulk setup through the raw driver, so 100k rows take well under a second.
_SQLITE_BULK = """
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < :sessions - 1)
INSERT INTO sessions (app_name, user_id, session_id, created_at, updated_at, last_seq)
SELECT 'app', 'user', 'other' || i, '2026-01-01T00:00:00.000000Z',
       '2026-01-01T00:00:00.000000Z', :each FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < :sessions * :each - 1)
INSERT INTO session_events (app_name, user_id, session_id, seq, event_id, timestamp,
                            event_data, created_at)
SELECT 'app', 'user', 'other' || (i / :each), i % :each + 1, 'e' || i,
       '2026-01-01T00:00:00.000000Z', '{"text":"filler"}', '2026-01-01T00:00:00.000000Z'
FROM n;
ANALYZE;
"""
_PG_BULK = [
    """INSERT INTO sessions (app_name, user_id, session_id, created_at, updated_at, last_seq)
       SELECT 'app', 'user', 'other' || i, now(), now(), %(each)s::int
       FROM generate_series(0, %(sessions)s::int - 1) AS i""",
    "ANALYZE sessions",  # else the FK check plans a scan of sessions for each of 100k rows
    """INSERT INTO session_events (app_name, user_id, session_id, seq, event_id, timestamp,
                                   event_data, created_at)
       SELECT 'app', 'user', 'other' || (i / %(each)s::int), i %% %(each)s::int + 1, 'e' || i,
              now(), '{"text":"filler"}', now()
       FROM generate_series(0, %(sessions)s::int * %(each)s::int - 1) AS i""",
    "ANALYZE session_events",
]


def _bulk_fill(config: Config) -> None:
    if config.dsn:
        with psycopg.connect(config.dsn, autocommit=True) as pg:
            for statement in _PG_BULK:
                pg.execute(statement, {"sessions": OTHER_SESSIONS, "each": EVENTS_EACH})
    else:
        lite = apsw.Connection(str(config.db_file))
        try:
            lite.execute("BEGIN")
            lite.execute(_SQLITE_BULK, {"sessions": OTHER_SESSIONS, "each": EVENTS_EACH})
            lite.execute("COMMIT")
        finally:
            lite.close()


def explain_get_session(db: Database, config: Config, limit: int | None) -> str:
    """The database's own plan for the registry's get_session SQL, as text."""
    sql = db.registry["sessions.get_session"].sql
    params = {"app_name": KEY.app_name, "user_id": KEY.user_id, "session_id": KEY.session_id,
              "event_limit": limit, "since": None}
    if config.dsn:
        with psycopg.connect(config.dsn) as conn:
            return "\n".join(r[0] for r in conn.execute("EXPLAIN " + sql, params))
    conn = apsw.Connection(str(config.sqlite_path))
    try:
        return "\n".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
    finally:
        conn.close()


def test_get_session_reads_only_its_rows(db: Database, config: Config, dialect: str) -> None:
    _bulk_fill(config)
    store = SessionStore(db)
    store.create_session(KEY)
    for i in range(200):
        store.append_event(KEY, Event(author="user", payload=f'{{"i":{i}}}'))

    session = store.get_session(KEY)
    assert session is not None and [e.seq for e in session.events] == list(range(1, 201))
    assert len(store.list_events(SessionKey("app", "user", "other7"), limit=1000)) == EVENTS_EACH

    for limit in (None, 50):
        plan = explain_get_session(db, config, limit)
        if dialect == "sqlite":
            # the primary key (session, seq) is the table's first automatic index
            assert ("SEARCH session_events USING INDEX sqlite_autoindex_session_events_1 "
                    "(app_name=? AND user_id=? AND session_id=?)") in plan, plan
            assert "SCAN session_events" not in plan, plan
        else:
            assert "Index Scan Backward using session_events_pkey on session_events" in plan, plan
            assert "Seq Scan on session_events" not in plan, plan
