"""ShortMemoryStore on both dialects: the seed's reaction_test behaviours (set/get, expiry, type
isolation, delete, cleanup count, upsert) plus set_if_absent and input validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from genie_repo import InvalidInput
from genie_repo.config import Config
from genie_repo.db import Database, open_database
from genie_repo.stores.short_memory import ShortMemoryStore
from tests.api import Builder
from tests.clock import FakeClock as Clock

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def store(db: Database, clock: Clock, build: Builder) -> ShortMemoryStore:
    return build(ShortMemoryStore, db, clock=clock)


def test_set_then_get(store: ShortMemoryStore) -> None:
    store.set("seen_messages", "m1", '{"x": 1}', MINUTE)
    assert store.get("seen_messages", "m1") == '{"x": 1}'
    assert store.get("seen_messages", "m2") is None


def test_entry_expires_at_its_ttl(store: ShortMemoryStore, clock: Clock) -> None:
    store.set("t", "k", "v", MINUTE)
    clock.advance(MINUTE - timedelta(microseconds=1))
    assert store.get("t", "k") == "v"
    clock.advance(timedelta(microseconds=1))
    assert store.get("t", "k") is None
    assert store.get_entry("t", "k") is None


def test_expired_read_is_ignored_not_deleted(store: ShortMemoryStore, clock: Clock) -> None:
    store.set("t", "k", "v", MINUTE)
    clock.advance(2 * MINUTE)
    assert store.get("t", "k") is None
    assert store.cleanup() == 1  # the row was still there for cleanup to remove


def test_types_are_isolated(store: ShortMemoryStore) -> None:
    store.set("seen_messages", "k", "a", MINUTE)
    store.set("pending_clarification", "k", "b", MINUTE)
    assert store.get("seen_messages", "k") == "a"
    assert store.get("pending_clarification", "k") == "b"
    store.delete("seen_messages", "k")
    assert store.get("seen_messages", "k") is None
    assert store.get("pending_clarification", "k") == "b"
    assert store.count("seen_messages") == 0
    assert store.count("pending_clarification") == 1


def test_delete_is_idempotent(store: ShortMemoryStore) -> None:
    store.set("t", "k", "v", MINUTE)
    store.delete("t", "k")
    store.delete("t", "k")
    assert store.get("t", "k") is None


def test_count_only_live_entries(store: ShortMemoryStore, clock: Clock) -> None:
    store.set("t", "short", "v", MINUTE)
    store.set("t", "long", "v", 10 * MINUTE)
    store.set("other", "x", "v", 10 * MINUTE)
    assert store.count("t") == 2
    clock.advance(2 * MINUTE)
    assert store.count("t") == 1
    assert store.count("nothing") == 0


def test_cleanup_returns_number_removed(store: ShortMemoryStore, clock: Clock) -> None:
    for i in range(3):
        store.set("a", f"k{i}", "v", MINUTE)
    store.set("b", "k", "v", MINUTE)
    store.set("b", "live", "v", 10 * MINUTE)
    assert store.cleanup() == 0
    clock.advance(MINUTE)
    assert store.cleanup() == 4
    assert store.cleanup() == 0
    assert store.get("b", "live") == "v"


def test_set_upserts_value_and_expiry_keeping_created_at(
    store: ShortMemoryStore, clock: Clock
) -> None:
    store.set("t", "k", "v1", MINUTE)
    clock.advance(30 * timedelta(seconds=1))
    store.set("t", "k", "v2", 5 * MINUTE)
    entry = store.get_entry("t", "k")
    assert entry is not None
    assert entry.value == "v2"
    assert entry.created_at == T0
    assert entry.expires_at == T0 + timedelta(seconds=30) + 5 * MINUTE
    assert store.count("t") == 1


def test_set_over_expired_entry_starts_a_new_one(store: ShortMemoryStore, clock: Clock) -> None:
    store.set("t", "k", "v1", MINUTE)
    clock.advance(2 * MINUTE)
    store.set("t", "k", "v2", MINUTE)
    entry = store.get_entry("t", "k")
    assert entry is not None and entry.created_at == T0 + 2 * MINUTE


def test_set_if_absent(store: ShortMemoryStore, clock: Clock) -> None:
    assert store.set_if_absent("seen", "m1", "first", MINUTE) is True
    assert store.set_if_absent("seen", "m1", "second", MINUTE) is False
    assert store.get("seen", "m1") == "first"
    assert store.set_if_absent("other", "m1", "x", MINUTE) is True  # another type
    clock.advance(MINUTE)  # expired entries count as absent
    assert store.set_if_absent("seen", "m1", "third", MINUTE) is True
    entry = store.get_entry("seen", "m1")
    assert entry is not None
    assert (entry.value, entry.created_at) == ("third", T0 + MINUTE)


def test_set_if_absent_after_delete(store: ShortMemoryStore) -> None:
    assert store.set_if_absent("seen", "m", "v", MINUTE)
    store.delete("seen", "m")
    assert store.set_if_absent("seen", "m", "v", MINUTE)


def test_non_positive_or_non_timedelta_ttl_is_invalid(store: ShortMemoryStore) -> None:
    for ttl in (timedelta(0), -MINUTE, 60, None):
        with pytest.raises(InvalidInput):
            store.set("t", "k", "v", ttl)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput):
            store.set_if_absent("t", "k", "v", ttl)  # type: ignore[arg-type]
    assert store.count("t") == 0


def test_bad_input_is_invalid_and_writes_nothing(store: ShortMemoryStore) -> None:
    bad = [("", "k", "v"), ("t", "", "v"), ("t", "k", 5), ("t", "k", "nul\x00"), (None, "k", "v")]
    for memory_type, key, value in bad:
        with pytest.raises(InvalidInput):
            store.set(memory_type, key, value, MINUTE)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput):
            store.set_if_absent(memory_type, key, value, MINUTE)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        store.get("", "k")
    with pytest.raises(InvalidInput):
        store.count("")
    assert store.cleanup() == 0
    assert store.count("t") == 0


def test_values_round_trip_exactly(store: ShortMemoryStore) -> None:
    value = "emoji 😀, accents é, quotes '\" and a long tail " + "x" * 100_000
    store.set("t", "ключ:1", value, MINUTE)
    assert store.get("t", "ключ:1") == value


def test_entries_survive_a_reopen(store: ShortMemoryStore, config: Config, clock: Clock) -> None:
    store.set("t", "k", "v", MINUTE)
    other = open_database(config)
    try:
        assert ShortMemoryStore(other, clock=clock).get("t", "k") == "v"
    finally:
        other.close()
