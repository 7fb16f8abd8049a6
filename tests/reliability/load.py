"""Writer threads that keep a store busy while a test breaks the server under them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from genie_repo import ApprovalStore, Conflict, Database, TransientError

MAX_WRITES = 100_000  # per thread; the test stops the load long before


@dataclass
class LoadReport:
    acknowledged: list[str] = field(default_factory=list)
    transient: list[TransientError] = field(default_factory=list)
    unexpected: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)


def retrying(call: Callable[[], object], report: LoadReport, *, attempts: int = 60) -> bool:
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
        except Conflict as exc:
            if failed_before:
                return True
            raise exc
    return False


class Load:
    """`threads` writers creating approvals until `stop()`; every error is recorded by type."""

    def __init__(self, db: Database, threads: int = 3) -> None:
        self.store = ApprovalStore(db)
        self.report = LoadReport()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True)
                         for n in range(threads)]

    def __enter__(self) -> LoadReport:
        for thread in self._threads:
            thread.start()
        return self.report

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
        assert not any(t.is_alive() for t in self._threads), "a writer thread hung"

    def _run(self, n: int) -> None:
        for i in range(MAX_WRITES):
            if self._stop.is_set():
                return
            uid = f"load-{n}-{i}"
            try:
                ok = retrying(lambda uid=uid: self.store.create(  # type: ignore[misc]
                    id=uid, thread_id="load", run_id=uid, tool_name="tool"), self.report)
            except BaseException as exc:  # anything but TransientError is a finding
                with self.report.lock:
                    self.report.unexpected.append(exc)
                return
            if not ok:
                with self.report.lock:
                    self.report.unexpected.append(RuntimeError(f"{uid}: retries exhausted"))
                return
            with self.report.lock:
                self.report.acknowledged.append(uid)
