"""Every public write (and keyed read) of every store against hostile values.

See `hostile.py` for the values and the rule. One test per (dialect, value), so a finding names
both; each test runs every slot of every store against a fresh database.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from genie_repo import (
    ApprovalStatus,
    Config,
    CronStore,
    Event,
    InvalidInput,
    MemoryStore,
    Payload,
    SessionKey,
    open_database,
)
from genie_repo.models.sessions import UserKey
from tests.reliability.dump import logical_dump
from tests.reliability.hostile import (
    BATTERIES,
    LARGE_FLOATS,
    LIMITS,
    MOMENTS,
    Call,
    Slot,
    Stores,
    Verify,
    run_battery,
)
from tests.reliability.slots_checkpoints import CHECKPOINT_SLOTS
from tests.reliability.slots_more import MORE_SLOTS
from tests.reliability.slots_sessions import SESSION_SLOTS

# -- approvals ------------------------------------------------------------------------------------

APPROVAL_TEXT_FIELDS = ("id", "thread_id", "run_id", "tool_name", "tenant_id", "args",
                        "created_by", "sender_context", "question")


def approval_create(field: str) -> Slot:
    def slot(stores: Stores, value: Any) -> tuple[Call, Verify]:
        kwargs = {"id": stores.fresh_id(), "thread_id": "thread", "run_id": "run",
                  "tool_name": "tool", field: value}

        def verify(result: object) -> None:
            got = stores.approvals.get(result.id)  # type: ignore[attr-defined]
            assert got == result
            assert getattr(got, field) == value or (field, value) == ("id", None)  # None: a uuid
            if field == "tenant_id":
                stores.remember(stores.tenants, value, got.id)
            if field == "thread_id":
                stores.remember(stores.threads, value, got.id)

        return lambda: stores.approvals.create(**kwargs), verify

    return slot


def approval_resolve(field: str) -> Slot:
    def slot(stores: Stores, value: Any) -> tuple[Call, Verify]:
        target = stores.approvals.create(id=stores.fresh_id(), thread_id="t", run_id="r",
                                         tool_name="tool").id
        kwargs: dict[str, Any] = {"approval_id": target, "status": "approved",
                                  "resolved_by": "me", "feedback": ""}
        kwargs[field] = value

        def verify(result: object) -> None:
            got = stores.approvals.get(kwargs["approval_id"])
            assert got == result and got.status is ApprovalStatus(kwargs["status"])
            assert (got.resolved_by, got.feedback) == (kwargs["resolved_by"], kwargs["feedback"])

        def call() -> object:
            return stores.approvals.resolve(
                kwargs["approval_id"], status=kwargs["status"],
                resolved_by=kwargs["resolved_by"], feedback=kwargs["feedback"])

        return call, verify

    return slot


def approval_lookup(method: str) -> Slot:
    def slot(stores: Stores, value: Any) -> tuple[Call, Verify]:
        def call() -> object:
            return getattr(stores.approvals, method)(value)

        def verify(result: object) -> None:
            if method == "get":
                assert result.id == value  # type: ignore[attr-defined]
                return
            attribute = {"list_by_thread": "thread_id", "list_by_tenant": "tenant_id",
                         "list_by_status": "status"}[method]
            assert isinstance(result, list)
            assert all(getattr(a, attribute) == value for a in result)
            expected = {"list_by_thread": stores.threads,
                        "list_by_tenant": stores.tenants}.get(method, {}).get(value, set())
            assert expected <= {a.id for a in result}

        return call, verify

    return slot


# -- clarifications -------------------------------------------------------------------------------


def clarification_create(field: str) -> Slot:
    def slot(stores: Stores, value: Any) -> tuple[Call, Verify]:
        kwargs = {"question": "q?", "id": stores.fresh_id(), field: value}

        def verify(result: object) -> None:
            got = stores.clarifications.get(result.id)  # type: ignore[attr-defined]
            assert got == result
            assert getattr(got, field) == value or (field, value) == ("id", None)  # None: a uuid

        return lambda: stores.clarifications.create(**kwargs), verify

    return slot


def clarification_answer(stores: Stores, value: Any) -> tuple[Call, Verify]:
    target = stores.clarifications.create("q?", id=stores.fresh_id()).id

    def verify(result: object) -> None:
        assert stores.clarifications.get(target).answer == value == result.answer  # type: ignore[attr-defined]

    return lambda: stores.clarifications.answer(target, value), verify


def clarification_lookup(method: str) -> Slot:
    """The hostile value as the key of a lookup or a state change (`answer`, `expire`)."""

    def slot(stores: Stores, value: Any) -> tuple[Call, Verify]:
        def call() -> object:
            if method == "answer":
                return stores.clarifications.answer(value, "an answer")
            return getattr(stores.clarifications, method)(value)

        def verify(result: object) -> None:
            if method == "find_pending_by_question":
                assert result is None or result.question == value  # type: ignore[attr-defined]
            else:
                assert result.id == value  # type: ignore[attr-defined]

        return call, verify

    return slot


SLOTS: dict[str, Slot] = {
    **SESSION_SLOTS,
    **CHECKPOINT_SLOTS,
    **MORE_SLOTS,
    **{f"approvals.create({f})": approval_create(f) for f in APPROVAL_TEXT_FIELDS},
    **{f"approvals.resolve({f})": approval_resolve(f)
       for f in ("approval_id", "status", "resolved_by", "feedback")},
    **{f"approvals.{m}": approval_lookup(m)
       for m in ("get", "list_by_thread", "list_by_tenant", "list_by_status")},
    **{f"clarifications.create({f})": clarification_create(f)
       for f in ("id", "question", "context", "sender_context")},
    "clarifications.answer(text)": clarification_answer,
    **{f"clarifications.{m}": clarification_lookup(m)
       for m in ("get", "find_pending_by_question", "answer", "expire")},
}


# 10 MB values go through one text field and one indexed key of each table (writing and
# reading 10 MB through every slot would take most of a minute and prove nothing more).
TEN_MB_SLOTS = (
    "approvals.create(args)", "approvals.create(tenant_id)", "approvals.create(thread_id)",
    "approvals.resolve(feedback)", "clarifications.create(context)",
    "clarifications.answer(text)", "sessions.create_session(key[2])",
    "sessions.update_session_state(plain value)", "sessions.update_app_state(key)",
    "sessions.append_event(payload)", "sessions.append_event(filter_key)",
    "sessions.put_summary(text)", "checkpoints.put(lineage_id)",
    "checkpoints.put(metadata-value)", "checkpoints.put(payload bytes)",
    "checkpoints.put(channel)", "memories.add_memory(content)",
    "memories.search_memories(query)", "short_memory.set(value)", "cron.create_task(action)",
)


@pytest.mark.parametrize("battery", sorted(BATTERIES))
def test_hostile_value_round_trips_or_is_rejected_cleanly(
    dialect: str, fresh_config: Callable[[str], Config], battery: str
) -> None:
    config = fresh_config(dialect)
    db = open_database(config)
    slots = SLOTS if battery != "10mb" else {k: SLOTS[k] for k in TEN_MB_SLOTS}
    try:
        findings = run_battery(config, Stores.open(db), slots, BATTERIES[battery])
    finally:
        db.close()
    assert not findings, "\n".join(str(f)[:200] for f in findings)


# -- timestamps and page sizes --------------------------------------------------------------------


def same_instant(got: object, value: object) -> None:
    assert isinstance(value, datetime), f"accepted a {type(value).__name__} as a timestamp"
    assert isinstance(got, datetime) and got == value and got.utcoffset() == timedelta(0)


def approval_expires_at(stores: Stores, value: Any) -> tuple[Call, Verify]:
    kwargs = {"id": stores.fresh_id(), "thread_id": "t", "run_id": "r", "tool_name": "tool",
              "expires_at": value}

    def verify(result: object) -> None:
        same_instant(stores.approvals.get(kwargs["id"]).expires_at, value)

    return lambda: stores.approvals.create(**kwargs), verify


def approval_expire_stale(stores: Stores, value: Any) -> tuple[Call, Verify]:
    target = stores.approvals.create(id=stores.fresh_id(), thread_id="t", run_id="r",
                                     tool_name="tool",
                                     expires_at=datetime(2000, 1, 1, tzinfo=UTC)).id

    def verify(result: object) -> None:
        got = stores.approvals.get(target)
        if isinstance(value, datetime) and value > datetime(2000, 1, 1, tzinfo=UTC):
            same_instant(got.resolved_at, value)
        else:
            assert isinstance(value, datetime), f"accepted a {type(value).__name__} as now"

    return lambda: stores.approvals.expire_stale(value), verify


def clarification_expire_older_than(stores: Stores, value: Any) -> tuple[Call, Verify]:
    age = value - datetime(2026, 1, 1, tzinfo=UTC) if isinstance(value, datetime) and (
        value.tzinfo) else value

    def verify(result: object) -> None:
        assert isinstance(age, timedelta) and age >= timedelta(0)

    return lambda: stores.clarifications.expire_older_than(age), verify


def event_timestamp(stores: Stores, value: Any) -> tuple[Call, Verify]:
    key = SessionKey("stamps", "user", stores.fresh_id())
    stores.sessions.create_session(key)

    def verify(result: object) -> None:
        session = stores.sessions.get_session(key, since=value)
        assert session is not None
        (event,) = session.events
        same_instant(event.timestamp, value)

    return lambda: stores.sessions.append_event(key, Event(timestamp=value)), verify


def checkpoint_ts(stores: Stores, value: Any) -> tuple[Call, Verify]:
    lineage = stores.fresh_id()

    def verify(result: object) -> None:
        got = stores.checkpoints.get_tuple(lineage, "cp")
        assert got is not None
        same_instant(got.ts, value)

    return lambda: stores.checkpoints.put(lineage, "cp", Payload("json", b"{}"), ts=value), verify


def claim_due_now(stores: Stores, value: Any) -> tuple[Call, Verify]:
    def verify(result: object) -> None:
        assert isinstance(value, datetime)
        assert all(c.run.started_at == value for c in result)  # type: ignore[attr-defined]

    return lambda: CronStore(stores.db).claim_due(value), verify


TIMESTAMP_SLOTS: dict[str, Slot] = {
    "sessions.append_event(timestamp)": event_timestamp,
    "checkpoints.put(ts)": checkpoint_ts,
    "cron.claim_due(now)": claim_due_now,
    "approvals.create(expires_at)": approval_expires_at,
    "approvals.expire_stale(now)": approval_expire_stale,
    "clarifications.expire_older_than(age)": clarification_expire_older_than,
}


def test_timestamps_are_aware_in_range_instants_or_invalid_input(
    dialect: str, fresh_config: Callable[[str], Config]
) -> None:
    config = fresh_config(dialect)
    db = open_database(config)
    try:
        findings = run_battery(config, Stores.open(db), TIMESTAMP_SLOTS, MOMENTS)
    finally:
        db.close()
    assert not findings, "\n".join(str(f)[:200] for f in findings)


SESSION = SessionKey("pages", "user", "session")
OWNER = UserKey("pages", "user")


def test_page_sizes_outside_1_to_10000_are_invalid_input(
    dialect: str, fresh_config: Callable[[str], Config]
) -> None:
    config = fresh_config(dialect)
    db = open_database(config)
    stores = Stores.open(db)
    memories, cron = MemoryStore(db), CronStore(db)
    lists: dict[str, Callable[[Any], object]] = {
        "approvals.list_by_thread": lambda n: stores.approvals.list_by_thread("t", limit=n),
        "approvals.list_by_tenant": lambda n: stores.approvals.list_by_tenant("", limit=n),
        "approvals.list_by_status": lambda n: stores.approvals.list_by_status("pending",
                                                                               limit=n),
        "approvals.list_pending": lambda n: stores.approvals.list_pending(limit=n),
        "clarifications.list_pending": lambda n: stores.clarifications.list_pending(limit=n),
        "sessions.list_events": lambda n: stores.sessions.list_events(SESSION, limit=n),
        "sessions.list_sessions": lambda n: stores.sessions.list_sessions(
            SESSION.user_key, limit=n).sessions,
        "checkpoints.list": lambda n: stores.checkpoints.list("l", limit=n),
        "memories.read_memories": lambda n: memories.read_memories(OWNER, limit=n),
        "memories.search_memories": lambda n: memories.search_memories(OWNER, "fact", limit=n),
        "cron.list_tasks": lambda n: cron.list_tasks(limit=n),
        "cron.list_history": lambda n: cron.list_history(limit=n),
    }
    try:
        stores.approvals.create(id="a", thread_id="t", run_id="r", tool_name="tool")
        stores.clarifications.create("q?", id="c")
        stores.sessions.create_session(SESSION)
        stores.sessions.append_event(SESSION, Event())
        stores.checkpoints.put("l", "cp", Payload("json", b"{}"))
        memories.add_memory(OWNER, "a fact")
        cron.start_run(cron.create_task("task", "0 * * * *", "run").id)
        before = logical_dump(config)
        accepted = []
        for name, call in lists.items():
            assert len(call(10_000)) == 1 and len(call(1)) == 1, name  # type: ignore[arg-type]
            for limit in LIMITS:
                if limit is None and name == "checkpoints.list":
                    continue  # documented: no limit
                try:
                    call(limit)
                    accepted.append(f"{name}(limit={limit!r})")
                except InvalidInput:
                    pass
        assert accepted == []
        assert logical_dump(config) == before
    finally:
        stores.close()
        db.close()


def test_large_floats_in_json_round_trip_exactly(
    dialect: str, fresh_config: Callable[[str], Config]
) -> None:
    """Every JSON the stores keep (state values, event deltas, checkpoint metadata) reads back
    as the same Python values, of the same types."""
    config = fresh_config(dialect)
    db = open_database(config)
    stores = Stores.open(db)
    key = SessionKey("floats", "user", "session")
    try:
        stores.sessions.create_session(key)
        for n, number in enumerate(LARGE_FLOATS):
            stores.sessions.append_event(key, Event(state_delta={f"f{n}": number}))
            stores.checkpoints.put("floats", f"cp{n}", Payload("json", b"{}"),
                                   metadata={"f": number})
        session = stores.sessions.get_session(key)
        assert session is not None
        state = [session.state[f"f{n}"] for n in range(len(LARGE_FLOATS))]
        deltas = [e.state_delta[f"f{n}"] for n, e in enumerate(session.events)]
        metadata = []
        for n in range(len(LARGE_FLOATS)):
            found = stores.checkpoints.get_tuple("floats", f"cp{n}")
            assert found is not None
            metadata.append(found.metadata["f"])
        reads = {"session state": state, "event state_delta": deltas,
                 "checkpoint metadata": metadata}
        changed = {name: values for name, values in reads.items()
                   if [(type(v), v) for v in values] != [(float, v) for v in LARGE_FLOATS]}
        assert changed == {}, f"read back different numbers: {changed}"
    finally:
        stores.close()
        db.close()
