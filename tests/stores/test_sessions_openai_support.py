"""SessionStore's batch append, payload read and pop (what the OpenAI Agents SDK session needs),
on both dialects."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from genie_repo.config import Config
from genie_repo.db import Database, open_database
from genie_repo.errors import InvalidInput, NotFound
from genie_repo.models.sessions import Event, SessionKey
from genie_repo.stores.sessions import SessionStore
from tests.clock import StepClock

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KEY = SessionKey("app", "user", "s1")


@pytest.fixture
def store(db: Database) -> Iterator[SessionStore]:
    s = SessionStore(db, clock=StepClock(T0))
    yield s
    s.close()


def ev(n: int, **kwargs: object) -> Event:
    return Event(payload=json.dumps({"n": n}), **kwargs)  # type: ignore[arg-type]


def numbers(store: SessionStore, key: SessionKey = KEY) -> list[int]:
    return [json.loads(e.payload)["n"] for e in store.list_events(key)]


# -- append_events ------------------------------------------------------------------------------


def test_append_events_creates_the_session_and_keeps_order(store: SessionStore) -> None:
    stored = store.append_events(KEY, [ev(i) for i in range(5)], create_session=True)
    assert [e.seq for e in stored] == [1, 2, 3, 4, 5]
    assert numbers(store) == [0, 1, 2, 3, 4]
    more = store.append_events(KEY, [ev(5), ev(6)], create_session=True)
    assert [e.seq for e in more] == [6, 7]
    session = store.get_session(KEY)
    assert session is not None and session.last_seq == 7
    assert [e.seq for e in session.events] == list(range(1, 8))


def test_append_events_keeps_every_field(store: SessionStore) -> None:
    stamp = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    event = Event(id="e1", invocation_id="inv", author="bot", filter_key="f", branch="b",
                  timestamp=stamp, payload='{"x": "ünï \\u0000 \\"q\\""}')
    store.append_events(KEY, [event], create_session=True)
    (back,) = store.list_events(KEY)
    assert (back.id, back.invocation_id, back.author, back.filter_key, back.branch) == (
        "e1", "inv", "bot", "f", "b")
    assert back.timestamp == stamp
    assert back.payload == event.payload


def test_append_events_on_a_missing_session_is_not_found_and_writes_nothing(
    store: SessionStore,
) -> None:
    with pytest.raises(NotFound):
        store.append_events(KEY, [ev(1)])
    assert store.get_session(KEY) is None


def test_append_events_of_nothing_may_create_the_session(store: SessionStore) -> None:
    assert store.append_events(KEY, []) == []
    assert store.get_session(KEY) is None
    assert store.append_events(KEY, [], create_session=True) == []
    session = store.get_session(KEY)
    assert session is not None and session.events == []


def test_append_events_is_idempotent_by_event_id(store: SessionStore) -> None:
    first = store.append_events(KEY, [ev(1, id="a"), ev(2, id="b")], create_session=True)
    again = store.append_events(KEY, [ev(1, id="a"), ev(3, id="c"), ev(3, id="c")])
    assert [e.seq for e in first] == [1, 2]
    assert [e.seq for e in again] == [1, 3, 3]
    assert numbers(store) == [1, 2, 3]


@pytest.mark.parametrize("padding", [0, 10])  # SQLite: statement by statement, one script
def test_append_events_refuses_bad_input_before_writing(
    store: SessionStore, padding: int
) -> None:
    store.append_events(KEY, [ev(0)], create_session=True)
    good = [ev(1 + i) for i in range(padding + 1)]
    with pytest.raises(InvalidInput):
        store.append_events(KEY, [*good, Event(state_delta={"k": 1})])
    with pytest.raises(InvalidInput):
        store.append_events(KEY, [*good, Event(payload='"\x00"')])
    with pytest.raises(InvalidInput):
        store.append_events(KEY, [*good, Event(author="a\x00b")])
    with pytest.raises(InvalidInput):
        store.append_events(KEY, [*good, Event(payload='"\ud800"')])
    with pytest.raises(InvalidInput):
        store.append_events(KEY, [ev(1), "not an event"])  # type: ignore[list-item]
    with pytest.raises(InvalidInput):
        store.append_events(KEY, "nope")  # type: ignore[arg-type]
    assert numbers(store) == [0]


def test_append_events_returns_partial_events_unstored(store: SessionStore) -> None:
    out = store.append_events(KEY, [ev(1), ev(2, partial=True), ev(3)], create_session=True)
    assert [e.seq for e in out] == [1, None, 2]
    assert numbers(store) == [1, 3]


def test_append_events_prunes_to_max_events(db: Database) -> None:
    store = SessionStore(db, max_events=3)
    try:
        store.append_events(KEY, [ev(i) for i in range(2)], create_session=True)
        out = store.append_events(KEY, [ev(i) for i in range(2, 7)])
        assert [e.seq for e in out][-3:] == [5, 6, 7]
        assert numbers(store) == [4, 5, 6]
        assert [e.seq for e in store.append_events(KEY, [ev(7)])] == [8]
        assert numbers(store) == [5, 6, 7]
    finally:
        store.close()


def test_append_events_follows_single_appends(store: SessionStore) -> None:
    store.create_session(KEY)
    store.append_event(KEY, ev(0))
    store.append_events(KEY, [ev(1), ev(2)])
    store.append_event(KEY, ev(3))
    assert numbers(store) == [0, 1, 2, 3]


def test_concurrent_first_writes_to_a_new_session_lose_nothing(config: Config) -> None:
    """Several threads, each with its own connection, append to a session none created."""
    writers, per_writer = 4, 10
    databases = [open_database(config) for _ in range(writers)]
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(db: Database, w: int) -> None:
        store = SessionStore(db)
        try:
            barrier.wait()
            for i in range(per_writer):
                store.append_events(KEY, [ev(w * 100 + i)], create_session=True)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=write, args=(db, w)) for w, db in enumerate(databases)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        reader = SessionStore(databases[0])
        events = reader.list_events(KEY)
        got = [json.loads(e.payload)["n"] for e in events]
        assert sorted(got) == sorted(w * 100 + i for w in range(writers)
                                     for i in range(per_writer))
        for w in range(writers):  # each writer's own events stay in its order
            mine = [n for n in got if n // 100 == w]
            assert mine == sorted(mine)
        assert [e.seq for e in events] == sorted({e.seq for e in events})
    finally:
        for db in databases:
            db.close()


# -- get_event_payloads -------------------------------------------------------------------------


def test_get_event_payloads_newest_in_order(store: SessionStore) -> None:
    assert store.get_event_payloads(KEY) == "[]"
    store.append_events(KEY, [ev(i) for i in range(6)], create_session=True)
    assert [p["n"] for p in json.loads(store.get_event_payloads(KEY))] == [0, 1, 2, 3, 4, 5]
    assert [p["n"] for p in json.loads(store.get_event_payloads(KEY, limit=2))] == [4, 5]
    assert [p["n"] for p in json.loads(store.get_event_payloads(KEY, limit=10))] == list(
        range(6))
    for bad in (0, -1, True, "2"):
        with pytest.raises(InvalidInput):
            store.get_event_payloads(KEY, limit=bad)  # type: ignore[arg-type]


def test_get_event_payloads_is_verbatim(store: SessionStore) -> None:
    texts = ['{"a": 1}', '{ "b" : [1, 2.5, null] }', '"plain"']
    store.append_events(KEY, [Event(payload=t) for t in texts], create_session=True)
    assert store.get_event_payloads(KEY) == "[" + ",".join(texts) + "]"


def test_get_event_payloads_of_other_sessions_stay_apart(store: SessionStore) -> None:
    other = SessionKey("app", "user", "s2")
    store.append_events(KEY, [ev(1)], create_session=True)
    store.append_events(other, [ev(2)], create_session=True)
    assert json.loads(store.get_event_payloads(other)) == [{"n": 2}]


# -- pop_event ----------------------------------------------------------------------------------


def test_pop_event_takes_the_newest(store: SessionStore) -> None:
    assert store.pop_event(KEY) is None
    stamp = T0 + timedelta(hours=1)
    store.append_events(KEY, [ev(1), ev(2, author="me", timestamp=stamp)], create_session=True)
    popped = store.pop_event(KEY)
    assert popped is not None
    assert (json.loads(popped.payload), popped.author, popped.seq) == ({"n": 2}, "me", 2)
    assert popped.timestamp == stamp
    assert numbers(store) == [1]
    store.append_events(KEY, [ev(3)])
    assert numbers(store) == [1, 3]
    assert [json.loads(e.payload)["n"] for e in (store.pop_event(KEY), store.pop_event(KEY))
            if e is not None] == [3, 1]
    assert store.pop_event(KEY) is None
    assert store.get_session(KEY) is not None  # popping leaves the session


def test_concurrent_pops_never_share_an_event(config: Config) -> None:
    setup = open_database(config)
    SessionStore(setup).append_events(KEY, [ev(i) for i in range(40)], create_session=True)
    poppers = 6
    databases = [open_database(config) for _ in range(poppers)]
    barrier = threading.Barrier(poppers)
    popped: list[list[int]] = [[] for _ in range(poppers)]

    def pop_all(db: Database, slot: list[int]) -> None:
        store = SessionStore(db)
        barrier.wait()
        while (event := store.pop_event(KEY)) is not None:
            slot.append(json.loads(event.payload)["n"])
        store.close()

    threads = [threading.Thread(target=pop_all, args=(db, popped[i]))
               for i, db in enumerate(databases)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        everything = [n for slot in popped for n in slot]
        assert sorted(everything) == list(range(40))
        for slot in popped:  # each popper saw newest first
            assert slot == sorted(slot, reverse=True)
        assert SessionStore(setup).list_events(KEY) == []
    finally:
        for db in [setup, *databases]:
            db.close()


@pytest.mark.parametrize("size", [3, 20])  # SQLite: statement by statement, and one script
def test_small_and_large_batches_behave_alike(db: Database, size: int) -> None:
    store = SessionStore(db, max_events=size + 2)
    try:
        store.append_events(KEY, [ev(-1, id="old")], create_session=True)
        batch = [ev(i, id=f"e{i}") for i in range(size)]
        out = store.append_events(KEY, [ev(-1, id="old"), *batch, ev(0, id="e0"),
                                        ev(99, partial=True)])
        assert [e.seq for e in out] == [1, *range(2, size + 2), 2, None]
        assert numbers(store) == [-1, *range(size)]
        more = store.append_events(KEY, [ev(100), ev(101), ev(102)])
        assert [e.seq for e in more] == [size + 2, size + 3, size + 4]
        assert numbers(store) == [*range(1, size), 100, 101, 102]
        with pytest.raises(NotFound):
            store.append_events(SessionKey("app", "user", "nope"), batch)
        assert store.get_session(SessionKey("app", "user", "nope")) is None
    finally:
        store.close()
