"""The bounded background pool that runs summary jobs for SessionStore.

At most `workers` jobs run and `queue` wait; a job submitted beyond that runs at once in the
caller's thread, so a burst slows the caller down instead of losing work. `close()` waits for
every accepted job; submitting after it raises.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from genie_repo.errors import GenieRepoError

log = logging.getLogger(__name__)
T = TypeVar("T")


class SummaryPool:
    def __init__(self, workers: int, queue: int) -> None:
        self._workers = workers
        self._slots = threading.BoundedSemaphore(workers + queue)
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, job: Callable[[], T], what: str) -> Future[T]:
        """Run `job` in the background (or now, when the pool is full); the future holds its
        result or its exception, which is also logged."""
        if not self._slots.acquire(blocking=False):
            with self._lock:
                if self._closed:
                    raise GenieRepoError("the session store is closed")
            future: Future[T] = Future()
            try:
                future.set_result(job())
            except Exception as exc:  # the caller reads it from the future
                log.exception("%s failed", what)
                future.set_exception(exc)
            return future
        try:
            with self._lock:
                if self._closed:
                    raise GenieRepoError("the session store is closed")
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(self._workers,
                                                        thread_name_prefix="genie-summary")
                return self._executor.submit(self._run, job, what)
        except BaseException:
            self._slots.release()
            raise

    def close(self) -> None:
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)

    def _run(self, job: Callable[[], T], what: str) -> T:
        try:
            return job()
        except Exception:
            log.exception("%s failed", what)
            raise
        finally:
            self._slots.release()
