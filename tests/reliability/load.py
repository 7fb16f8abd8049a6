"""Writer threads that keep stores busy while a test breaks the server under them.

Thread 0 creates approvals (not retry-safe by `IDEMPOTENT_METHODS`: a create whose connection
died during COMMIT may have landed, so the caller retries by hand and reads a Conflict on its own
id as success). The other threads go through `with_retry`: `append_event` (idempotent by event
id) and checkpoint `put_full` (replaces exactly).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from genie_repo import (
    ApprovalStore,
    CheckpointStore,
    Conflict,
    Database,
    Event,
    Payload,
    SessionKey,
    SessionStore,
    TransientError,
    Write,
    with_retry,
)

S = TypeVar("S")
MAX_WRITES = 100_000  # per thread; the test stops the load long before
LOAD_SESSION = SessionKey("load", "user", "session")


@dataclass
class LoadReport:
    acknowledged: dict[str, list[str]] = field(default_factory=dict)  # kind -> ids
    transient: list[TransientError] = field(default_factory=list)
    unexpected: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> int:
        with self.lock:
            return sum(len(ids) for ids in self.acknowledged.values())

    def ack(self, kind: str, uid: str) -> None:
        with self.lock:
            self.acknowledged.setdefault(kind, []).append(uid)


def create_by_hand(call: Callable[[], object], report: LoadReport, *, attempts: int = 60) -> bool:
    """Retry TransientError with a short backoff; a Conflict after a transient failure means
    the earlier attempt committed before its connection died, which is a success."""
    failed_before = False
    for attempt in range(attempts):
        try:
            call()
            return True
        except TransientError as exc:
            with report.lock:
                report.transient.append(exc)
            failed_before = True
            time.sleep(min(0.01 * 2**attempt, 0.25))
        except Conflict:
            if failed_before:
                return True
            raise
    return False


class RetryLog(logging.Handler):
    """Collects the errors `with_retry` logs (one WARNING per retry, the error among the args)."""

    def __init__(self, report: LoadReport) -> None:
        super().__init__(logging.DEBUG)
        self.report = report

    def emit(self, record: logging.LogRecord) -> None:
        for arg in record.args if isinstance(record.args, tuple) else ():
            if isinstance(arg, BaseException):
                with self.report.lock:
                    if isinstance(arg, TransientError):
                        self.report.transient.append(arg)
                    else:
                        self.report.unexpected.append(arg)


class Load:
    """Three writer threads until `stop()`; every error is recorded by type."""

    def __init__(self, db: Database) -> None:
        self.report = LoadReport()
        self._stop = threading.Event()
        self._logger = logging.getLogger(f"tests.reliability.load.{id(self)}")
        self._logger.addHandler(RetryLog(self.report))
        self._logger.propagate = False
        self._approvals_store = ApprovalStore(db)
        self._sessions = SessionStore(db)
        self._sessions.create_session(LOAD_SESSION)
        self._retrying_sessions = self._retrying(self._sessions)
        self._retrying_checkpoints = self._retrying(CheckpointStore(db))
        self._threads = [threading.Thread(target=self._guard, args=(work,), daemon=True)
                         for work in (self._approvals, self._appends, self._checkpoints)]

    def __enter__(self) -> LoadReport:
        for thread in self._threads:
            thread.start()
        return self.report

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
        self._sessions.close()
        assert not any(t.is_alive() for t in self._threads), "a writer thread hung"

    def _guard(self, work: Callable[[int], None]) -> None:
        try:
            for i in range(MAX_WRITES):
                if self._stop.is_set():
                    return
                work(i)
        except TransientError as exc:  # with_retry gave up: recorded, and the load stops
            with self.report.lock:
                self.report.unexpected.append(exc)
        except BaseException as exc:  # anything but TransientError is a finding
            with self.report.lock:
                self.report.unexpected.append(exc)

    def _retrying(self, store: S) -> S:
        return with_retry(store, retries=120, base_delay=0.02, max_delay=0.5, deadline=90,
                          cancel=self._stop, logger=self._logger)

    def _approvals(self, i: int) -> None:
        store = self._approvals_store
        uid = f"approval-{i}"
        if not create_by_hand(lambda: store.create(id=uid, thread_id="load", run_id=uid,
                                                   tool_name="tool"), self.report):
            raise RuntimeError(f"{uid}: retries exhausted")
        self.report.ack("approval", uid)

    def _appends(self, i: int) -> None:
        uid = f"event-{i}"
        self._retrying_sessions.append_event(LOAD_SESSION, Event(id=uid, state_delta={"last": i}))
        self.report.ack("event", uid)

    def _checkpoints(self, i: int) -> None:
        uid = f"cp-{i:06d}"
        data = Payload("json", b"{}")
        self._retrying_checkpoints.put_full("load", uid, data, writes=[Write("c", data)])
        self.report.ack("checkpoint", uid)
