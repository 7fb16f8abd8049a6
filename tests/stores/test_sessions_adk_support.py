"""SessionStore's revision-checked methods (create_new_session, append_event_at_seq,
list_app_sessions) on both dialects."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from genie_repo.config import Config
from genie_repo.db import Database, open_database
from genie_repo.errors import Conflict, InvalidInput, NotFound
from genie_repo.models.sessions import Event, SessionKey, UserKey
from genie_repo.stores.sessions import SessionStore
from tests.clock import StepClock

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KEY = SessionKey("app", "user", "s1")


@pytest.fixture
def store(db: Database) -> Iterator[SessionStore]:
    s = SessionStore(db, clock=StepClock(T0))
    yield s
    s.close()


def ev(n: int, **delta: object) -> Event:
    return Event(id=f"e{n}", author="user", payload=f'{{"n":{n}}}', state_delta=dict(delta))


def test_create_new_session_refuses_a_taken_id(store: SessionStore) -> None:
    created = store.create_new_session(KEY, {"k": 1, "app:a": 2, "user:u": 3, "temp:t": 4})
    assert created.state == {"k": 1, "app:a": 2, "user:u": 3}
    assert created.last_seq == 0 and created.events == []
    with pytest.raises(Conflict):
        store.create_new_session(KEY, {"k": "clobbered", "app:a": "clobbered"})
    again = store.get_session(KEY)
    assert again is not None and again.state == created.state
    with pytest.raises(InvalidInput):
        store.create_new_session(SessionKey("app", "user", "s2"), {"bad": float("nan")})
    assert store.get_session(SessionKey("app", "user", "s2")) is None


def test_append_at_the_current_revision(store: SessionStore) -> None:
    store.create_new_session(KEY)
    stamp = datetime(2020, 5, 1, tzinfo=UTC)  # older than the session: clocks do not matter
    first = store.append_event_at_seq(KEY, ev(1, k="v", **{"user:u": 1}), expected_seq=0,
                                      updated_at=stamp)
    assert first.seq == 1
    session = store.get_session(KEY)
    assert session is not None
    assert session.last_seq == 1 and session.updated_at == stamp
    assert session.state == {"k": "v", "user:u": 1}
    second = store.append_event_at_seq(KEY, ev(2), expected_seq=1)
    assert second.seq == 2
    assert [e.id for e in store.list_events(KEY)] == ["e1", "e2"]


def test_append_at_an_old_revision_is_conflict_and_writes_nothing(store: SessionStore) -> None:
    store.create_new_session(KEY)
    store.append_event_at_seq(KEY, ev(1), expected_seq=0)
    before = store.get_session(KEY)
    with pytest.raises(Conflict):
        store.append_event_at_seq(KEY, ev(2, k="v", **{"app:a": 1, "user:u": 1}),
                                  expected_seq=0, updated_at=T0 + timedelta(days=9))
    after = store.get_session(KEY)
    assert after == before
    assert store.list_app_states("app") == {} and store.list_user_states(KEY.user_key) == {}


def test_append_to_a_missing_session_is_not_found(store: SessionStore) -> None:
    with pytest.raises(NotFound):
        store.append_event_at_seq(KEY, ev(1, **{"app:a": 1}), expected_seq=0)
    assert store.list_app_states("app") == {}
    with pytest.raises(InvalidInput):
        store.append_event_at_seq(KEY, ev(1), expected_seq=-1)


def test_a_stored_event_id_is_not_stored_again(store: SessionStore) -> None:
    store.create_new_session(KEY)
    store.append_event_at_seq(KEY, ev(1, count=1), expected_seq=0)
    store.append_event_at_seq(KEY, ev(2), expected_seq=1)
    repeat = store.append_event_at_seq(KEY, ev(1, count=99), expected_seq=2)
    assert repeat.seq == 1
    session = store.get_session(KEY)
    assert session is not None and session.last_seq == 2 and session.state == {"count": 1}
    partial = Event(id="p", partial=True)
    assert store.append_event_at_seq(KEY, partial, expected_seq=2) is partial


def race(store: SessionStore, n: int, seq: int, barrier: threading.Barrier,
         outcomes: list[str]) -> None:
    barrier.wait()
    try:
        store.append_event_at_seq(KEY, ev(seq * 2 + n, **{f"user:k{seq}": n}), expected_seq=seq)
        outcomes.append("won")
    except Conflict:
        outcomes.append("stale")


def test_concurrent_appends_at_one_revision_let_one_win(config: Config) -> None:
    databases = [open_database(config) for _ in range(2)]
    try:
        stores = [SessionStore(d) for d in databases]
        stores[0].create_new_session(KEY)
        for round_ in range(10):
            barrier = threading.Barrier(2)
            outcomes: list[str] = []
            threads = [threading.Thread(target=race, args=(s, n, round_, barrier, outcomes))
                       for n, s in enumerate(stores)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert sorted(outcomes) == ["stale", "won"]
        session = stores[0].get_session(KEY)
        assert session is not None and session.last_seq == 10 and len(session.events) == 10
        assert len(stores[0].list_user_states(KEY.user_key)) == 10
    finally:
        for d in databases:
            d.close()


def test_list_app_sessions(store: SessionStore) -> None:
    store.update_app_state("app", {"shared": 1})
    for user, sid in (("u2", "c"), ("u1", "a"), ("u1", "b")):
        store.create_new_session(SessionKey("app", user, sid), {"own": sid, "user:name": user})
    store.create_new_session(SessionKey("other", "u1", "z"))
    store.append_event_at_seq(SessionKey("app", "u2", "c"), ev(1), expected_seq=0,
                              updated_at=T0 + timedelta(days=1))
    everyone = store.list_app_sessions("app")
    assert [(s.user_id, s.session_id) for s in everyone] == [("u1", "a"), ("u1", "b"),
                                                            ("u2", "c")]
    assert everyone[0].state == {"own": "a", "user:name": "u1", "app:shared": 1}
    assert all(s.events == [] for s in everyone)
    assert everyone[2].last_seq == 1
    mine = store.list_app_sessions("app", user_id="u1")
    assert [s.session_id for s in mine] == ["a", "b"]
    assert store.list_app_sessions("app", user_id="nobody") == []
    assert store.list_app_sessions("nothing") == []
    with pytest.raises(InvalidInput):
        store.list_app_sessions("")
    assert UserKey("app", "u1") == mine[0].key.user_key
