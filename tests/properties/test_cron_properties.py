"""Property tests for CronStore: a config reload is idempotent, and claiming never bursts.

Each example works under its own name prefix in the test's one database, so examples stay
independent without cloning a database per example."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genie_repo.db import Database
from genie_repo.models.cron import CronTask
from genie_repo.stores.cron import CronStore
from tests.clock import FakeClock as Clock

T0 = datetime(2026, 1, 5, 10, 0, 30, tzinfo=UTC)
EXPRESSIONS = ["* * * * *", "*/5 * * * *", "0 * * * *", "30 10 * * 1-5", "0 0 1 * *",
               "@daily", "15,45 */2 * * *", "0 9 * * 0"]

names = st.text(alphabet="abcxyz -_é", min_size=1, max_size=8)
definitions = st.tuples(
    st.sampled_from(EXPRESSIONS),
    st.text(min_size=1, max_size=20).filter(lambda s: "\x00" not in s),
)
configs = st.dictionaries(names, definitions, min_size=1, max_size=6)
examples = settings(suppress_health_check=[HealthCheck.function_scoped_fixture],
                    max_examples=30, deadline=None)


def _apply(store: CronStore, prefix: str, config: dict[str, tuple[str, str]]) -> None:
    for name, (expression, action) in config.items():
        store.upsert_from_config(prefix + name, expression, action)


def _rows(store: CronStore, prefix: str) -> list[dict[str, object]]:
    """The example's tasks without the prefix-dependent columns, keyed by unprefixed name."""
    rows = [
        {**task.model_dump(exclude={"id"}), "name": task.name.removeprefix(prefix)}
        for task in store.list_tasks(limit=10_000)
        if task.name.startswith(prefix)
    ]
    return sorted(rows, key=lambda row: str(row["name"]))


@examples
@given(config=configs, later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)))
def test_upsert_from_config_twice_equals_once(
    db: Database, config: dict[str, tuple[str, str]], later: timedelta
) -> None:
    clock = Clock(T0)
    store = CronStore(db, clock=clock)
    once, twice = f"{uuid.uuid4().hex}/once/", f"{uuid.uuid4().hex}/twice/"
    _apply(store, once, config)
    _apply(store, twice, config)
    clock.now += later  # a restart, later: the reload must change nothing
    _apply(store, twice, config)
    assert _rows(store, twice) == _rows(store, once)
    assert len(_rows(store, once)) == len(config)


@examples
@given(
    expression=st.sampled_from(EXPRESSIONS),
    gaps=st.lists(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=2)),
                  min_size=1, max_size=8),
)
def test_claims_never_burst_and_never_repeat_a_slot(
    db: Database, expression: str, gaps: list[timedelta]
) -> None:
    store = CronStore(db, clock=Clock(T0))
    task: CronTask = store.upsert_from_config(uuid.uuid4().hex, expression, "go")
    now, slots = T0, list[datetime]()
    for gap in gaps:
        now += gap
        due = task.next_run_at is not None and task.next_run_at <= now
        claims = [c for c in store.claim_due(now) if c.task.id == task.id]
        assert len(claims) == (1 if due else 0)  # one catch-up run, however long the gap
        if claims:
            slot = claims[0].run.scheduled_for
            assert slot is not None and slot == task.next_run_at
            slots.append(slot)
        task = store.get(task.id)
        assert task.next_run_at is not None and task.next_run_at > now
    assert slots == sorted(set(slots))
    history = store.list_history(task.id, limit=100)
    assert sorted(run.scheduled_for for run in history if run.scheduled_for) == slots
