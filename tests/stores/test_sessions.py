"""SessionStore on both dialects: the Go suite's session behaviours (behaviour_spec section 9),
a regression test for each session bug of sections 4.6-4.12, and the API's contracts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from genie_repo.config import Config
from genie_repo.db import Database, open_database
from genie_repo.errors import GenieRepoError, InvalidInput, NotFound
from genie_repo.models.sessions import Event, Session, SessionKey, UserKey
from genie_repo.stores.sessions import SessionStore
from tests.api import Builder
from tests.clock import StepClock

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def with_plan(store: SessionStore, plan: str) -> SessionStore:
    """The store running append_event with its dialect's own plan or the other dialect's:
    both plans must keep every guarantee on both dialects."""
    if plan == "other plan":
        store._append_in_one_statement = not store._append_in_one_statement
    return store


@pytest.fixture(params=["sync", "sync, other plan", "async"])
def store(db: Database, request: pytest.FixtureRequest) -> Iterator[SessionStore]:
    """The sync store (with its own append plan, then the other dialect's), and the async
    store behind the same interface."""
    builder = Builder("async" if request.param == "async" else "sync")
    s = builder(SessionStore, db, clock=StepClock(T0))
    if request.param == "sync, other plan":
        with_plan(s, "other plan")
    yield s
    s.close()
    builder.finish()


@pytest.fixture
def reopen(config: Config) -> Iterator[list[Database]]:
    """Databases opened on the same config: a restart, or another process/replica."""
    opened: list[Database] = []
    yield opened
    for database in opened:
        database.close()


def fresh_store(config: Config, opened: list[Database], **kwargs: object) -> SessionStore:
    database = open_database(config)
    opened.append(database)
    return SessionStore(database, **kwargs)  # type: ignore[arg-type]


KEY = SessionKey("app", "user", "s1")
USER = UserKey("app", "user")


def ev(text: str, author: str = "assistant", **kwargs: object) -> Event:
    return Event(author=author, payload=json.dumps({"author": author, "text": text}),
                 **kwargs)  # type: ignore[arg-type]


def texts(session: Session | None) -> list[str]:
    assert session is not None
    return [json.loads(e.payload)["text"] for e in session.events]


# -- the Go suite (behaviour_spec 9, session_store_test.go) ------------------------------------


def test_create_with_initial_state_returns_the_session(store: SessionStore) -> None:
    session = store.create_session(KEY, {"k": "v"})
    assert session.session_id == "s1"
    assert session.state == {"k": "v"}


def test_create_without_id_generates_one(store: SessionStore) -> None:
    session = store.create_session(USER)
    assert session.session_id
    assert store.get_session(session.key) is not None


def test_get_unknown_session_is_none(store: SessionStore) -> None:
    assert store.get_session(SessionKey("app", "user", "nope")) is None


def test_get_after_create(store: SessionStore) -> None:
    store.create_session(KEY)
    session = store.get_session(KEY)
    assert session is not None and session.key == KEY and session.events == []


def test_list_sessions_returns_all(store: SessionStore) -> None:
    for sid in "abc":
        store.create_session(SessionKey("app", "user", sid))
    assert len(store.list_sessions(USER).sessions) == 3


def test_delete_then_get_is_none(store: SessionStore) -> None:
    store.create_session(KEY)
    assert store.delete_session(KEY) is True
    assert store.get_session(KEY) is None
    assert store.delete_session(KEY) is False


def test_one_assistant_event_reads_back_once(store: SessionStore) -> None:
    store.create_session(KEY)
    store.append_event(KEY, ev("hello"))
    assert texts(store.get_session(KEY)) == ["hello"]


def test_events_survive_a_restart(
    store: SessionStore, config: Config, reopen: list[Database]
) -> None:
    store.create_session(KEY)
    store.append_event(KEY, ev("turn-1"))
    assert texts(fresh_store(config, reopen).get_session(KEY)) == ["turn-1"]


def test_event_cap_prunes_oldest_and_holds_after_restart(
    db: Database, config: Config, reopen: list[Database]
) -> None:
    capped = SessionStore(db, max_events=3)
    capped.create_session(KEY)
    for i in range(5):
        capped.append_event(KEY, ev(f"m{i}"))
    assert texts(fresh_store(config, reopen, max_events=3).get_session(KEY)) == ["m2", "m3", "m4"]


def test_app_state_update_list_delete(store: SessionStore) -> None:
    store.update_app_state("app", {"theme": "dark"})
    assert store.list_app_states("app") == {"theme": "dark"}
    store.delete_app_state("app", "theme")
    assert store.list_app_states("app") == {}


def test_user_state_update_list_delete(store: SessionStore) -> None:
    store.update_user_state(USER, {"lang": "en"})
    assert store.list_user_states(USER) == {"lang": "en"}
    store.delete_user_state(USER, "lang")
    assert store.list_user_states(USER) == {}


def test_session_state_survives_a_restart(
    store: SessionStore, config: Config, reopen: list[Database]
) -> None:
    store.create_session(KEY)
    store.update_session_state(KEY, {"draft": "wip content"})
    session = fresh_store(config, reopen).get_session(KEY)
    assert session is not None and session.state["draft"] == "wip content"


def test_default_constructor_gives_a_working_store(db: Database) -> None:
    plain = SessionStore(db)
    plain.create_session(KEY)
    assert plain.get_session(KEY) is not None
    assert plain.checkpointer is None


# -- regressions for the Go store's bugs (behaviour_spec 4.6-4.12, 12) -------------------------


def test_event_with_state_delta_completes_and_applies(store: SessionStore) -> None:
    """4.6 deadlock: a meaningful event carrying a StateDelta blocked the Go store forever."""
    store.create_session(KEY)
    stored = store.append_event(KEY, ev("tool result", state_delta={"loaded": True}))
    assert stored.seq == 1
    session = store.get_session(KEY)
    assert session is not None and session.state == {"loaded": True}
    assert session.events[0].state_delta == {"loaded": True}


def test_user_and_assistant_events_are_never_duplicated(store: SessionStore) -> None:
    """4.7: the write-through cache returned [u1, a1, u1, a1] on the second turn."""
    store.create_session(KEY)
    store.append_event(KEY, ev("u1", author="user"))
    store.append_event(KEY, ev("a1"))
    assert texts(store.get_session(KEY)) == ["u1", "a1"]
    store.append_event(KEY, ev("u2", author="user"))
    store.append_event(KEY, ev("a2"))
    assert texts(store.get_session(KEY)) == ["u1", "a1", "u2", "a2"]


def test_retried_append_stores_one_row_and_applies_delta_once(store: SessionStore) -> None:
    store.create_session(KEY)
    event = ev("once", state_delta={"n": 1})
    first = store.append_event(KEY, event)
    store.update_session_state(KEY, {"n": 2})
    again = store.append_event(KEY, event)
    assert first.seq == again.seq == 1
    session = store.get_session(KEY)
    assert session is not None and texts(session) == ["once"]
    assert session.state["n"] == 2 and session.last_seq == 1


def test_delta_prefixes_route_to_their_scopes(store: SessionStore) -> None:
    """4.6: temp: became durable and app:/user: never reached app_states/user_states."""
    store.create_session(KEY)
    store.append_event(KEY, ev("x", state_delta={
        "s": 1, "app:a": 2, "user:u": 3, "temp:t": 4,
    }))
    assert store.list_session_states(KEY) == {"s": 1}
    assert store.list_app_states("app") == {"a": 2}
    assert store.list_user_states(USER) == {"u": 3}
    session = store.get_session(KEY)
    assert session is not None
    assert session.state == {"s": 1, "app:a": 2, "user:u": 3}
    assert session.events[0].state_delta == {"s": 1, "app:a": 2, "user:u": 3}


def test_app_and_user_state_are_merged_after_a_restart(
    store: SessionStore, config: Config, reopen: list[Database]
) -> None:
    """4.8: after a restart the Go store's sessions lacked app:/user: state."""
    store.create_session(KEY)
    store.update_app_state("app", {"theme": "dark"})
    store.update_user_state(USER, {"lang": "en"})
    session = fresh_store(config, reopen).get_session(KEY)
    assert session is not None
    assert session.state == {"app:theme": "dark", "user:lang": "en"}


def test_no_negative_cache_across_stores(
    store: SessionStore, config: Config, reopen: list[Database]
) -> None:
    """4.4/4.12: a session created by another process later was never seen by the Go store."""
    other = fresh_store(config, reopen)
    assert store.get_session(KEY) is None
    other.create_session(KEY)
    other.append_event(KEY, ev("from the other replica"))
    assert texts(store.get_session(KEY)) == ["from the other replica"]


def test_read_options_apply_to_every_event(store: SessionStore) -> None:
    """4.5/12.3: WithEventNum/WithEventTime were ignored for events loaded from the DB."""
    store.create_session(KEY)
    for i in range(6):
        store.append_event(KEY, ev(f"m{i}", timestamp=T0 + timedelta(minutes=i)))
    assert texts(store.get_session(KEY, event_limit=2)) == ["m4", "m5"]
    assert texts(store.get_session(KEY, since=T0 + timedelta(minutes=3))) == ["m3", "m4", "m5"]
    assert texts(store.get_session(KEY, event_limit=1, since=T0)) == ["m5"]
    assert texts(store.get_session(KEY, since=T0 + timedelta(hours=1))) == []


def test_order_is_append_order_not_timestamp(store: SessionStore) -> None:
    """A summary event stamped later but appended first stays first (trpc 5.2)."""
    store.create_session(KEY)
    store.append_event(KEY, ev("summary", timestamp=T0 + timedelta(hours=1)))
    store.append_event(KEY, ev("older", timestamp=T0))
    assert texts(store.get_session(KEY)) == ["summary", "older"]


def test_enqueued_summary_is_persisted(
    store: SessionStore, config: Config, reopen: list[Database]
) -> None:
    """4.10: the Go store never persisted asynchronously produced summaries."""
    store.create_session(KEY)
    store.append_event(KEY, ev("a"))
    store.append_event(KEY, ev("b"))
    future = store.enqueue_summary_job(KEY, lambda events: (f"{len(events)} events", ["t"]))
    store.close()
    assert future.result().text == "2 events"
    other = fresh_store(config, reopen)
    assert other.get_summary_text(KEY) == "2 events"
    session = other.get_session(KEY)
    assert session is not None and session.summaries[""].topics == ["t"]


def test_timestamps_survive_a_restart(
    store: SessionStore, config: Config, reopen: list[Database]
) -> None:
    """4.4/12.10: the Go store reset created_at/updated_at on every load."""
    created = store.create_session(KEY)
    store.append_event(KEY, ev("x"))
    session = fresh_store(config, reopen).get_session(KEY)
    assert session is not None
    assert session.created_at == created.created_at
    assert session.updated_at > created.updated_at


def test_keys_with_colons_do_not_collide(store: SessionStore) -> None:
    """4.2: the cache key app:user:session made ("a","b:c","d") and ("a","b","c:d") collide."""
    one, two = SessionKey("a", "b:c", "d"), SessionKey("a", "b", "c:d")
    store.create_session(one)
    store.create_session(two)
    store.append_event(one, ev("one"))
    assert texts(store.get_session(two)) == []
    assert texts(store.get_session(one)) == ["one"]


def test_list_sessions_is_ordered_metadata_after_restart(
    store: SessionStore, config: Config, reopen: list[Database]
) -> None:
    """4.5/12.4: ListSessions lost the DB order and returned sessions without their events."""
    for sid in ("a", "b", "c"):
        store.create_session(SessionKey("app", "user", sid))
    store.append_event(SessionKey("app", "user", "a"), ev("bump"))
    page = fresh_store(config, reopen).list_sessions(USER)
    assert [s.session_id for s in page.sessions] == ["a", "c", "b"]
    assert page.sessions[0].last_seq == 1


# -- contracts of the API ----------------------------------------------------------------------


def test_payload_round_trips_byte_for_byte(store: SessionStore) -> None:
    store.create_session(KEY)
    payload = '{ "z":1,  "a" : "caf\\u00e9 \u00e9 \U0001f600", "n": 1.50, "s":"\\"q\\"\\n"}'
    store.append_event(KEY, Event(payload=payload))
    session = store.get_session(KEY)
    assert session is not None and session.events[0].payload == payload
    assert store.list_events(KEY)[0].payload == payload


def test_event_fields_round_trip(store: SessionStore) -> None:
    store.create_session(KEY)
    event = Event(id="e1", invocation_id="inv", author="agent", filter_key="a/b",
                  branch="root.sub", timestamp=T0, state_delta={"k": [1, {"x": None}]},
                  payload="{}")
    stored = store.append_event(KEY, event)
    session = store.get_session(KEY)
    assert session is not None
    assert session.events == [stored]
    assert stored == event.model_copy(update={"seq": 1})


def test_partial_events_are_never_persisted(store: SessionStore) -> None:
    store.create_session(KEY)
    partial = ev("streaming", partial=True, state_delta={"k": 1})
    assert store.append_event(KEY, partial) is partial
    session = store.get_session(KEY)
    assert session is not None and session.events == [] and session.state == {}


def test_append_to_missing_session_writes_nothing(store: SessionStore) -> None:
    with pytest.raises(NotFound):
        store.append_event(KEY, ev("x", state_delta={"app:a": 1, "user:u": 2}))
    assert store.list_app_states("app") == {}
    assert store.list_user_states(USER) == {}
    assert store.list_events(KEY) == []


def test_bad_values_are_rejected_before_any_write(store: SessionStore) -> None:
    store.create_session(KEY)
    for bad in ({"k": float("nan")}, {"k": {1, 2}}, {"k": object()}, {"k": "\ud800"},
                {"": 1}, {"app:": 1}, {"ok": 1, "bad": b"bytes"}):
        with pytest.raises(InvalidInput):
            store.append_event(KEY, ev("x", state_delta=bad))
        with pytest.raises(InvalidInput):
            store.update_session_state(KEY, bad)
    with pytest.raises(InvalidInput):
        store.append_event(KEY, Event(payload="nul \x00 inside"))
    with pytest.raises(InvalidInput):
        store.append_event(KEY, Event(payload="\udc80"))
    session = store.get_session(KEY)
    assert session is not None and session.events == [] and session.state == {}
    assert session.last_seq == 0


def test_keys_and_events_reject_bad_input() -> None:
    with pytest.raises(InvalidInput):
        SessionKey("app", "", "s")
    with pytest.raises(InvalidInput):
        UserKey("", "user")
    with pytest.raises(InvalidInput):
        Event(timestamp=datetime(2026, 1, 1))  # naive
    assert Event().id != Event().id


def test_wrong_key_types_are_invalid_input(store: SessionStore) -> None:
    with pytest.raises(InvalidInput):
        store.get_session(USER)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        store.list_sessions(KEY)  # type: ignore[arg-type]


def test_create_existing_keeps_data_unless_replaced(store: SessionStore) -> None:
    store.create_session(KEY, {"k": 1})
    store.append_event(KEY, ev("kept"))
    again = store.create_session(KEY, {"k": 2, "other": 3})
    assert texts(again) == ["kept"] and again.state == {"k": 1}
    replaced = store.create_session(KEY, {"fresh": True}, replace=True)
    assert replaced.events == [] and replaced.state == {"fresh": True}
    assert store.append_event(KEY, ev("new")).seq == 1


def test_create_routes_initial_state(store: SessionStore) -> None:
    session = store.create_session(KEY, {"s": 1, "app:a": 2, "user:u": 3, "temp:t": 4})
    assert session.state == {"s": 1, "app:a": 2, "user:u": 3}
    assert store.list_session_states(KEY) == {"s": 1}


def test_delete_cascades_but_keeps_app_and_user_state(store: SessionStore) -> None:
    store.create_session(KEY, {"s": 1, "app:a": 2, "user:u": 3})
    store.append_event(KEY, ev("x"))
    store.put_summary(KEY, "", "sum")
    store.delete_session(KEY)
    assert store.list_events(KEY) == []
    assert store.list_session_states(KEY) == {}
    assert store.get_summary_text(KEY) is None
    assert store.list_app_states("app") == {"a": 2}
    assert store.list_user_states(USER) == {"u": 3}


def test_update_session_state_routes_and_bumps(store: SessionStore) -> None:
    created = store.create_session(KEY)
    store.update_session_state(KEY, {"s": 1, "app:a": 2, "user:u": 3, "temp:t": 4})
    session = store.get_session(KEY)
    assert session is not None
    assert session.state == {"s": 1, "app:a": 2, "user:u": 3}
    assert session.updated_at > created.updated_at
    with pytest.raises(NotFound):
        store.update_session_state(SessionKey("app", "user", "nope"), {"s": 1})


def test_scope_prefix_rules(store: SessionStore) -> None:
    store.create_session(KEY)
    store.update_app_state("app", {"app:x": 1, "y": 2})
    assert store.list_app_states("app") == {"x": 1, "y": 2}
    store.update_user_state(USER, {"user:x": 1, "y": 2})
    assert store.list_user_states(USER) == {"x": 1, "y": 2}
    for bad in ({"user:x": 1}, {"temp:x": 1}):
        with pytest.raises(InvalidInput):
            store.update_app_state("app", bad)
    for bad in ({"app:x": 1}, {"temp:x": 1}):
        with pytest.raises(InvalidInput):
            store.update_user_state(USER, bad)
    for key in ("app:x", "user:x", "temp:x"):
        with pytest.raises(InvalidInput):
            store.delete_session_state(KEY, key)
    with pytest.raises(InvalidInput):
        store.update_app_state("app", {"fine": 1, "user:bad": 2})
    assert store.list_app_states("app") == {"x": 1, "y": 2}
    store.delete_app_state("app", "app:x")
    store.delete_user_state(USER, "user:x")
    assert store.list_app_states("app") == {"y": 2}
    assert store.list_user_states(USER) == {"y": 2}


def test_state_values_round_trip(store: SessionStore) -> None:
    values = {"int": 10**20, "float": 1.5, "neg0": -0.0, "str": "é\U0001f600\n\\\"",
              "nul": "a\x00b", "none": None, "list": [1, [2]], "obj": {"a": {"b": True}}}
    store.create_session(KEY, values)
    session = store.get_session(KEY)
    assert session is not None and session.state == values
    store.delete_session_state(KEY, "none")
    assert "none" not in store.list_session_states(KEY)


def test_list_sessions_keyset_pagination(store: SessionStore) -> None:
    for i in range(7):
        store.create_session(SessionKey("app", "user", f"s{i}"))
    store.create_session(SessionKey("app", "other", "x"))
    seen: list[str] = []
    page = store.list_sessions(USER, limit=3)
    while True:
        seen += [s.session_id for s in page.sessions]
        if page.next_cursor is None:
            break
        page = store.list_sessions(USER, limit=3, cursor=page.next_cursor)
    assert seen == [f"s{i}" for i in reversed(range(7))]
    with pytest.raises(InvalidInput):
        store.list_sessions(USER, cursor="not a cursor")
    with pytest.raises(InvalidInput):
        store.list_sessions(USER, limit=0)


def test_list_events_pages_by_seq(store: SessionStore) -> None:
    store.create_session(KEY)
    for i in range(5):
        store.append_event(KEY, ev(f"m{i}"))
    first = store.list_events(KEY, limit=2)
    rest = store.list_events(KEY, after_seq=first[-1].seq, limit=10)
    assert [e.seq for e in first + rest] == [1, 2, 3, 4, 5]
    with pytest.raises(InvalidInput):
        store.list_events(KEY, after_seq=-1)


def test_append_accepts_a_session(store: SessionStore) -> None:
    session = store.create_session(KEY)
    assert store.append_event(session, ev("x")).seq == 1


def test_summaries_by_filter_key(store: SessionStore) -> None:
    store.create_session(KEY)
    store.append_event(KEY, ev("all", filter_key=""))
    store.append_event(KEY, ev("root", filter_key="agent"))
    store.append_event(KEY, ev("child", filter_key="agent/tool"))
    store.append_event(KEY, ev("sibling", filter_key="agentx"))

    def summarize(events: list[Event]) -> tuple[str, list[str]]:
        return ",".join(json.loads(e.payload)["text"] for e in events), ["topic"]

    assert store.create_session_summary(KEY, summarize, "agent").text == "root,child"
    assert store.create_session_summary(KEY, summarize).text == "all,root,child,sibling"
    assert store.get_summary_text(KEY, "agent") == "root,child"
    assert store.get_summary_text(KEY, "missing") is None
    store.put_summary(KEY, "agent", "replaced", ["a", "b"])
    session = store.get_session(KEY)
    assert session is not None
    assert {k: (s.text, s.topics) for k, s in session.summaries.items()} == {
        "": ("all,root,child,sibling", ["topic"]), "agent": ("replaced", ["a", "b"]),
    }
    with pytest.raises(NotFound):
        store.put_summary(SessionKey("app", "user", "nope"), "", "x")
    with pytest.raises(NotFound):
        store.create_session_summary(SessionKey("app", "user", "nope"), summarize)


def test_summary_queue_overflow_runs_inline_and_close_rejects(db: Database) -> None:
    small = SessionStore(db, summary_workers=1, summary_queue=1)
    small.create_session(KEY)
    futures = [small.enqueue_summary_job(KEY, lambda events: ("job", [])) for _ in range(6)]
    small.close()
    assert all(f.result().filter_key == "" for f in futures)
    assert small.get_summary_text(KEY) is not None
    with pytest.raises(GenieRepoError):
        small.enqueue_summary_job(KEY, lambda events: ("late", []))


def test_failed_summary_job_reports_and_stores_nothing(store: SessionStore) -> None:
    store.create_session(KEY)

    def broken(events: list[Event]) -> tuple[str, list[str]]:
        raise RuntimeError("model down")

    future = store.enqueue_summary_job(KEY, broken)
    with pytest.raises(RuntimeError):
        future.result()
    assert store.get_summary_text(KEY) is None


def test_checkpointer_is_exposed(db: Database) -> None:
    marker = object()
    assert SessionStore(db, checkpointer=marker).checkpointer is marker
