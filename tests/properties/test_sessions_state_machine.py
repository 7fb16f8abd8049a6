"""Stateful test: random create / append / state / delete / read against a plain in-memory model
of the session semantics; the store must agree with the model after every step."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from genie_repo.db import Database
from genie_repo.errors import NotFound
from genie_repo.models.sessions import Event, SessionKey, UserKey
from genie_repo.stores.sessions import SessionStore

MAX_EVENTS = 4
SESSION_IDS = st.sampled_from(["s1", "s2", "s3"])
EVENT_IDS = st.sampled_from(["e1", "e2", "e3", "e4", "e5", "e6"])
KEYS = st.sampled_from(["a", "b", "app:a", "app:b", "user:a", "user:b", "temp:a"])
VALUES = st.none() | st.integers(-5, 5) | st.text(max_size=3) | st.lists(st.booleans(), max_size=2)
DELTAS = st.dictionaries(KEYS, VALUES, max_size=3)


@dataclass
class ModelSession:
    events: list[tuple[int, str, str]] = field(default_factory=list)  # (seq, id, payload)
    state: dict[str, Any] = field(default_factory=dict)
    last_seq: int = 0


class SessionModel:
    """The semantics, spelled out in plain Python."""

    def __init__(self) -> None:
        self.sessions: dict[str, ModelSession] = {}
        self.app: dict[str, Any] = {}
        self.user: dict[str, Any] = {}

    def apply(self, session: ModelSession, delta: dict[str, Any]) -> None:
        for key, value in delta.items():
            if key.startswith("app:"):
                self.app[key[4:]] = value
            elif key.startswith("user:"):
                self.user[key[5:]] = value
            elif not key.startswith("temp:"):
                session.state[key] = value

    def merged(self, sid: str) -> dict[str, Any]:
        return {**self.sessions[sid].state, **{f"app:{k}": v for k, v in self.app.items()},
                **{f"user:{k}": v for k, v in self.user.items()}}


class SessionMachine(RuleBasedStateMachine):
    def __init__(self, db: Database) -> None:
        super().__init__()
        self.store = SessionStore(db, max_events=MAX_EVENTS)
        self.app_name = f"app-{uuid.uuid4().hex}"
        self.model = SessionModel()

    def key(self, sid: str) -> SessionKey:
        return SessionKey(self.app_name, "user", sid)

    @rule(sid=SESSION_IDS, state=DELTAS, replace=st.booleans())
    def create(self, sid: str, state: dict[str, Any], replace: bool) -> None:
        self.store.create_session(self.key(sid), state, replace=replace)
        if sid not in self.model.sessions or replace:
            self.model.sessions[sid] = ModelSession()
            self.model.apply(self.model.sessions[sid], state)

    @rule(sid=SESSION_IDS, event_id=EVENT_IDS, delta=DELTAS, partial=st.booleans())
    def append(self, sid: str, event_id: str, delta: dict[str, Any], partial: bool) -> None:
        payload = f'{{"id": "{event_id}", "n": {len(delta)}}}'
        event = Event(id=event_id, state_delta=delta, payload=payload, partial=partial)
        session = self.model.sessions.get(sid)
        if partial:
            assert self.store.append_event(self.key(sid), event).seq is None
            return
        if session is None:
            with pytest.raises(NotFound):
                self.store.append_event(self.key(sid), event)
            return
        stored = self.store.append_event(self.key(sid), event)
        existing = [seq for seq, eid, _ in session.events if eid == event_id]
        if existing:
            assert stored.seq == existing[0]
            return
        session.last_seq += 1
        assert stored.seq == session.last_seq
        session.events = [*session.events, (session.last_seq, event_id, payload)][-MAX_EVENTS:]
        self.model.apply(session, delta)

    @rule(sid=SESSION_IDS, delta=DELTAS)
    def update_session_state(self, sid: str, delta: dict[str, Any]) -> None:
        if sid not in self.model.sessions:
            with pytest.raises(NotFound):
                self.store.update_session_state(self.key(sid), delta)
            return
        self.store.update_session_state(self.key(sid), delta)
        self.model.apply(self.model.sessions[sid], delta)

    @rule(key=st.sampled_from(["a", "b", "c"]), value=VALUES)
    def update_app_and_user_state(self, key: str, value: Any) -> None:
        self.store.update_app_state(self.app_name, {key: value})
        self.store.update_user_state(UserKey(self.app_name, "user"), {f"user:{key}": value})
        self.model.app[key] = value
        self.model.user[key] = value

    @rule(key=st.sampled_from(["a", "b", "c"]))
    def delete_app_state(self, key: str) -> None:
        self.store.delete_app_state(self.app_name, key)
        self.model.app.pop(key, None)

    @rule(sid=SESSION_IDS)
    def delete(self, sid: str) -> None:
        assert self.store.delete_session(self.key(sid)) == (sid in self.model.sessions)
        self.model.sessions.pop(sid, None)

    @rule(sid=SESSION_IDS, limit=st.integers(1, MAX_EVENTS + 1))
    def read_last_n(self, sid: str, limit: int) -> None:
        session = self.store.get_session(self.key(sid), event_limit=limit)
        if sid not in self.model.sessions:
            assert session is None
            return
        assert session is not None
        expected = self.model.sessions[sid].events[-limit:]
        assert [(e.seq, e.id, e.payload) for e in session.events] == expected

    @invariant()
    def store_agrees_with_model(self) -> None:
        for sid in ("s1", "s2", "s3"):
            session = self.store.get_session(self.key(sid))
            if sid not in self.model.sessions:
                assert session is None
                continue
            assert session is not None
            mine = self.model.sessions[sid]
            assert [(e.seq, e.id, e.payload) for e in session.events] == mine.events
            assert session.state == self.model.merged(sid)
            assert session.last_seq == mine.last_seq
        assert self.store.list_app_states(self.app_name) == self.model.app
        page = self.store.list_sessions(UserKey(self.app_name, "user"))
        assert sorted(s.session_id for s in page.sessions) == sorted(self.model.sessions)


def test_session_store_agrees_with_model(db: Database) -> None:
    run_state_machine_as_test(
        lambda: SessionMachine(db),  # type: ignore[arg-type]  # hypothesis accepts factories
        settings=settings(max_examples=25, stateful_step_count=25, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                 HealthCheck.too_slow]),
    )
