"""What every store shares: the database, the queries it needs, and a clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from genie_repo.db.protocol import Database
from genie_repo.timestamps import require_utc, utc_now

Clock = Callable[[], datetime]
F = TypeVar("F", bound=Callable[..., Any])


def runs_caller_code(method: F) -> F:
    """Marks a store method that calls code its caller passed in (a summarizer): the async path
    never tries it on the event loop first (see `genie_repo.db.sqlite_worker`), so that code
    runs once, off the loop."""
    method.runs_caller_code = True  # type: ignore[attr-defined]
    return method


class Store:
    """A store names the queries it uses; a missing one fails when the store is built."""

    QUERIES: ClassVar[tuple[str, ...]] = ()
    # Methods safe to call again after a lost reply (`with_retry` retries only these).
    IDEMPOTENT_METHODS: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, db: Database, *, clock: Clock = utc_now) -> None:
        db.registry.require(self.QUERIES)
        self.db = db
        self._clock = clock

    def now(self) -> datetime:
        return require_utc(self._clock(), "clock()")
