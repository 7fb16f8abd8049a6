"""Cron tasks: definitions from config or tools, exactly-once claiming of due runs, history.

Schedules are evaluated with croniter, in UTC. A task's `next_run_at` is the one slot it is due
at; `claim_due` hands that slot to exactly one caller and, in the same transaction, moves
`next_run_at` to the first tick after the claim time. So after downtime a task runs once (one
catch-up run for all the slots it missed), never a burst, and never twice for one slot, however
many processes or threads claim at once.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections import OrderedDict
from datetime import UTC, datetime, timedelta

from croniter import CroniterError, croniter

from genie_repo.errors import Conflict, InvalidInput, NotFound
from genie_repo.models.base import parse_input, require_id
from genie_repo.models.cron import (
    CronClaim,
    CronHistory,
    CronSource,
    CronStatus,
    CronTask,
    TaskDefinition,
)
from genie_repo.stores.base import Store
from genie_repo.stores.limits import check_limit
from genie_repo.timestamps import require_utc, to_sqlite_text

_NIL = uuid.UUID(int=0)


def cron_task_id(name: str) -> str:
    """The id of the task with this name: uuid5 in the nil namespace, the same value as the
    Go seed's `uuid.NewSHA1(uuid.Nil, name)`, so ids survive a migration from it."""
    return str(uuid.uuid5(_NIL, require_id(name, "task name")))


class _Schedules:
    """Parsed cron expressions, kept because parsing costs several times one next-tick
    computation. croniter objects are stateful, so one is used under a lock (pure CPU, no I/O)."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._parsed: OrderedDict[str, croniter] = OrderedDict()

    def next_after(self, expression: str, moment: datetime) -> datetime:
        """The first tick strictly after `moment`; InvalidInput when the expression is not
        valid cron syntax or has no tick after `moment`."""
        timestamp = moment.timestamp()
        try:
            with self._lock:
                parsed = self._parsed.get(expression)
                if parsed is None:
                    parsed = croniter(expression, timestamp)
                else:
                    parsed.set_current(timestamp, force=True)
                tick = parsed.get_next(float)
                self._parsed[expression] = parsed
                self._parsed.move_to_end(expression)
                if len(self._parsed) > self._size:
                    self._parsed.popitem(last=False)
        except (CroniterError, ValueError, KeyError, TypeError, OverflowError) as exc:
            raise InvalidInput(f"invalid cron expression {expression!r}: {exc}") from None
        return datetime.fromtimestamp(tick, UTC)


_SCHEDULES = _Schedules()


def next_run_after(expression: str, moment: datetime) -> datetime:
    """The first tick of a cron expression strictly after `moment` (UTC); InvalidInput when the
    expression is invalid or never fires again."""
    if not isinstance(expression, str):
        raise InvalidInput("a cron expression must be a string")
    return _SCHEDULES.next_after(expression, require_utc(moment, "moment"))


class CronStore(Store):
    """Task definitions, exactly-once claiming of due runs, and run history.

    Ids are derived from names (`cron_task_id`). Every write is one statement or one
    transaction; bad input (an invalid expression included) is InvalidInput before any write.
    """

    QUERIES = (
        "cron.upsert_from_config",
        "cron.insert_tool_task",
        "cron.find",
        "cron.find_for_update",
        "cron.list",
        "cron.set_enabled",
        "cron.delete",
        "cron.list_due_for_claim",
        "cron.mark_claimed",
        "cron.insert_claimed_runs",
        "cron.insert_manual_run",
        "cron.find_run",
        "cron.finish_run",
        "cron.list_task_history",
        "cron.list_history",
        "cron.list_failures",
        "cron.fail_stale_runs",
        "cron.prune_history",
    )
    # claim_due and start_run are not here: a retry after a lost reply would claim again.
    IDEMPOTENT_METHODS = frozenset({
        "upsert_from_config", "get", "list_tasks", "set_enabled", "get_run", "list_history",
        "recent_failures", "fail_stale_runs", "prune_history",
    })

    # -- tasks --------------------------------------------------------------------------------

    def upsert_from_config(self, name: str, expression: str, action: str) -> CronTask:
        """Define a task from configuration; safe to call on every start (idempotent).

        A new task is enabled and scheduled from now. An existing task of that name takes the
        new expression and action (and becomes a config task) but keeps `enabled` (a task an
        operator paused stays paused), `last_triggered_at` and `created_at`; its `next_run_at`
        is recomputed from now only when the expression changed, and `updated_at` moves only
        when expression, action or source changed."""
        definition, now, next_run_at = self._define(name, expression, action)
        row = self.db.fetch_one(
            "cron.upsert_from_config",
            {**self._params(definition), "next_run_at": next_run_at, "now": now},
        )
        return CronTask.model_validate(row)

    def create_task(self, name: str, expression: str, action: str) -> CronTask:
        """Create an enabled task with source "tool"; Conflict when the name is taken."""
        definition, now, next_run_at = self._define(name, expression, action)
        try:
            row = self.db.fetch_one(
                "cron.insert_tool_task",
                {**self._params(definition), "next_run_at": next_run_at, "now": now},
            )
        except Conflict as exc:
            raise Conflict(
                f"a cron task named {definition.name!r} already exists",
                query=exc.query, dialect=exc.dialect, code=exc.code,
            ) from exc
        return CronTask.model_validate(row)

    def get(self, task_id: str) -> CronTask:
        """The task with this id; NotFound when there is none."""
        row = self.db.fetch_one("cron.find", {"id": require_id(task_id, "task id")})
        if row is None:
            raise NotFound(f"cron task {task_id!r} not found")
        return CronTask.model_validate(row)

    def list_tasks(self, *, limit: int = 1000) -> list[CronTask]:
        """All tasks, oldest first (by created_at, then id)."""
        rows = self.db.fetch_all("cron.list", {"limit": check_limit(limit)})
        return [CronTask.model_validate(row) for row in rows]

    def set_enabled(self, task_id: str, enabled: bool) -> CronTask:
        """Pause or resume a task; NotFound when it does not exist. Setting the current value
        changes nothing. Resuming a task whose `next_run_at` has passed (or was never set)
        reschedules it from now, so the slots missed while paused do not fire at once."""
        require_id(task_id, "task id")
        if not isinstance(enabled, bool):
            raise InvalidInput("enabled must be a bool")
        with self.db.transaction():
            row = self.db.fetch_one("cron.find_for_update", {"id": task_id})
            if row is None:
                raise NotFound(f"cron task {task_id!r} not found")
            task = CronTask.model_validate(row)
            if task.enabled == enabled:
                return task
            now = self.now()
            next_run_at = task.next_run_at
            if enabled and (next_run_at is None or next_run_at < now):
                next_run_at = next_run_after(task.expression, now)
            row = self.db.fetch_one(
                "cron.set_enabled",
                {"id": task_id, "enabled": enabled, "next_run_at": next_run_at, "now": now},
            )
        return CronTask.model_validate(row)

    def delete(self, task_id: str) -> None:
        """Delete a task; NotFound when it does not exist. Its history is kept."""
        if not self.db.execute("cron.delete", {"id": require_id(task_id, "task id")}):
            raise NotFound(f"cron task {task_id!r} not found")

    # -- claiming -----------------------------------------------------------------------------

    def claim_due(
        self, now: datetime | None = None, *, limit: int = 100, worker_id: str = ""
    ) -> list[CronClaim]:
        """Claim up to `limit` due runs (enabled tasks with `next_run_at <= now`), earliest
        first, each with a new `running` history row to `finish`.

        In one transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: row locks taken with
        SKIP LOCKED) each claimed task's `next_run_at` moves to its first tick after `now` and
        `last_triggered_at` becomes `now`, so a due run is claimed by exactly one caller. A
        task that missed several slots (downtime) is claimed once. Three statements whatever
        the number of tasks claimed: the claims travel as one JSON array, timestamps in the
        canonical UTC text both dialects read."""
        moment = self.now() if now is None else require_utc(now, "now")
        check_limit(limit)
        if not isinstance(worker_id, str):
            raise InvalidInput("worker_id must be a string")
        claims: list[CronClaim] = []
        with self.db.transaction():
            rows = self.db.fetch_all("cron.list_due_for_claim", {"now": moment, "limit": limit})
            if not rows:
                return claims
            ticks: dict[str, tuple[datetime | None, str | None]] = {}  # one per expression
            batch: list[dict[str, str | None]] = []
            for row in rows:
                expression = row["expression"]
                if expression not in ticks:
                    tick = _next_or_none(expression, moment)
                    ticks[expression] = (tick, None if tick is None else to_sqlite_text(tick))
                tick, tick_text = ticks[expression]
                # Rows this store wrote, claimed by hot schedulers: built without re-validation.
                task = CronTask.model_construct(**{
                    **row, "source": CronSource(row["source"]), "next_run_at": tick,
                    "last_triggered_at": moment,
                })
                run = CronHistory.model_construct(
                    id=_run_id(), task_id=task.id, task_name=task.name, started_at=moment,
                    finished_at=None, scheduled_for=row["next_run_at"],
                    status=CronStatus.RUNNING, error="", run_id="", worker_id=worker_id,
                )
                claims.append(CronClaim.model_construct(task=task, run=run))
                batch.append({
                    "task_id": task.id, "task_name": task.name, "history_id": run.id,
                    "scheduled_for": to_sqlite_text(row["next_run_at"]), "next_run_at": tick_text,
                })
            params = {"claims": json.dumps(batch), "now": moment}
            self.db.execute("cron.insert_claimed_runs", {**params, "worker_id": worker_id})
            self.db.execute("cron.mark_claimed", params)
        return claims

    # -- history ------------------------------------------------------------------------------

    def start_run(self, task_id: str, *, worker_id: str = "") -> CronHistory:
        """Record a manual (unscheduled) run of a task as `running`; the schedule is untouched.
        NotFound when the task does not exist."""
        task = self.get(task_id)
        if not isinstance(worker_id, str):
            raise InvalidInput("worker_id must be a string")
        row = self.db.fetch_one(
            "cron.insert_manual_run",
            {"id": _run_id(), "task_id": task.id, "task_name": task.name,
             "started_at": self.now(), "worker_id": worker_id},
        )
        return CronHistory.model_validate(row)

    def finish(
        self,
        history_id: str,
        status: CronStatus | str,
        error: str | None = None,
        *,
        run_id: str | None = None,
    ) -> CronHistory:
        """Mark a running run `success` or `failed` (with an optional error text and the id
        of the run it dispatched). A run finishes once: Conflict when it is no longer
        running; NotFound when there is no such run."""
        require_id(history_id, "history id")
        final = _status(status)
        if final is CronStatus.RUNNING:
            raise InvalidInput("a run finishes as 'success' or 'failed'")
        if error is not None and not isinstance(error, str):
            raise InvalidInput("error must be a string")
        if run_id is not None and not isinstance(run_id, str):
            raise InvalidInput("run_id must be a string")
        row = self.db.fetch_one(
            "cron.finish_run",
            {"id": history_id, "status": final.value, "error": error or "", "run_id": run_id,
             "now": self.now()},
        )
        if row is not None:
            return CronHistory.model_validate(row)
        current = self.db.fetch_one("cron.find_run", {"id": history_id})
        if current is None:
            raise NotFound(f"cron run {history_id!r} not found")
        raise Conflict(f"cron run {history_id!r} already finished as {current['status']!r}")

    def get_run(self, history_id: str) -> CronHistory:
        """The history row with this id; NotFound when there is none."""
        row = self.db.fetch_one("cron.find_run", {"id": require_id(history_id, "history id")})
        if row is None:
            raise NotFound(f"cron run {history_id!r} not found")
        return CronHistory.model_validate(row)

    def list_history(self, task_id: str | None = None, *, limit: int = 10) -> list[CronHistory]:
        """Runs of one task (or of every task when `task_id` is None), newest first. Runs of
        a deleted task are still listed."""
        if task_id is None:
            rows = self.db.fetch_all("cron.list_history", {"limit": check_limit(limit)})
        else:
            rows = self.db.fetch_all(
                "cron.list_task_history",
                {"task_id": require_id(task_id, "task id"), "limit": check_limit(limit)},
            )
        return [CronHistory.model_validate(row) for row in rows]

    def recent_failures(self, *, limit: int = 50) -> list[CronHistory]:
        """Failed runs of every task, newest first (for health checks)."""
        rows = self.db.fetch_all("cron.list_failures", {"limit": check_limit(limit)})
        return [CronHistory.model_validate(row) for row in rows]

    def fail_stale_runs(self, older_than: timedelta | datetime) -> int:
        """Mark runs still `running` that started before a cutoff (a moment, or an age counted
        back from now) as `failed`: their worker died before calling `finish`. Returns how
        many; a later `finish` of such a run is Conflict."""
        return self.db.execute(
            "cron.fail_stale_runs",
            {"cutoff": self._cutoff(older_than), "now": self.now(),
             "error": "abandoned: still running at the stale-run cutoff"},
        )

    def prune_history(self, older_than: timedelta | datetime) -> int:
        """Delete runs started before a cutoff (a moment, or an age counted back from now),
        whatever their status; returns how many were deleted."""
        return self.db.execute("cron.prune_history", {"cutoff": self._cutoff(older_than)})

    # -- internals ----------------------------------------------------------------------------

    def _define(
        self, name: str, expression: str, action: str
    ) -> tuple[TaskDefinition, datetime, datetime]:
        definition = parse_input(TaskDefinition, name=name, expression=expression, action=action)
        now = self.now()
        return definition, now, next_run_after(definition.expression, now)

    def _cutoff(self, older_than: timedelta | datetime) -> datetime:
        if isinstance(older_than, timedelta):
            if older_than <= timedelta(0):
                raise InvalidInput("older_than must be a positive age")
            return self.now() - older_than
        if isinstance(older_than, datetime):
            return require_utc(older_than, "older_than")
        raise InvalidInput("older_than must be a timedelta or a datetime")

    @staticmethod
    def _params(definition: TaskDefinition) -> dict[str, object]:
        return {"id": cron_task_id(definition.name), **definition.model_dump()}


def _run_id() -> str:
    """A UUIDv7 (RFC 9562): time-ordered, so a claim's history rows land together at the end
    of the primary-key index instead of dirtying one random index page each."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # RFC 4122 variant
    return str(uuid.UUID(int=value))


def _next_or_none(expression: str, moment: datetime) -> datetime | None:
    """The next tick, or None for an expression that never fires again (e.g. a past year):
    such a task gets this last run and then stays idle instead of blocking every claim."""
    try:
        return next_run_after(expression, moment)
    except InvalidInput:
        return None


def _status(value: object) -> CronStatus:
    try:
        return CronStatus(value if isinstance(value, str) else "")
    except ValueError:
        shown = repr(value) if isinstance(value, str) else f"of type {type(value).__name__}"
        raise InvalidInput(
            f"unknown cron run status {shown}; one of " + ", ".join(s.value for s in CronStatus)
        ) from None

