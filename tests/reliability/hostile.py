"""The hostile-input battery: values that break naive stores, and the rule every call obeys.

The rule: a call with a hostile value either succeeds and the value reads back exactly, or it
raises InvalidInput (or NotFound for a key that does not exist, or Conflict for a state change
the row is no longer in) and the database is unchanged, row for row. Any other outcome (a driver
error, a generic error, a crash, a changed database after an error, a value that reads back
different) is a finding.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from genie_repo import (
    ApprovalStore,
    CheckpointStore,
    ClarificationStore,
    Config,
    Conflict,
    Database,
    GenieRepoError,
    InvalidInput,
    NotFound,
    SessionStore,
)
from tests.reliability.dump import Dumper, purge_large_rows


def _random_astral(n: int, seed: int) -> str:
    """Incompressible text of 4-byte UTF-8 characters (defeats TOAST compression of keys)."""
    rng = random.Random(seed)
    return "".join(chr(rng.randint(0x10000, 0x10FFFF)) for _ in range(n))


def _nested(depth: int) -> list[Any]:
    """[[[...]]] `depth` deep, built without recursion."""
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


TEXT: dict[str, str] = {
    "nul": "a\x00b",
    "lone-surrogate": "a\ud800b",
    "lone-low-surrogate": "\udfff",
    "10mb": "é🙂x" * 1_500_000,  # 10.5 MB of UTF-8, 4.5 million characters
    "sql-injection": "x'); DROP TABLE approvals; --",
    "placeholders": "\" OR 1=1 -- %s %(id)s %% :id ? $1 \\",
    "like-wildcards": "%_%\\_",
    "fts-operators": 'a* OR "b" NEAR(c d) -e ^f col:g AND (h',
    "deep-json-text": "[" * 100_000 + "]" * 100_000,
    "unicode": "ｆｕｌｌ \u202e rtl e\u0301 🙂 \r\n\t",
    "empty": "",
    "max-id": "k" * 1024,
    "over-max-id": "k" * 1025,
    "max-id-incompressible": _random_astral(1024, 1),
    "prefix-abuse": "app:user:temp:",
}

NOT_TEXT: dict[str, Any] = {
    "set": {1},
    "object": object(),
    "nan": float("nan"),
    "int": 7,
    "bytes": b"x",
    "none": None,
    "dict": {"a": 1},
    "list": ["a"],
    "bool": True,
    "deep-nesting": _nested(100_000),
    "json-edge-numbers": {"big": 2**70, "negative-zero": -0.0, "tiny": 5e-324, "pi": 3.14159},
}

PLUS_ONE, MINUS_FIVE = timezone(timedelta(hours=1)), timezone(timedelta(hours=-5))
MOMENTS: dict[str, Any] = {
    "naive": datetime(2026, 11, 25, 12, 0),
    "plus-five-hours": datetime(2026, 11, 25, 12, 0, 0, 123456,
                                tzinfo=timezone(timedelta(hours=5))),
    "utc-microseconds": datetime(2026, 11, 25, 12, 0, 0, 1, tzinfo=UTC),
    "earliest-utc": datetime.min.replace(tzinfo=UTC),
    "latest-utc": datetime.max.replace(tzinfo=UTC),
    "year-1-east-of-utc": datetime.min.replace(tzinfo=PLUS_ONE),  # before year 1 in UTC
    "year-9999-west-of-utc": datetime.max.replace(tzinfo=MINUS_FIVE),  # after 9999 in UTC
    "iso-string": "2026-11-25T12:00:00Z",
    "unix-seconds": 0,
    "float": 1.5,
    "date": date(2026, 11, 25),
    "bool": True,
}
"""Values for every timestamp parameter: only aware datetimes inside Python's range in UTC may
be accepted, and they must read back as the same instant (in UTC)."""

LARGE_FLOATS = [1e16, 1e308, 12345678901234567890.0, -2.5e20]
"""Floats whose shortest JSON form has an exponent and no fraction ("1e+16"): a JSON parser
that keeps numbers as decimals (PostgreSQL jsonb) turns them into integers."""

LIMITS: list[Any] = [-1, 0, 10_001, 2**63, 2**100, True, 1.5, "10", None]
"""Page sizes every list method must reject with InvalidInput."""

BATTERIES: dict[str, dict[str, Any]] = {**{name: {name: v} for name, v in TEXT.items()},
                                        "not-text": NOT_TEXT}
"""One test per hostile text (each may leave rows behind), one for all the non-text values."""


@dataclass
class Stores:
    db: Database
    approvals: ApprovalStore
    clarifications: ClarificationStore
    sessions: SessionStore
    checkpoints: CheckpointStore
    counter: int = 0
    # key -> ids created with that value, for checking that lookups find exactly them
    tenants: dict[str, set[str]] = field(default_factory=dict)
    threads: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def open(cls, db: Database) -> Stores:
        return cls(db, ApprovalStore(db), ClarificationStore(db), SessionStore(db),
                   CheckpointStore(db))

    def close(self) -> None:
        self.sessions.close()

    def remember(self, index: dict[str, set[str]], key: str, row_id: str) -> None:
        """Note that `row_id` was stored under `key` (huge keys are purged, so not noted)."""
        if len(key) <= 1_000_000:
            index.setdefault(key, set()).add(row_id)

    def fresh_id(self) -> str:
        self.counter += 1
        return f"id-{self.counter}"


def as_key(value: Any) -> Any:
    """The value as a mapping key: unhashable ones (a caller could not build that mapping)
    become a tuple, which is just as much not a string key."""
    return value if isinstance(value, Hashable) else ("unhashable", type(value).__name__)


Call = Callable[[], object]
Verify = Callable[[object], None]
Slot = Callable[[Stores, Any], tuple[Call, Verify]]
"""Prepares one hostile call (setup writes happen here, before the dump) and its check."""


@dataclass
class Finding:
    slot: str
    value: str
    problem: str

    def __str__(self) -> str:
        return f"{self.slot} <- {self.value}: {self.problem}"


def run_battery(
    config: Config, stores: Stores, slots: dict[str, Slot], values: dict[str, Any]
) -> list[Finding]:
    dumper = Dumper(config)
    try:
        return _run(config, dumper, stores, slots, values)
    finally:
        dumper.close()
        stores.close()


def _run(
    config: Config, dumper: Dumper, stores: Stores, slots: dict[str, Slot], values: dict[str, Any]
) -> list[Finding]:
    findings: list[Finding] = []
    for value_name, value in values.items():
        for slot_name, slot in slots.items():
            call, verify = slot(stores, value)
            before = dumper.snapshot()
            try:
                result = call()
            except (InvalidInput, NotFound, Conflict) as exc:
                if dumper.snapshot() != before:
                    findings.append(Finding(slot_name, value_name,
                                            f"{type(exc).__name__} but the database changed"))
                continue
            except GenieRepoError as exc:
                findings.append(Finding(slot_name, value_name,
                                        f"{type(exc).__name__}: {str(exc)[:300]}"))
                continue
            except Exception as exc:  # a leak of a non-genie_repo error is the finding
                findings.append(Finding(slot_name, value_name,
                                        f"raw {type(exc).__name__}: {str(exc)[:300]}"))
                continue
            try:
                verify(result)
            except (AssertionError, GenieRepoError) as exc:
                findings.append(Finding(slot_name, value_name,
                                        f"accepted but did not round-trip: {exc!r}"[:400]))
            if isinstance(value, str) and len(value) > 1_000_000:
                purge_large_rows(config)
    return findings
