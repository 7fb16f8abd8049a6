"""with_retry: the policy on a scripted store, then real faults on both databases."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import ClassVar

import psycopg
import pytest

from genie_repo.config import Config
from genie_repo.db import open_database
from genie_repo.db.sqlite import SqliteDatabase
from genie_repo.errors import InvalidInput, NotFound, TransientError
from genie_repo.models.checkpoints import Payload
from genie_repo.retry import backoff_delay, with_retry
from genie_repo.stores.checkpoints import CheckpointStore

PAYLOAD = Payload(type="json", data=b"{}")


class Flaky:
    """A store whose calls fail with the given errors, in order, before succeeding."""

    IDEMPOTENT_METHODS: ClassVar[frozenset[str]] = frozenset({"read"})

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0
        self.label = "flaky"

    def read(self, value: int) -> int:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return value * 2

    def create(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "created"


class Records(logging.Handler):
    def __init__(self, on_warning: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.on_warning = on_warning

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        if record.levelno == logging.WARNING and self.on_warning:
            self.on_warning()
            self.on_warning = None

    def count(self, level: int) -> int:
        return sum(1 for r in self.records if r.levelno == level)


def recording_logger(name: str, on_warning: Callable[[], None] | None = None) -> tuple[
    logging.Logger, Records
]:
    logger = logging.getLogger(f"genie_repo.retry.test.{name}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for old in list(logger.handlers):
        logger.removeHandler(old)
    handler = Records(on_warning)
    logger.addHandler(handler)
    return logger, handler


def test_transient_errors_are_retried_then_succeed() -> None:
    store = Flaky(TransientError("reset"), TransientError("reset"))
    logger, log = recording_logger("ok")
    wrapped = with_retry(store, base_delay=0, logger=logger)
    assert wrapped.read(21) == 42
    assert store.calls == 3
    assert (log.count(logging.WARNING), log.count(logging.INFO)) == (2, 1)


def test_gives_up_after_retries_with_the_last_transient_error() -> None:
    errors = [TransientError(f"down {i}") for i in range(5)]
    store = Flaky(*errors)
    with pytest.raises(TransientError, match="down 2") as caught:
        with_retry(store, retries=2, base_delay=0).read(1)
    assert store.calls == 3
    assert "failed after 2 retries" in caught.value.__notes__[0]


def test_zero_retries_calls_once() -> None:
    store = Flaky(TransientError("x"))
    with pytest.raises(TransientError):
        with_retry(store, retries=0).read(1)
    assert store.calls == 1


def test_other_errors_pass_through_unchanged_at_once() -> None:
    original = NotFound("no such row")
    store = Flaky(original)
    with pytest.raises(NotFound) as caught:
        with_retry(store, base_delay=0).read(1)
    assert caught.value is original
    assert store.calls == 1


def test_non_idempotent_methods_are_never_retried() -> None:
    store = Flaky(TransientError("lost during commit"))
    wrapped = with_retry(store, base_delay=0)
    with pytest.raises(TransientError):
        wrapped.create()
    assert store.calls == 1
    assert wrapped.label == "flaky"  # plain attributes are the store's own


def test_caller_can_declare_more_idempotent_methods() -> None:
    store = Flaky(TransientError("x"))
    assert with_retry(store, base_delay=0, idempotent=["create"]).create() == "created"
    assert store.calls == 2


def test_cancel_stops_waiting() -> None:
    cancel = threading.Event()
    cancel.set()
    store = Flaky(TransientError("x"), TransientError("y"))
    with pytest.raises(TransientError) as caught:
        with_retry(store, base_delay=60, cancel=cancel).read(1)
    assert store.calls == 1
    assert "cancelled" in caught.value.__notes__[0]


def test_deadline_stops_before_a_wait_that_would_pass_it() -> None:
    store = Flaky(TransientError("x"), TransientError("y"))
    with pytest.raises(TransientError) as caught:
        with_retry(store, base_delay=60, deadline=1).read(1)
    assert store.calls == 1
    assert "deadline" in caught.value.__notes__[0]


@pytest.mark.parametrize("retries", [-1, 1.5, True])
def test_bad_retries_is_invalid_input(retries: object) -> None:
    with pytest.raises(InvalidInput):
        with_retry(Flaky(), retries=retries)  # type: ignore[arg-type]


def test_a_store_without_idempotent_methods_needs_them_named() -> None:
    class Bare:
        def get(self) -> int:
            return 1

    with pytest.raises(InvalidInput, match="IDEMPOTENT_METHODS"):
        with_retry(Bare())
    assert with_retry(Bare(), idempotent=["get"]).get() == 1
    with pytest.raises(InvalidInput, match="no public method"):
        with_retry(Bare(), idempotent=["nope"])


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    def delays(rand: float) -> list[float]:
        return [backoff_delay(a, base_delay=0.5, max_delay=3, rand=lambda: rand)
                for a in range(5)]

    assert delays(1.0) == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert delays(0.0) == [0.25, 0.5, 1.0, 1.5, 1.5]


def test_every_checkpoint_method_is_declared_idempotent() -> None:
    public = {n for n in vars(CheckpointStore) if not n.startswith("_") and n.isidentifier()
              and callable(getattr(CheckpointStore, n)) and n not in ("QUERIES",)}
    assert public == set(CheckpointStore.IDEMPOTENT_METHODS)


# -- real faults ---------------------------------------------------------------------------------


@pytest.fixture
def pg_config(make_config: Callable[[str], Config]) -> Config:
    return make_config("postgres")


def test_postgres_backend_terminated_mid_call_is_retried(pg_config: Config) -> None:
    """The store's backend is killed (57P01) while its statement waits on a lock; the
    wrapped call reconnects and succeeds."""
    db = open_database(pg_config)
    locker = psycopg.connect(pg_config.dsn or "", autocommit=False)
    admin = psycopg.connect(pg_config.dsn or "", autocommit=True)
    try:
        locker.execute("LOCK TABLE checkpoints IN ACCESS EXCLUSIVE MODE")
        logger, log = recording_logger("pg", on_warning=locker.rollback)
        wrapped = with_retry(CheckpointStore(db), base_delay=0.05, logger=logger)
        with ThreadPoolExecutor(1) as pool:
            call = pool.submit(wrapped.put, "L", "c1", PAYLOAD)
            victim = _wait_for(lambda: admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> %s", (locker.info.backend_pid,)
            ).fetchone())
            admin.execute("SELECT pg_terminate_backend(%s)", (victim[0],))
            ref = call.result(timeout=60)
        assert ref.checkpoint_id == "c1"
        assert log.count(logging.WARNING) >= 1
        assert "57P01" in log.records[0].getMessage() or "terminat" in log.records[0].getMessage()
        assert CheckpointStore(db).get("L", "c1") == PAYLOAD
    finally:
        locker.close()
        admin.close()
        db.close()


LOCK_HOLDER = """
import sys, apsw
conn = apsw.Connection(sys.argv[1])
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
"""


@pytest.fixture
def locked_sqlite(
    make_config: Callable[[str], Config],
) -> Iterator[tuple[Config, subprocess.Popen[str]]]:
    config = make_config("sqlite")
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(config.sqlite_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    yield config, holder
    holder.kill()
    holder.wait()


def test_sqlite_write_lock_held_by_another_process_is_waited_out(
    locked_sqlite: tuple[Config, subprocess.Popen[str]],
) -> None:
    """Another process holds the write lock past our busy timeout: the first attempt fails
    BUSY (TransientError); the lock is released once that is logged; a retry succeeds."""
    config, holder = locked_sqlite
    db = SqliteDatabase(config.sqlite_path, busy_timeout_ms=50)  # BUSY within 50 ms

    def release() -> None:
        assert holder.stdin is not None
        holder.stdin.write("go\n")
        holder.stdin.flush()

    logger, log = recording_logger("sqlite", on_warning=release)
    try:
        store = CheckpointStore(db)
        with pytest.raises(TransientError):
            store.put("L", "c0", PAYLOAD)  # unwrapped: fails once the busy timeout passes
        wrapped = with_retry(store, retries=20, base_delay=0.02, max_delay=0.2, logger=logger)
        ref = wrapped.put("L", "c1", PAYLOAD)
        assert ref.checkpoint_id == "c1"
        assert log.count(logging.WARNING) >= 1
        assert holder.wait(timeout=30) == 0
        assert store.get("L", "c1") == PAYLOAD
        assert store.get("L", "c0") is None
    finally:
        db.close()


def _wait_for(probe: Callable[[], object], timeout: float = 30.0) -> object:
    """Poll until probe() returns something truthy (a condition, not a timing assertion)."""
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        found = probe()
        if found:
            return found
        time.sleep(0.01)
    raise AssertionError("condition not reached")
