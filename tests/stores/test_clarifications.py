"""ClarificationStore on both dialects."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from genie_repo import ClarificationStore, ClarifyStatus, Conflict, InvalidInput, NotFound
from genie_repo.db import Database
from tests.api import Builder
from tests.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(db: Database, clock: FakeClock, build: Builder) -> ClarificationStore:
    return build(ClarificationStore, db, clock=clock)


def test_ask_and_answer(store: ClarificationStore, clock: FakeClock) -> None:
    asked = store.create("Which repo?", context="deploy", sender_context="slack:U1:C1")
    assert asked.status is ClarifyStatus.PENDING and asked.created_at == clock.now
    clock.advance(seconds=30)
    answered = store.answer(asked.id, "genie")
    assert (answered.status, answered.answer, answered.answered_at) == (
        ClarifyStatus.ANSWERED, "genie", clock.now)
    assert store.get(asked.id) == answered
    with pytest.raises(Conflict, match="answered"):
        store.answer(asked.id, "other")
    with pytest.raises(Conflict):
        store.expire(asked.id)
    with pytest.raises(NotFound):
        store.answer("missing", "x")


def test_expire_and_list_pending(store: ClarificationStore, clock: FakeClock) -> None:
    first = store.create("one?")
    clock.advance(minutes=1)
    second = store.create("two?")
    assert [c.id for c in store.list_pending()] == [first.id, second.id]
    expired = store.expire(first.id)
    assert expired.status is ClarifyStatus.EXPIRED and expired.answered_at is not None
    assert [c.id for c in store.list_pending()] == [second.id]
    with pytest.raises(Conflict, match="expired"):
        store.answer(first.id, "late")


def test_expire_older_than(store: ClarificationStore, clock: FakeClock) -> None:
    old = store.create("old?")
    clock.advance(minutes=20)
    recent = store.create("recent?")
    assert store.expire_older_than(timedelta(minutes=10)) == 1
    assert store.get(old.id).status is ClarifyStatus.EXPIRED
    assert store.get(recent.id).status is ClarifyStatus.PENDING
    assert store.expire_older_than(timedelta(minutes=10)) == 0


def test_find_pending_by_question_allows_reasking_after_expiry(store: ClarificationStore) -> None:
    asked = store.create("Same question?")
    assert store.find_pending_by_question("Same question?") == asked
    store.expire(asked.id)
    assert store.find_pending_by_question("Same question?") is None


def test_concurrent_answers_one_wins(store: ClarificationStore) -> None:
    asked = store.create("race?")
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def answer(n: int) -> None:
        barrier.wait()
        try:
            store.answer(asked.id, f"answer {n}")
            outcomes.append("won")
        except Conflict:
            outcomes.append("lost")

    threads = [threading.Thread(target=answer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("won") == 1 and outcomes.count("lost") == 7


@pytest.mark.parametrize(
    "kwargs", [{"question": ""}, {"question": 3}, {"question": "q", "context": None},
               {"question": "q\x00"}, {"question": "q", "id": ""}]
)
def test_bad_input_writes_nothing(store: ClarificationStore, kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        store.create(**kwargs)
    assert store.list_pending() == []


def test_bad_answer_and_age(store: ClarificationStore) -> None:
    asked = store.create("q?")
    with pytest.raises(InvalidInput):
        store.answer(asked.id, None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        store.answer(asked.id, "nul\x00")
    with pytest.raises(InvalidInput):
        store.expire_older_than(timedelta(minutes=-1))
    assert store.get(asked.id).status is ClarifyStatus.PENDING
