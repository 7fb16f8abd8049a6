"""UTC time in one canonical form.

Python code sees only timezone-aware UTC datetimes. SQLite stores them as fixed-width ISO-8601
text (`2026-11-25T13:24:15.123456Z`), which sorts as time sorts; PostgreSQL stores `timestamptz`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from genie_repo.errors import InvalidInput


def utc_now() -> datetime:
    return datetime.now(UTC)


def require_utc(value: datetime, what: str = "timestamp") -> datetime:
    """An aware datetime converted to UTC; a naive one is InvalidInput (its zone is a guess)."""
    if type(value) is datetime and value.tzinfo is UTC:
        return value
    if not isinstance(value, datetime):
        raise InvalidInput(f"{what} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{what} must be timezone-aware")
    return value.astimezone(UTC)


def to_sqlite_text(value: datetime) -> str:
    """The canonical SQLite encoding: always 27 characters, so text order is time order."""
    if value.tzinfo is not UTC:
        value = require_utc(value)
    return value.isoformat(timespec="microseconds")[:-6] + "Z"  # "+00:00" -> "Z"


def from_sqlite_text(text: str) -> datetime:
    return datetime.fromisoformat(text)
