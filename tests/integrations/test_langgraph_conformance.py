"""LangGraph's own conformance suite (langgraph-checkpoint-conformance 0.0.2) against our saver,
one pytest item per capability and dialect. The suite calls only the async methods."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from langgraph.checkpoint.conformance import checkpointer_test, validate
from langgraph.checkpoint.conformance.capabilities import Capability

from genie_repo.db import Database
from genie_repo.integrations.langgraph import GenieCheckpointSaver

# The tests each capability has in 0.0.2: a drop means the suite changed under us.
EXPECTED = {
    "put": 17, "put_writes": 10, "get_tuple": 10, "list": 16, "delete_thread": 5,
    "delete_for_runs": 7, "copy_thread": 8, "prune": 8,
}


@pytest.mark.parametrize("capability", [c.value for c in Capability])
def test_conformance(db: Database, capability: str) -> None:
    @checkpointer_test(name=f"GenieCheckpointSaver[{db.dialect}]")
    async def factory() -> AsyncIterator[GenieCheckpointSaver]:
        yield GenieCheckpointSaver(db)

    report = asyncio.run(validate(factory, capabilities={capability}))
    result = report.results[capability]
    assert result.detected, f"{capability} not detected"
    assert result.passed, "\n".join(result.failures)
    assert (result.tests_passed, result.tests_failed) == (EXPECTED[capability], 0)


def test_all_base_capabilities_pass(db: Database) -> None:
    @checkpointer_test(name=f"GenieCheckpointSaver-all[{db.dialect}]")
    async def factory() -> AsyncIterator[GenieCheckpointSaver]:
        yield GenieCheckpointSaver(db)

    report = asyncio.run(validate(factory))
    assert report.passed_all_base()
    assert report.passed_all()
    assert sum(r.tests_passed for r in report.results.values()) == sum(EXPECTED.values())
