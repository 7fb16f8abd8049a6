"""SessionStore's methods for integrations that rewrite a session (the trpc service's
update_session): inserting events between stored ones, replacing payloads, deleting events,
locking a session, deleting stale sessions. Both dialects."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from genie_repo.db import Database
from genie_repo.errors import Conflict, InvalidInput, NotFound
from genie_repo.models.sessions import Event, SessionKey
from genie_repo.stores.sessions import SessionStore
from tests.api import Builder
from tests.clock import StepClock

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KEY = SessionKey("app", "user", "s1")


@pytest.fixture
def store(db: Database, build: Builder) -> Iterator[SessionStore]:
    s: SessionStore = build(SessionStore, db, clock=StepClock(T0))
    s.create_session(KEY)
    yield s
    s.close()


def ev(text: str, **kwargs: object) -> Event:
    return Event(id=text, payload=json.dumps({"text": text}), **kwargs)  # type: ignore[arg-type]


def stored(store: SessionStore) -> list[tuple[int | None, str]]:
    return [(e.seq, e.id) for e in store.list_events(KEY)]


def test_insert_at_the_end_takes_the_next_seqs(store: SessionStore) -> None:
    store.append_event(KEY, ev("a"))
    placed = store.insert_events_before(KEY, [ev("b"), ev("c")])
    assert [e.seq for e in placed] == [2, 3]
    assert store.append_event(KEY, ev("d")).seq == 4  # last_seq moved with them
    assert stored(store) == [(1, "a"), (2, "b"), (3, "c"), (4, "d")]


def test_insert_before_uses_a_free_gap_without_moving_anything(store: SessionStore) -> None:
    for name in "abcd":
        store.append_event(KEY, ev(name))
    store.delete_events(KEY, ["b", "c"])
    placed = store.insert_events_before(KEY, [ev("x")], before="d")
    assert [e.seq for e in placed] == [3]
    assert stored(store) == [(1, "a"), (3, "x"), (4, "d")]


def test_insert_before_moves_later_events_up_when_there_is_no_room(
    store: SessionStore,
) -> None:
    for name in "abc":
        store.append_event(KEY, ev(name))
    placed = store.insert_events_before(KEY, [ev("s1"), ev("s2")], before="b")
    assert [e.seq for e in placed] == [2, 3]
    assert stored(store) == [(1, "a"), (2, "s1"), (3, "s2"), (4, "b"), (5, "c")]
    session = store.get_session(KEY)
    assert session is not None and session.last_seq == 5
    assert store.append_event(KEY, ev("d")).seq == 6


def test_inserted_events_keep_their_delta_without_applying_it(store: SessionStore) -> None:
    store.insert_events_before(KEY, [ev("x", state_delta={"k": 1, "temp:t": 2})])
    session = store.get_session(KEY)
    assert session is not None and session.state == {}
    assert session.events[0].state_delta == {"k": 1}


def test_insert_errors_write_nothing(store: SessionStore) -> None:
    store.append_event(KEY, ev("a"))
    with pytest.raises(NotFound):
        store.insert_events_before(KEY, [ev("x")], before="missing")
    with pytest.raises(NotFound):
        store.insert_events_before(SessionKey("app", "user", "nope"), [ev("x")])
    with pytest.raises(Conflict):
        store.insert_events_before(KEY, [ev("y"), ev("a")], before="a")
    with pytest.raises(InvalidInput):
        store.insert_events_before(KEY, ["not an event"])  # type: ignore[list-item]
    assert stored(store) == [(1, "a")]
    session = store.get_session(KEY)
    assert session is not None and session.last_seq == 1


def test_replace_payloads_keeps_seqs_and_skips_unknown_ids(store: SessionStore) -> None:
    store.append_event(KEY, ev("a"))
    store.append_event(KEY, ev("b"))
    assert store.replace_event_payloads(KEY, {"b": '{"text":"B"}', "zz": "{}"}) == 1
    events = store.list_events(KEY)
    assert [(e.seq, e.payload) for e in events] == [(1, '{"text": "a"}'), (2, '{"text":"B"}')]


def test_delete_events_never_reuses_a_seq(store: SessionStore) -> None:
    store.append_event(KEY, ev("a"))
    store.append_event(KEY, ev("b"))
    assert store.delete_events(KEY, ["b", "unknown"]) == 1
    assert store.delete_events(KEY, []) == 0
    assert store.append_event(KEY, ev("c")).seq == 3


def test_lock_session_holds_off_appends_until_the_transaction_ends(db: Database) -> None:
    store = SessionStore(db)  # sync: the lock lives in the caller's db.transaction()
    store.create_session(KEY)
    assert store.lock_session(SessionKey("app", "user", "nope")) is None
    appended = threading.Event()

    def append() -> None:
        store.append_event(KEY, ev("other"))
        appended.set()

    with db.transaction():
        assert store.lock_session(KEY) == 0
        writer = threading.Thread(target=append)
        writer.start()
        assert not appended.wait(0.3)  # blocked on the lock, not a timing assertion on speed
        store.insert_events_before(KEY, [ev("mine")])
    writer.join()
    assert stored(store) == [(1, "mine"), (2, "other")]


def test_delete_stale_sessions_spares_updated_ones(store: SessionStore) -> None:
    fresh = SessionKey("app", "user", "fresh")
    store.create_session(fresh)
    store.append_event(fresh, ev("late"))
    session = store.get_session(KEY)
    assert session is not None
    cutoff = session.updated_at + timedelta(microseconds=1)
    assert store.delete_stale_sessions([KEY, fresh, SessionKey("app", "u", "x")], cutoff) == 1
    assert store.get_session(KEY) is None and store.get_session(fresh) is not None
