"""The claim path's query plans with 10k tasks: the due query reads the partial index
idx_cron_tasks_next_run, and advancing the claimed tasks looks them up by primary key (never a
scan of every task). Plans are read straight from each engine with the registry's SQL."""

from __future__ import annotations

import json
from collections.abc import Callable

import apsw
import psycopg

from genie_repo.config import Config
from genie_repo.queries import QueryRegistry

TASKS = 10_000
NOW = "2026-01-05T10:30:00.000000Z"  # the canonical UTC text; PostgreSQL parses it too
_SEED_SQLITE = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
INSERT INTO cron_tasks (id, name, expression, action, next_run_at, created_at, updated_at)
SELECT printf('%08d', i), 't' || i, '* * * * *', 'x',
       CASE WHEN i % 100 = 0 THEN '2026-01-05T10:00:00.000000Z' ELSE '2027-01-01T00:00:00.000000Z'
       END, '2026-01-05T09:00:00.000000Z', '2026-01-05T09:00:00.000000Z'
FROM n
"""
_SEED_POSTGRES = """
INSERT INTO cron_tasks (id, name, expression, action, next_run_at, created_at, updated_at)
SELECT lpad(i::text, 8, '0'), 't' || i, '* * * * *', 'x',
       CASE WHEN i % 100 = 0 THEN timestamptz '2026-01-05T10:00:00Z'
            ELSE timestamptz '2027-01-01T00:00:00Z' END,
       timestamptz '2026-01-05T09:00:00Z', timestamptz '2026-01-05T09:00:00Z'
FROM generate_series(1, 10000) AS i
"""


def _claims() -> str:
    due_ids = range(100, TASKS + 1, 100)
    return json.dumps([{"task_id": f"{i:08d}", "next_run_at": NOW} for i in due_ids])


def _sqlite_plan(config: Config, name: str, params: dict[str, object]) -> str:
    conn = apsw.Connection(str(config.sqlite_path))
    try:
        sql = QueryRegistry("sqlite")[name].sql
        return "\n".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
    finally:
        conn.close()


def test_sqlite_claim_plans_use_indexes(make_config: Callable[[str], Config]) -> None:
    config = make_config("sqlite")
    conn = apsw.Connection(str(config.sqlite_path))
    conn.execute(_SEED_SQLITE)
    conn.execute("ANALYZE")
    conn.close()
    due = _sqlite_plan(config, "cron.list_due_for_claim", {"now": NOW, "limit": 100})
    assert "USING INDEX idx_cron_tasks_next_run (next_run_at<?)" in due
    assert "TEMP B-TREE" not in due  # rows come in index order: no sort
    advance = _sqlite_plan(config, "cron.mark_claimed", {"claims": _claims(), "now": NOW})
    assert "SEARCH cron_tasks USING" in advance and "(id=?)" in advance
    assert "SCAN cron_tasks" not in advance


def test_postgres_claim_plans_use_indexes(make_config: Callable[[str], Config]) -> None:
    config = make_config("postgres")
    registry = QueryRegistry("postgres")
    with psycopg.connect(config.dsn or "", autocommit=True) as conn:
        conn.execute(_SEED_POSTGRES)
        conn.execute("ANALYZE cron_tasks")
        with conn.transaction(force_rollback=True):
            due = "\n".join(str(row[0]) for row in conn.execute(
                "EXPLAIN " + registry["cron.list_due_for_claim"].sql, {"now": NOW, "limit": 100}))
            advance = "\n".join(str(row[0]) for row in conn.execute(
                "EXPLAIN " + registry["cron.mark_claimed"].sql,
                {"claims": _claims(), "now": NOW}))
    assert "on idx_cron_tasks_next_run" in due or "using idx_cron_tasks_next_run" in due
    assert "Seq Scan" not in due
    assert "LockRows" in due
    assert "cron_tasks_pkey" in advance
    assert "Seq Scan on cron_tasks" not in advance
