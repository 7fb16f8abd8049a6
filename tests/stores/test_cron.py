"""CronStore on both dialects: definitions, exactly-once claiming, history, and the Go seed's
cron gaps (behaviour_spec 10 and 12.24) as regression tests. Time comes from an injected clock."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from genie_repo import Conflict, InvalidInput, NotFound
from genie_repo.db import Database
from genie_repo.models.cron import CronSource, CronStatus
from genie_repo.stores.cron import CronStore, cron_task_id, next_run_after
from tests.api import Builder
from tests.clock import FakeClock as Clock

T0 = datetime(2026, 1, 5, 10, 0, 30, tzinfo=UTC)  # a Monday, half a minute past 10:00
EVERY_5 = "*/5 * * * *"
HOURLY = "0 * * * *"


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def store(db: Database, clock: Clock, build: Builder) -> CronStore:
    return build(CronStore, db, clock=clock)


def at(hour: int, minute: int, second: int = 0) -> datetime:
    return T0.replace(hour=hour, minute=minute, second=second)


# -- ids and expressions --------------------------------------------------------------------


def test_task_id_is_the_seeds_uuid5_over_the_name() -> None:
    # uuid.NewSHA1(uuid.Nil, "a") in the Go seed; a pure function of the name.
    assert cron_task_id("a") == "35b65f33-a679-5e76-af3c-273ea349ede4"
    assert cron_task_id("daily report") == str(uuid.uuid5(uuid.UUID(int=0), "daily report"))


def test_next_run_after_is_strictly_after_and_in_utc() -> None:
    assert next_run_after(EVERY_5, at(10, 5)) == at(10, 10)
    assert next_run_after(EVERY_5, at(10, 4, 59)) == at(10, 5)
    assert next_run_after("@hourly", T0) == at(11, 0)
    offset = datetime(2026, 1, 5, 12, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    assert next_run_after(HOURLY, offset) == at(11, 0)
    with pytest.raises(InvalidInput):
        next_run_after(EVERY_5, datetime(2026, 1, 5, 10, 0))  # naive


# -- upsert_from_config ---------------------------------------------------------------------


def test_upsert_creates_an_enabled_config_task_scheduled_from_now(store: CronStore) -> None:
    task = store.upsert_from_config("report", EVERY_5, "send the report")
    assert task.id == cron_task_id("report")
    assert (task.name, task.expression, task.action) == ("report", EVERY_5, "send the report")
    assert task.enabled is True
    assert task.source is CronSource.CONFIG
    assert task.next_run_at == at(10, 5)
    assert task.last_triggered_at is None
    assert task.created_at == task.updated_at == T0
    assert store.get(task.id) == task
    assert str(task) == f"report:{EVERY_5}:send the report"


def test_upsert_keeps_a_paused_task_paused(store: CronStore, clock: Clock) -> None:
    """Seed gap: every config reload force-enabled tasks an operator had paused."""
    task = store.upsert_from_config("report", EVERY_5, "send")
    store.set_enabled(task.id, False)
    clock.advance(hours=1)
    again = store.upsert_from_config("report", EVERY_5, "send")
    assert again.enabled is False
    changed = store.upsert_from_config("report", HOURLY, "send it now")
    assert changed.enabled is False
    assert store.claim_due(clock.advance(days=1)) == []


def test_upsert_with_the_same_definition_changes_nothing(store: CronStore, clock: Clock) -> None:
    """Seed gap: created_at (and updated_at) were reset on every upsert."""
    first = store.upsert_from_config("report", EVERY_5, "send")
    clock.advance(hours=3)  # the stored next_run_at is now in the past: a pending catch-up run
    again = store.upsert_from_config("report", EVERY_5, "send")
    assert again == first


def test_upsert_with_a_new_action_keeps_schedule_and_created_at(
    store: CronStore, clock: Clock
) -> None:
    first = store.upsert_from_config("report", EVERY_5, "send")
    later = clock.advance(minutes=1)
    again = store.upsert_from_config("report", EVERY_5, "send it twice")
    assert again.action == "send it twice"
    assert again.next_run_at == first.next_run_at
    assert again.created_at == T0
    assert again.updated_at == later


def test_upsert_with_a_new_expression_recomputes_next_run(store: CronStore, clock: Clock) -> None:
    """Seed gap: a changed expression kept the next_run_at computed from the old one."""
    store.upsert_from_config("report", "0 0 1 1 *", "send")  # next: 2027-01-01
    now = clock.advance(minutes=2)
    task = store.upsert_from_config("report", EVERY_5, "send")
    assert task.expression == EVERY_5
    assert task.next_run_at == next_run_after(EVERY_5, now) == at(10, 5)
    assert task.created_at == T0
    assert task.updated_at == now


def test_upsert_keeps_last_triggered_at(store: CronStore, clock: Clock) -> None:
    store.upsert_from_config("report", EVERY_5, "send")
    [claim] = store.claim_due(at(10, 5, 1))
    clock.advance(minutes=10)
    task = store.upsert_from_config("report", HOURLY, "send")
    assert task.last_triggered_at == at(10, 5, 1)


def test_upsert_takes_over_a_tool_task_of_the_same_name(store: CronStore, clock: Clock) -> None:
    tool = store.create_task("report", EVERY_5, "send")
    store.set_enabled(tool.id, False)
    clock.advance(minutes=1)
    task = store.upsert_from_config("report", EVERY_5, "send")
    assert task.source is CronSource.CONFIG
    assert task.enabled is False
    assert task.created_at == T0
    assert len(store.list_tasks()) == 1


@pytest.mark.parametrize(
    "expression",
    ["", "x", "61 * * * *", "* * * *", "0 0 30 2 *", "H * * * *", "* * * * * * * *"],
)
def test_invalid_expressions_are_rejected_before_any_write(
    store: CronStore, expression: str
) -> None:
    with pytest.raises(InvalidInput):
        store.upsert_from_config("report", expression, "send")
    with pytest.raises(InvalidInput):
        store.create_task("report", expression, "send")
    assert store.list_tasks() == []
    existing = store.upsert_from_config("report", EVERY_5, "send")
    with pytest.raises(InvalidInput):
        store.upsert_from_config("report", expression, "send")
    assert store.get(existing.id) == existing


@pytest.mark.parametrize(
    ("name", "expression", "action"),
    [("", EVERY_5, "send"), ("r", EVERY_5, ""), (None, EVERY_5, "send"), ("r", 5, "send"),
     ("r", EVERY_5, b"send"), ("r\x00", EVERY_5, "send"), ("r", EVERY_5, "se\x00nd")],
)
def test_bad_definitions_are_invalid_input(
    store: CronStore, name: object, expression: object, action: object
) -> None:
    with pytest.raises(InvalidInput):
        store.upsert_from_config(name, expression, action)  # type: ignore[arg-type]
    assert store.list_tasks() == []


# -- create_task, get, list, delete ---------------------------------------------------------


def test_create_task_is_a_tool_task_and_a_taken_name_conflicts(store: CronStore) -> None:
    task = store.create_task("water plants", "0 9 * * *", "remind me")
    assert task.source is CronSource.TOOL
    assert task.enabled is True
    assert task.next_run_at == datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
    with pytest.raises(Conflict, match="water plants"):
        store.create_task("water plants", EVERY_5, "other")
    store.upsert_from_config("report", EVERY_5, "send")
    with pytest.raises(Conflict):
        store.create_task("report", EVERY_5, "send")
    assert store.get(task.id) == task


def test_get_of_an_unknown_task_is_not_found(store: CronStore) -> None:
    with pytest.raises(NotFound):
        store.get(cron_task_id("nope"))
    with pytest.raises(InvalidInput):
        store.get("")


def test_list_tasks_is_ordered_by_creation(store: CronStore, clock: Clock) -> None:
    for name in ["zeta", "alpha", "mid"]:
        store.create_task(name, EVERY_5, "x")
        clock.advance(seconds=1)
    assert [t.name for t in store.list_tasks()] == ["zeta", "alpha", "mid"]
    assert [t.name for t in store.list_tasks(limit=2)] == ["zeta", "alpha"]
    with pytest.raises(InvalidInput):
        store.list_tasks(limit=0)


def test_delete_removes_the_task_and_keeps_its_history(store: CronStore) -> None:
    task = store.upsert_from_config("report", EVERY_5, "send")
    [claim] = store.claim_due(at(10, 5))
    store.delete(task.id)
    with pytest.raises(NotFound):
        store.get(task.id)
    with pytest.raises(NotFound):
        store.delete(task.id)
    assert [run.id for run in store.list_history(task.id)] == [claim.history_id]
    store.finish(claim.history_id, "success")  # a run outlives its task


# -- set_enabled ----------------------------------------------------------------------------


def test_a_disabled_task_is_never_claimed(store: CronStore) -> None:
    task = store.upsert_from_config("report", EVERY_5, "send")
    paused = store.set_enabled(task.id, False)
    assert paused.enabled is False
    assert paused.next_run_at == task.next_run_at
    assert store.claim_due(at(12, 0)) == []


def test_resuming_after_missed_slots_reschedules_from_now(store: CronStore, clock: Clock) -> None:
    """Seed gap: a resumed task with a past next_run_at fired on the very next tick."""
    task = store.upsert_from_config("report", EVERY_5, "send")
    store.set_enabled(task.id, False)
    now = clock.advance(hours=2)
    resumed = store.set_enabled(task.id, True)
    assert resumed.enabled is True
    assert resumed.next_run_at == next_run_after(EVERY_5, now)
    assert resumed.updated_at == now
    assert store.claim_due(now) == []


def test_resuming_before_the_next_slot_keeps_it(store: CronStore, clock: Clock) -> None:
    task = store.upsert_from_config("report", HOURLY, "send")
    store.set_enabled(task.id, False)
    clock.advance(minutes=10)
    assert store.set_enabled(task.id, True).next_run_at == task.next_run_at == at(11, 0)


def test_set_enabled_to_the_current_value_writes_nothing(store: CronStore, clock: Clock) -> None:
    task = store.upsert_from_config("report", EVERY_5, "send")
    clock.advance(hours=1)
    assert store.set_enabled(task.id, True) == task


def test_set_enabled_errors(store: CronStore) -> None:
    with pytest.raises(NotFound):
        store.set_enabled(cron_task_id("nope"), True)
    task = store.upsert_from_config("report", EVERY_5, "send")
    with pytest.raises(InvalidInput):
        store.set_enabled(task.id, 1)  # type: ignore[arg-type]


# -- claim_due ------------------------------------------------------------------------------


def test_claim_due_hands_a_due_run_out_once(store: CronStore) -> None:
    task = store.upsert_from_config("report", EVERY_5, "send")
    assert store.claim_due(at(10, 4, 59)) == []
    [claim] = store.claim_due(at(10, 5, 2), worker_id="w1")
    assert claim.task.id == task.id
    assert claim.task.next_run_at == at(10, 10)
    assert claim.task.last_triggered_at == at(10, 5, 2)
    assert claim.run.status is CronStatus.RUNNING
    assert claim.run.scheduled_for == at(10, 5)
    assert claim.run.started_at == at(10, 5, 2)
    assert claim.run.worker_id == "w1"
    assert uuid.UUID(claim.history_id).version == 7  # time-ordered: appends to the pk index
    assert store.get(task.id) == claim.task
    assert store.get_run(claim.history_id) == claim.run
    assert store.claim_due(at(10, 5, 2)) == []
    assert store.claim_due(at(10, 9, 59)) == []
    [second] = store.claim_due(at(10, 10))
    assert second.run.scheduled_for == at(10, 10)


def test_claim_due_defaults_to_the_store_clock(store: CronStore, clock: Clock) -> None:
    store.upsert_from_config("report", EVERY_5, "send")
    assert store.claim_due() == []
    clock.now = at(10, 5)
    [claim] = store.claim_due()
    assert claim.run.started_at == at(10, 5)


def test_downtime_gives_one_catch_up_run_not_a_burst(store: CronStore, clock: Clock) -> None:
    """Seed gap: runs missed while the process was down were skipped silently."""
    task = store.upsert_from_config("report", EVERY_5, "send")
    restart = clock.advance(hours=3)  # 36 slots missed
    [catch_up] = store.claim_due(restart)
    assert catch_up.run.scheduled_for == task.next_run_at == at(10, 5)
    assert catch_up.task.next_run_at == next_run_after(EVERY_5, restart) == at(13, 5)
    assert store.claim_due(restart) == []
    assert len(store.list_history(task.id, limit=100)) == 1


def test_claim_due_is_earliest_first_and_honours_limit(store: CronStore) -> None:
    store.upsert_from_config("hourly", HOURLY, "h")  # due 11:00
    store.upsert_from_config("five", EVERY_5, "f")  # due 10:05
    store.upsert_from_config("daily", "30 10 * * *", "d")  # due 10:30
    first = store.claim_due(at(11, 0), limit=2)
    assert [c.task.name for c in first] == ["five", "daily"]
    assert [c.task.name for c in store.claim_due(at(11, 0), limit=2)] == ["hourly"]


def test_claim_due_with_several_tasks_on_one_expression(store: CronStore) -> None:
    for i in range(5):
        store.upsert_from_config(f"t{i}", EVERY_5, "x")
    claims = store.claim_due(at(10, 7), limit=10)
    assert len(claims) == 5
    assert {c.task.next_run_at for c in claims} == {at(10, 10)}
    assert len({c.history_id for c in claims}) == 5


def test_a_task_that_never_fires_again_gets_its_last_run(store: CronStore) -> None:
    # croniter's 7-field form: minute hour day month weekday second year.
    task = store.upsert_from_config("once", "0 12 5 1 * 0 2026", "happy new year")
    assert task.next_run_at == at(12, 0)
    [claim] = store.claim_due(at(12, 0, 1))
    assert claim.task.next_run_at is None
    assert store.get(task.id).next_run_at is None
    assert store.claim_due(datetime(2030, 1, 1, tzinfo=UTC)) == []


def test_claim_due_rejects_bad_arguments(store: CronStore) -> None:
    store.upsert_from_config("report", EVERY_5, "send")
    with pytest.raises(InvalidInput):
        store.claim_due(datetime(2026, 1, 5, 11, 0))  # naive
    with pytest.raises(InvalidInput):
        store.claim_due(at(11, 0), limit=0)
    with pytest.raises(InvalidInput):
        store.claim_due(at(11, 0), worker_id=7)  # type: ignore[arg-type]
    assert store.list_history() == []


# -- history --------------------------------------------------------------------------------


def test_finish_records_the_outcome_once(store: CronStore, clock: Clock) -> None:
    store.upsert_from_config("report", EVERY_5, "send")
    [claim] = store.claim_due(at(10, 5))
    clock.now = at(10, 6)
    done = store.finish(claim.history_id, CronStatus.FAILED, "boom", run_id="bg-1")
    assert (done.status, done.error, done.run_id) == (CronStatus.FAILED, "boom", "bg-1")
    assert done.finished_at == at(10, 6)
    assert store.get_run(claim.history_id) == done
    with pytest.raises(Conflict, match="failed"):
        store.finish(claim.history_id, "success")
    assert store.get_run(claim.history_id) == done


def test_finish_success_keeps_run_id_when_not_given(store: CronStore) -> None:
    task = store.upsert_from_config("report", EVERY_5, "send")
    run = store.start_run(task.id)
    done = store.finish(run.id, "success")
    assert (done.status, done.error, done.run_id) == (CronStatus.SUCCESS, "", "")


@pytest.mark.parametrize("status", ["running", "bogus", None])
def test_finish_needs_a_final_status(store: CronStore, status: object) -> None:
    task = store.upsert_from_config("report", EVERY_5, "send")
    run = store.start_run(task.id)
    with pytest.raises(InvalidInput):
        store.finish(run.id, status)  # type: ignore[arg-type]
    assert store.get_run(run.id).status is CronStatus.RUNNING


def test_finish_of_an_unknown_run_is_not_found(store: CronStore) -> None:
    with pytest.raises(NotFound):
        store.finish(str(uuid.uuid4()), "success")
    with pytest.raises(NotFound):
        store.get_run(str(uuid.uuid4()))


def test_start_run_is_a_manual_run_that_leaves_the_schedule(store: CronStore) -> None:
    task = store.upsert_from_config("report", EVERY_5, "send")
    run = store.start_run(task.id, worker_id="cron:manual")
    assert (run.status, run.scheduled_for, run.worker_id) == (
        CronStatus.RUNNING, None, "cron:manual")
    assert run.task_name == "report"
    assert store.get(task.id) == task
    with pytest.raises(NotFound):
        store.start_run(cron_task_id("nope"))


def test_list_history_is_newest_first(store: CronStore, clock: Clock) -> None:
    a = store.upsert_from_config("a", EVERY_5, "x")
    b = store.upsert_from_config("b", HOURLY, "y")
    runs = []
    for _ in range(3):
        runs.append(store.start_run(a.id))
        clock.advance(minutes=1)
    other = store.start_run(b.id)
    assert [r.id for r in store.list_history(a.id)] == [r.id for r in reversed(runs)]
    assert [r.id for r in store.list_history(a.id, limit=2)] == [runs[2].id, runs[1].id]
    assert [r.id for r in store.list_history(limit=2)] == [other.id, runs[2].id]
    assert store.list_history(cron_task_id("nobody")) == []
    with pytest.raises(InvalidInput):
        store.list_history(a.id, limit=0)


def test_recent_failures(store: CronStore, clock: Clock) -> None:
    task = store.upsert_from_config("a", EVERY_5, "x")
    first, ok, second = (store.start_run(task.id), store.start_run(task.id),
                         store.start_run(task.id))
    store.finish(first.id, "failed", "e1")
    store.finish(ok.id, "success")
    clock.advance(seconds=1)
    late = store.start_run(task.id)
    store.finish(late.id, "failed", "e2")
    assert [r.error for r in store.recent_failures()] == ["e2", "e1"]
    assert second.status is CronStatus.RUNNING


def test_prune_history_by_age_or_cutoff(store: CronStore, clock: Clock) -> None:
    task = store.upsert_from_config("a", EVERY_5, "x")
    old = store.start_run(task.id)
    store.finish(old.id, "success")
    clock.advance(days=10)
    stuck = store.start_run(task.id)
    clock.advance(days=25)
    recent = store.start_run(task.id)
    assert store.prune_history(timedelta(days=30)) == 1
    assert [r.id for r in store.list_history(task.id)] == [recent.id, stuck.id]
    assert store.prune_history(recent.started_at) == 1
    assert store.prune_history(timedelta(days=30)) == 0
    assert [r.id for r in store.list_history(task.id)] == [recent.id]


@pytest.mark.parametrize("older_than", [timedelta(0), timedelta(days=-1), 30, None,
                                        datetime(2026, 1, 1)])
def test_bad_cutoffs_are_invalid_input(store: CronStore, older_than: object) -> None:
    task = store.upsert_from_config("a", EVERY_5, "x")
    run = store.start_run(task.id)
    with pytest.raises(InvalidInput):
        store.prune_history(older_than)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        store.fail_stale_runs(older_than)  # type: ignore[arg-type]
    assert store.list_history() == [run]


def test_fail_stale_runs_closes_runs_whose_worker_died(store: CronStore, clock: Clock) -> None:
    task = store.upsert_from_config("a", EVERY_5, "x")
    abandoned, done = store.start_run(task.id), store.start_run(task.id)
    store.finish(done.id, "success")
    clock.advance(hours=2)
    fresh = store.start_run(task.id)
    assert store.fail_stale_runs(timedelta(hours=1)) == 1
    failed = store.get_run(abandoned.id)
    assert failed.status is CronStatus.FAILED
    assert failed.finished_at == clock.now
    assert "abandoned" in failed.error
    assert store.get_run(done.id).status is CronStatus.SUCCESS
    assert store.get_run(fresh.id).status is CronStatus.RUNNING
    with pytest.raises(Conflict):
        store.finish(abandoned.id, "success")
    assert store.fail_stale_runs(clock.advance(seconds=1)) == 1  # a cutoff moment
