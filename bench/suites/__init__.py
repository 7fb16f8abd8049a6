"""Every store's benchmark entries and studies, in report order."""

from __future__ import annotations

from bench.core import Bench, Study
from bench.suites import (
    aio,
    approvals,
    checkpoints,
    cron,
    memories,
    openai_agents,
    scale,
    sessions,
    storage,
)


def all_benches() -> list[Bench]:
    return [
        *sessions.benches(),
        *checkpoints.benches(),
        *memories.benches(),
        *cron.benches(),
        *approvals.benches(),
        *aio.benches(),
        *openai_agents.benches(),
    ]


def all_studies() -> list[Study]:
    return [*storage.studies(), *scale.studies()]
