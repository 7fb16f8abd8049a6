"""Cron: claim_due over 10k tasks of which 100 are due at each call.

100 tasks run every minute; 9,900 run once a year (January 1st). Each call claims with `now`
one minute later than the previous call's, so exactly the 100 minutely tasks are due every time
(their claim moved them to the next minute) and nothing needs resetting between calls. The clock
starts on 2030-03-01, far from the yearly tasks' next run. Rows go in with one bulk insert.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from bench.core import Bench, Case, Target
from bench.env import Env
from bench.raw import Raw
from genie_repo.stores.cron import CronStore, cron_task_id
from genie_repo.timestamps import utc_now

START = datetime(2030, 3, 1, tzinfo=UTC)
TASKS = 10_000
DUE = 100


def _claim_due(env: Env) -> Case:
    store = CronStore(env.db)
    raw = Raw.of(env)
    now = raw.time(utc_now())
    group = env.unique("cron")
    rows = []
    for i in range(TASKS):
        minutely = i < DUE
        name = f"{group}-{i}"
        rows.append({
            "id": cron_task_id(name), "name": name,
            "expression": "* * * * *" if minutely else "0 0 1 1 *",
            "action": '{"tool": "report"}',
            "next": raw.time(START if minutely else datetime(2031, 1, 1, tzinfo=UTC)),
            "now": now,
        })
    raw.executemany(
        "INSERT INTO cron_tasks (id, name, expression, action, enabled, source, next_run_at,"
        " created_at, updated_at) VALUES (:id, :name, :expression, :action, TRUE, 'config',"
        " :next, :now, :now)", rows)
    raw.settle("cron_tasks")
    minutes = itertools.count(1)

    def claim() -> object:
        claims = store.claim_due(START + timedelta(minutes=next(minutes)), limit=DUE,
                                 worker_id="bench")
        assert len(claims) == DUE, len(claims)
        return claims

    return Case(claim)


def benches() -> list[Bench]:
    return [Bench("cron", "claim_due", dialect, "-", Target.p50_ms(5), _claim_due,
                  note="10k tasks, 100 due per call", cost=0.2)
            for dialect in ("sqlite", "postgres")]
