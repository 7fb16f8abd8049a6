"""Properties of ShortMemoryStore on both dialects: set is idempotent, set_if_absent wins once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genie_repo.db import Database
from genie_repo.stores.short_memory import ShortMemoryStore

T0 = datetime(2026, 3, 1, tzinfo=UTC)
SETTINGS = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=30, deadline=None
)
TEXT = st.text(st.characters(codec="utf-8", blacklist_characters="\x00"))
KEY = TEXT.filter(lambda s: s != "")
TTL = st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=3650))


@SETTINGS
@given(key=KEY, value=TEXT, ttl=TTL)
def test_set_twice_equals_set_once(db: Database, key: str, value: str, ttl: timedelta) -> None:
    store = ShortMemoryStore(db, clock=lambda: T0)
    memory_type = uuid.uuid4().hex  # a fresh namespace per example
    store.set(memory_type, key, value, ttl)
    once = store.get_entry(memory_type, key)
    store.set(memory_type, key, value, ttl)
    assert store.get_entry(memory_type, key) == once
    assert once is not None and once.value == value and once.expires_at == T0 + ttl
    assert store.count(memory_type) == 1


@SETTINGS
@given(key=KEY, first=TEXT, second=TEXT, ttl=TTL)
def test_set_if_absent_wins_once_while_live(
    db: Database, key: str, first: str, second: str, ttl: timedelta
) -> None:
    now = [T0]
    store = ShortMemoryStore(db, clock=lambda: now[0])
    memory_type = uuid.uuid4().hex
    assert store.set_if_absent(memory_type, key, first, ttl) is True
    assert store.set_if_absent(memory_type, key, second, ttl) is False
    assert store.get(memory_type, key) == first
    now[0] = T0 + ttl  # expired: absent again
    assert store.set_if_absent(memory_type, key, second, ttl) is True
    assert store.get(memory_type, key) == second
