"""Every store's benchmark entries and studies, in report order."""

from __future__ import annotations

from bench.core import Bench, Study
from bench.suites import (
    adk,
    aio,
    approvals,
    checkpoints,
    cron,
    langgraph_store,
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
        *langgraph_store.benches(),
        *cron.benches(),
        *approvals.benches(),
        *aio.benches(),
        *adk.benches(),
        *openai_agents.benches(),
    ]


def all_studies() -> list[Study]:
    return [*storage.studies(), *memories.studies(), *scale.studies()]
