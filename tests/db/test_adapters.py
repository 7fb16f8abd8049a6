"""Both adapters behave the same: values, errors, transactions."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from genie_repo.db import Database
from genie_repo.errors import Conflict, InvalidInput, NotFound, QueryRegistryError

MOMENT = datetime(2026, 11, 25, 13, 24, 15, 123456, tzinfo=UTC)


def row(**overrides: Any) -> dict[str, Any]:
    values = {"id": 1, "t": "text", "b": b"\x00\xff", "i": 2**62, "f": 0.5, "ts": MOMENT,
              "flag": True}
    return {**values, **overrides}


def test_values_round_trip_as_plain_python(scratch: Database) -> None:
    scratch.execute("scratch.insert", row())
    got = scratch.fetch_one("scratch.get", {"id": 1})
    assert got == row()
    assert got is not None and got["ts"].tzinfo is not None and got["flag"] is True


def test_timestamps_are_stored_in_utc(scratch: Database) -> None:
    plus_two = MOMENT.astimezone(timezone(timedelta(hours=2)))
    scratch.execute("scratch.insert", row(ts=plus_two))
    got = scratch.fetch_one("scratch.get", {"id": 1})
    assert got is not None and got["ts"] == MOMENT
    assert got["ts"].utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "bad",
    [
        {"t": "nul\x00inside"},
        {"t": "lone \ud800 surrogate"},
        {"ts": datetime(2026, 1, 1)},
        {"i": 2**70},
        {"b": {"a": 1}},
        {"t": ["list"]},
    ],
)
def test_bad_values_are_invalid_input_and_write_nothing(
    scratch: Database, bad: dict[str, Any]
) -> None:
    with pytest.raises(InvalidInput):
        scratch.execute("scratch.insert", row(**bad))
    assert scratch.fetch_value("scratch.count") == 0


def test_one_and_opt(scratch: Database) -> None:
    with pytest.raises(NotFound):
        scratch.fetch_one("scratch.get", {"id": 9})
    assert scratch.fetch_one("scratch.find", {"id": 9}) is None


def test_verb_must_match_kind_and_params_must_be_complete(scratch: Database) -> None:
    with pytest.raises(QueryRegistryError, match="cannot run through fetch_all"):
        scratch.fetch_all("scratch.get", {"id": 1})
    with pytest.raises(QueryRegistryError, match="missing parameter"):
        scratch.execute("scratch.insert", {"id": 1})
    with pytest.raises(QueryRegistryError, match="unknown query"):
        scratch.execute("scratch.nope")


def test_unique_violation_is_conflict(scratch: Database) -> None:
    scratch.execute("scratch.insert", row())
    with pytest.raises(Conflict):
        scratch.execute("scratch.insert", row(id=2))


def test_transaction_commits_and_rolls_back(scratch: Database) -> None:
    with scratch.transaction():
        scratch.execute("scratch.insert", row())
    with pytest.raises(RuntimeError), scratch.transaction():
        scratch.execute("scratch.insert", row(id=2, t="other"))
        raise RuntimeError("boom")
    assert [r["id"] for r in scratch.fetch_all("scratch.all_ids")] == [1]


def test_nested_transaction_is_a_savepoint(scratch: Database) -> None:
    with scratch.transaction():
        scratch.execute("scratch.insert", row())
        with pytest.raises(Conflict), scratch.transaction():
            scratch.execute("scratch.insert", row(id=2, t="two"))
            scratch.execute("scratch.insert", row(id=3))  # duplicate t: Conflict
        scratch.execute("scratch.insert", row(id=4, t="four"))
    assert sorted(r["id"] for r in scratch.fetch_all("scratch.all_ids")) == [1, 4]


def test_execute_many_is_all_or_nothing(scratch: Database) -> None:
    rows = [{"id": i, "t": f"t{i}"} for i in range(5)]
    assert scratch.execute_many("scratch.insert_many", rows) == 5
    with pytest.raises(Conflict):
        scratch.execute_many("scratch.insert_many", [{"id": 10, "t": "x"}, {"id": 11, "t": "x"}])
    assert scratch.fetch_value("scratch.count") == 5


def test_threads_share_one_database(scratch: Database) -> None:
    def work(start: int) -> None:
        for i in range(start, start + 25):
            with scratch.transaction():
                scratch.execute("scratch.insert", row(id=i, t=f"t{i}"))

    threads = [threading.Thread(target=work, args=(n * 100,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert scratch.fetch_value("scratch.count") == 100


def test_a_finished_thread_leaves_no_open_sqlite_connection(make_config: Any) -> None:
    from genie_repo.db.sqlite import SqliteDatabase

    db = SqliteDatabase(make_config("sqlite").sqlite_path)  # PostgreSQL's belong to the pool
    before = len(db._connections)
    threads = [threading.Thread(target=db.fetch_value, args=("stats.size_bytes",))
               for _ in range(5)]
    for thread in threads:
        thread.start()
        thread.join()
    assert len(db._connections) == before
    db.close()


def test_every_sqlite_connection_gets_the_pragmas(make_config: Any) -> None:
    from genie_repo.db.sqlite import SqliteDatabase

    path = make_config("sqlite").sqlite_path
    seen: list[tuple[Any, ...]] = []

    def pragmas(db: SqliteDatabase) -> None:
        conn = db._connection()
        seen.append(tuple(conn.execute(f"PRAGMA {name}").fetchall()[0][0] for name in
                          ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")))

    for durability, synchronous in (("normal", 1), ("full", 2)):
        db = SqliteDatabase(path, durability=durability)
        threads = [threading.Thread(target=pragmas, args=(db,)) for _ in range(3)]
        for thread in threads:
            thread.start()
            thread.join()
        pragmas(db)
        assert set(seen) == {("wal", synchronous, 1, 15_000)}, seen
        seen.clear()
        db.close()
