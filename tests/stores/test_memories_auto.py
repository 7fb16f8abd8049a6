"""enqueue_auto_memory_job: a pluggable extractor on a bounded background worker."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from genie_repo import GenieRepoError, InvalidInput, TransientError
from genie_repo.db import Database
from genie_repo.models.sessions import UserKey
from genie_repo.stores.memories import Extracted, MemoryStore

ALICE = UserKey("genie:assistant", "alice")
EVENTS = [{"role": "user", "text": "I moved to Berlin"}, {"role": "assistant", "text": "Noted"}]


def facts(events: Sequence[Any]) -> Iterator[Extracted]:
    """A stand-in for a model: one memory per user event, plus a topic-less one."""
    for event in events:
        if event["role"] == "user":
            yield (f"user said: {event['text']}", ["conversation"])
    yield "a plain-text memory"


def test_job_stores_what_the_extractor_returns(db: Database) -> None:
    store = MemoryStore(db)
    entries = store.enqueue_auto_memory_job(ALICE, EVENTS, facts).result(timeout=60)
    assert [e.memory.content for e in entries] == [
        "user said: I moved to Berlin", "a plain-text memory"]
    assert entries[0].memory.topics == ["conversation"]
    assert len(store.search_memories(ALICE, "Berlin")) == 1
    store.close()


def test_close_drains_queued_jobs(db: Database) -> None:
    store = MemoryStore(db)
    release = threading.Event()

    def slow(events: Sequence[Any]) -> list[Extracted]:
        release.wait(timeout=60)
        return [f"memory {events[0]}"]

    futures = [store.enqueue_auto_memory_job(ALICE, [i], slow) for i in range(5)]
    assert not any(f.done() for f in futures)
    release.set()
    store.close()
    assert all(f.done() for f in futures)
    assert len(store.read_memories(ALICE)) == 5
    with pytest.raises(GenieRepoError):
        store.enqueue_auto_memory_job(ALICE, EVENTS, facts)
    store.close()  # idempotent


def test_queue_is_bounded(db: Database) -> None:
    store = MemoryStore(db, auto_memory_queue_size=2)
    release = threading.Event()

    def blocked(events: Sequence[Any]) -> list[Extracted]:
        release.wait(timeout=60)
        return []

    first = store.enqueue_auto_memory_job(ALICE, [], blocked)
    second = store.enqueue_auto_memory_job(ALICE, [], blocked)
    with pytest.raises(TransientError):
        store.enqueue_auto_memory_job(ALICE, [], blocked)
    release.set()
    first.result(timeout=60)
    second.result(timeout=60)
    store.enqueue_auto_memory_job(ALICE, EVENTS, facts).result(timeout=60)  # room again
    store.close()


def test_a_failing_job_reports_and_the_worker_goes_on(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    store = MemoryStore(db)

    def broken(events: Sequence[Any]) -> list[Extracted]:
        raise RuntimeError("model unavailable")

    def bad_output(events: Sequence[Any]) -> list[Extracted]:
        return [""]  # blank content is InvalidInput from add_memory

    failed = store.enqueue_auto_memory_job(ALICE, EVENTS, broken)
    invalid = store.enqueue_auto_memory_job(ALICE, EVENTS, bad_output)
    ok = store.enqueue_auto_memory_job(ALICE, EVENTS, facts)
    assert len(ok.result(timeout=60)) == 2
    assert isinstance(failed.exception(timeout=60), RuntimeError)
    assert isinstance(invalid.exception(timeout=60), InvalidInput)
    assert "auto-memory job failed" in caplog.text
    with pytest.raises(InvalidInput):
        store.enqueue_auto_memory_job(ALICE, EVENTS, "not callable")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        store.enqueue_auto_memory_job(UserKey.__new__(UserKey), EVENTS, facts)
    store.close()
