"""Scheduled (cron) tasks and the history of their runs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import StrictStr, StringConstraints

from genie_repo.models.base import Id, Model


class CronStatus(StrEnum):
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"


class CronSource(StrEnum):
    """Where a task came from: the configuration file, or an agent's tool call."""

    CONFIG = "config"
    TOOL = "tool"


class CronTask(Model):
    id: str
    name: str
    expression: str
    action: str
    enabled: bool = True
    source: CronSource = CronSource.CONFIG
    last_triggered_at: datetime | None = None
    next_run_at: datetime | None = None
    created_at: datetime
    updated_at: datetime

    def __str__(self) -> str:
        return f"{self.name}:{self.expression}:{self.action}"


class CronHistory(Model):
    id: str
    task_id: str
    task_name: str
    started_at: datetime
    finished_at: datetime | None = None
    scheduled_for: datetime | None = None
    status: CronStatus = CronStatus.RUNNING
    error: str = ""
    run_id: str = ""
    worker_id: str = ""


class CronClaim(Model):
    """A due run handed to exactly one worker: the task as it is after the claim (its
    next_run_at already advanced) and the `running` history row to finish."""

    task: CronTask
    run: CronHistory

    @property
    def history_id(self) -> str:
        return self.run.id


class TaskDefinition(Model):
    """What a caller supplies to define a task (validated before any write; the expression
    itself is checked by the store's cron evaluator)."""

    name: Id
    expression: Annotated[StrictStr, StringConstraints(min_length=1, max_length=256)]
    action: Annotated[StrictStr, StringConstraints(min_length=1)]
