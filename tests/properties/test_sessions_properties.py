"""Idempotency of the session store's writes: appending any event twice == once; upserting any
state map twice == once. Each example works in its own app, so examples never interfere."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genie_repo.db import Database
from genie_repo.models.sessions import Event, SessionKey, UserKey
from genie_repo.stores.sessions import SessionStore
from tests.stores.test_sessions import with_plan

SETTINGS = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    max_examples=30,
    deadline=None,
)

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
plain_keys = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"]),
                     min_size=1, max_size=12).filter(
    lambda key: not key.startswith(("app:", "user:", "temp:")))
state_keys = st.builds(lambda prefix, key: prefix + key,
                       st.sampled_from(["", "", "app:", "user:", "temp:"]), plain_keys)
deltas = st.dictionaries(state_keys, json_values, max_size=5)
payloads = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"]))
events = st.builds(
    Event,
    id=st.text(st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"]),
               min_size=1, max_size=20),  # an empty id would draw a uuid4 inside the strategy
    author=st.sampled_from(["user", "assistant", "tool"]),
    timestamp=st.datetimes(datetime(1970, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)),
    filter_key=st.sampled_from(["", "a", "a/b"]),
    state_delta=deltas,
    payload=payloads,
)


def _fresh(store: SessionStore) -> SessionKey:
    key = SessionKey(f"app-{uuid.uuid4().hex}", "user", "s")
    store.create_session(key)
    return key


def _snapshot(store: SessionStore, key: SessionKey) -> tuple[Any, ...]:
    session = store.get_session(key)
    assert session is not None
    return (session.model_dump(), store.list_app_states(key.app_name),
            store.list_user_states(key.user_key))


@pytest.mark.parametrize("plan", ["own plan", "other plan"])
@SETTINGS
@given(event=events)
def test_append_twice_equals_once(db: Database, plan: str, event: Event) -> None:
    store = with_plan(SessionStore(db), plan)
    key = _fresh(store)
    first = store.append_event(key, event)
    once = _snapshot(store, key)
    second = store.append_event(key, event)
    assert second == first and first.seq == 1
    assert _snapshot(store, key) == once
    stored = once[0]["events"]
    assert len(stored) == 1 and stored[0]["payload"] == event.payload
    assert stored[0]["state_delta"] == {
        k: v for k, v in event.state_delta.items() if not k.startswith("temp:")
    }


@SETTINGS
@given(delta=deltas, app=st.dictionaries(plain_keys, json_values, max_size=4),
       user=st.dictionaries(plain_keys, json_values, max_size=4))
def test_state_upserts_twice_equal_once(
    db: Database, delta: dict[str, Any], app: dict[str, Any], user: dict[str, Any]
) -> None:
    store = SessionStore(db)
    key = _fresh(store)

    def write() -> None:
        store.update_session_state(key, delta)
        store.update_app_state(key.app_name, app)
        store.update_user_state(UserKey(key.app_name, key.user_id), user)

    write()
    once = _snapshot(store, key)
    write()
    twice = _snapshot(store, key)
    once[0].pop("updated_at")  # update_session_state bumps it by design
    twice[0].pop("updated_at")
    assert twice == once
    from_delta = {k.removeprefix("app:"): v for k, v in delta.items() if k.startswith("app:")}
    assert once[1] == {**from_delta, **app}
