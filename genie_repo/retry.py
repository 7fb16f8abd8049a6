"""Retry any store's idempotent calls through transient database failures.

Which failures are transient is decided by the adapters, by SQLSTATE / SQLite result code: lost
or refused connections (class 08, no SQLSTATE), server starting or shutting down (57P01-57P03),
serialization failure (40001), deadlock (40P01), SQLite BUSY/LOCKED past the busy timeout. They
all raise `TransientError`; this module only decides *whether and when to call again*.

A call is retried only when it is safe to run twice: a store lists its retry-safe methods in
`IDEMPOTENT_METHODS` (upserts, reads, deletes), and the caller may name more with `idempotent=`.
Anything else (e.g. a create that mints a new id) is passed through without retries, because a
connection lost during COMMIT leaves it unknown whether the first attempt landed. Do not call a
retrying store inside an outer `db.transaction()`: an aborted transaction cannot be resumed by
repeating one statement.
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from genie_repo.errors import InvalidInput, TransientError

S = TypeVar("S")
_LOG = logging.getLogger("genie_repo.retry")


def backoff_delay(
    attempt: int, *, base_delay: float, max_delay: float, rand: Callable[[], float]
) -> float:
    """Delay before retry number `attempt` (0-based): base * 2**attempt, capped, with "equal
    jitter" (between half and all of it) so that clients that failed together spread out."""
    ceiling = min(max_delay, base_delay * float(1 << attempt))
    return ceiling / 2 + ceiling / 2 * rand()


class RetryingStore:
    """Proxy returned by `with_retry`: public methods of the wrapped store, retried when they
    are idempotent; every other attribute is the store's own."""

    def __init__(
        self,
        store: object,
        *,
        retries: int,
        base_delay: float,
        max_delay: float,
        deadline: float | None,
        cancel: threading.Event | None,
        idempotent: frozenset[str],
        logger: logging.Logger,
        rand: Callable[[], float],
    ) -> None:
        self._store = store
        self._retries = retries
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._deadline = deadline
        self._cancel = cancel or threading.Event()
        self._idempotent = idempotent
        self._logger = logger
        self._rand = rand

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._store, name)
        if name.startswith("_") or name not in self._idempotent or not callable(attribute):
            return attribute
        wrapped = functools.partial(self._call, name, attribute)
        functools.update_wrapper(wrapped, attribute)
        return wrapped

    def __repr__(self) -> str:
        return f"with_retry({self._store!r}, retries={self._retries})"

    def _call(self, name: str, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        attempt = 0
        while True:
            try:
                result = method(*args, **kwargs)
            except TransientError as exc:
                if attempt >= self._retries:
                    exc.add_note(f"{name} failed after {attempt} retries")
                    raise
                delay = backoff_delay(
                    attempt, base_delay=self._base_delay, max_delay=self._max_delay,
                    rand=self._rand,
                )
                if self._deadline is not None and (
                    time.monotonic() - started + delay > self._deadline
                ):
                    exc.add_note(f"{name}: retry deadline of {self._deadline}s reached")
                    raise
                attempt += 1
                self._logger.warning(
                    "%s failed with a transient error (%s); retry %d of %d in %.3fs",
                    name, exc, attempt, self._retries, delay,
                )
                if self._cancel.wait(delay):
                    exc.add_note(f"{name}: retry cancelled")
                    raise
                continue
            if attempt:
                self._logger.info("%s succeeded after %d retries", name, attempt)
            return result


def with_retry(
    store: S,
    *,
    retries: int = 3,
    base_delay: float = 0.5,
    max_delay: float = 8.0,
    deadline: float | None = None,
    cancel: threading.Event | None = None,
    idempotent: Iterable[str] | None = None,
    logger: logging.Logger | None = None,
    rand: Callable[[], float] = random.random,
) -> S:
    """Wrap `store` so its idempotent methods are retried on TransientError.

    Up to `retries` retries (so retries+1 calls), waiting `backoff_delay` between them. Other
    errors pass through unchanged and at once. Gives up, re-raising the last TransientError
    (with a note saying why), when retries run out, when the next wait would pass `deadline`
    seconds since the call began, or when `cancel` is set during a wait. Each retry is logged
    at WARNING, a success after retries at INFO. Retried methods: the store's
    `IDEMPOTENT_METHODS` plus `idempotent`; InvalidInput if that leaves none, or names one the
    store lacks.
    """
    if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
        raise InvalidInput(f"retries must be an integer >= 0, got {retries!r}")
    if base_delay < 0 or max_delay < 0:
        raise InvalidInput("base_delay and max_delay must be >= 0")
    if deadline is not None and deadline <= 0:
        raise InvalidInput("deadline must be a positive number of seconds")
    declared = frozenset(getattr(store, "IDEMPOTENT_METHODS", ()))
    extra = frozenset(idempotent or ())
    for name in extra:
        if name.startswith("_") or not callable(getattr(store, name, None)):
            raise InvalidInput(f"{type(store).__name__} has no public method {name!r}")
    methods = declared | extra
    if not methods:
        raise InvalidInput(
            f"{type(store).__name__} declares no IDEMPOTENT_METHODS; name the methods that are "
            "safe to retry with idempotent=[...]"
        )
    proxy = RetryingStore(
        store,
        retries=retries,
        base_delay=base_delay,
        max_delay=max_delay,
        deadline=deadline,
        cancel=cancel,
        idempotent=methods,
        logger=logger or _LOG,
        rand=rand,
    )
    return cast(S, proxy)
