"""Property tests for CronStore: a config reload is idempotent, and claiming never bursts."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genie_repo.db import Database
from genie_repo.stores.cron import CronStore

T0 = datetime(2026, 1, 5, 10, 0, 30, tzinfo=UTC)
EXPRESSIONS = ["* * * * *", "*/5 * * * *", "0 * * * *", "30 10 * * 1-5", "0 0 1 * *",
               "@daily", "15,45 */2 * * *", "0 9 * * 0"]

names = st.text(alphabet="abcxyz -_é", min_size=1, max_size=8)
definitions = st.tuples(st.sampled_from(EXPRESSIONS), st.text(min_size=1, max_size=20).filter(
    lambda s: "\x00" not in s))
configs = st.dictionaries(names, definitions, min_size=1, max_size=6)
settings_ = settings(suppress_health_check=[HealthCheck.function_scoped_fixture],
                     max_examples=20, deadline=None)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def _apply(store: CronStore, config: dict[str, tuple[str, str]]) -> None:
    for name, (expression, action) in config.items():
        store.upsert_from_config(name, expression, action)


@settings_
@given(config=configs, later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)))
def test_upsert_from_config_twice_equals_once(
    dialect: str, make_db: Callable[[str], Database],
    config: dict[str, tuple[str, str]], later: timedelta,
) -> None:
    once_clock, twice_clock = Clock(), Clock()
    with closing(make_db(dialect)) as db_once, closing(make_db(dialect)) as db_twice:
        once = CronStore(db_once, clock=once_clock)
        twice = CronStore(db_twice, clock=twice_clock)
        _apply(once, config)
        _apply(twice, config)
        twice_clock.now += later  # a restart, later: the reload must change nothing
        _apply(twice, config)
        assert twice.list_tasks() == once.list_tasks()
        assert len(once.list_tasks()) == len(config)


@settings_
@given(
    expression=st.sampled_from(EXPRESSIONS),
    gaps=st.lists(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=2)),
                  min_size=1, max_size=8),
)
def test_claims_never_burst_and_never_repeat_a_slot(
    dialect: str, make_db: Callable[[str], Database], expression: str, gaps: list[timedelta],
) -> None:
    with closing(make_db(dialect)) as db:
        store = CronStore(db, clock=Clock())
        task = store.upsert_from_config("job", expression, "go")
        now, slots = T0, []
        for gap in gaps:
            now += gap
            due = task.next_run_at is not None and task.next_run_at <= now
            claims = store.claim_due(now)
            assert len(claims) == (1 if due else 0)  # one catch-up run, however long the gap
            if claims:
                slots.append(claims[0].run.scheduled_for)
                assert claims[0].run.scheduled_for == task.next_run_at
            task = store.get(task.id)
            assert task.next_run_at is not None and task.next_run_at > now
        assert slots == sorted(set(slots))
