"""Approvals and clarifications under retry: any sequence of calls, each sent twice in a row
(a retry after a lost reply), leaves the same rows as the sequence sent once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genie_repo import ApprovalStore, ClarificationStore, Conflict, NotFound
from genie_repo.db import Database
from tests.clock import FakeClock

IDS = st.sampled_from(["a", "b", "c"])
TEXT = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
CALLS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), IDS, st.sampled_from(["t1", "t2"])),
        st.tuples(st.just("resolve"), IDS, st.sampled_from(["approved", "rejected"])),
        st.tuples(st.just("expire_stale"), st.none(), st.none()),
        st.tuples(st.just("ask"), IDS, st.text(TEXT, min_size=1, max_size=5)),
        st.tuples(st.just("answer"), IDS, st.text(TEXT, max_size=5)),
    ),
    max_size=12,
)


def apply(approvals: ApprovalStore, clarifications: ClarificationStore,
          calls: list[tuple[str, Any, Any]]) -> None:
    for verb, key, arg in calls:
        try:
            if verb == "create":
                approvals.create(id=key, thread_id=arg, run_id="r", tool_name="tool")
            elif verb == "resolve":
                approvals.resolve(key, status=arg, resolved_by="u")
            elif verb == "expire_stale":
                approvals.expire_stale()
            elif verb == "ask":
                clarifications.create(arg, id=key)
            else:
                clarifications.answer(key, arg)
        except (Conflict, NotFound):
            pass  # a retried call that already happened, or one on an id never created


def snapshot(approvals: ApprovalStore, clarifications: ClarificationStore) -> Any:
    rows = [a.model_dump() for status in ("pending", "approved", "rejected", "expired")
            for a in approvals.list_by_status(status, limit=100)]
    return sorted(rows, key=lambda r: r["id"]), clarifications.list_pending()


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(calls=CALLS)
def test_every_call_twice_equals_once(
    dialect: str, make_db: Callable[[str], Database], calls: list[tuple[str, Any, Any]]
) -> None:
    results = []
    for sequence in (calls, [call for call in calls for _ in range(2)]):
        db = make_db(dialect)  # a fresh database per run
        clock = FakeClock()
        approvals = ApprovalStore(db, clock=clock)
        clarifications = ClarificationStore(db, clock=clock)
        apply(approvals, clarifications, sequence)
        results.append(snapshot(approvals, clarifications))
        db.close()
    assert results[0] == results[1]
