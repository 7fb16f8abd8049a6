"""The one error hierarchy callers catch; drivers' exceptions never leak out unwrapped.

Every error may carry the registry name of the query and the dialect it ran on, and the
database's own error code (SQLSTATE or SQLite extended result code) when there was one.
"""

from __future__ import annotations


class GenieRepoError(Exception):
    """Base of every error genie_repo raises."""

    def __init__(
        self,
        message: str,
        *,
        query: str | None = None,
        dialect: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.query = query
        self.dialect = dialect
        self.code = code

    def __str__(self) -> str:
        where = [p for p in (self.dialect, self.query) if p]
        return f"{self.message} [{' '.join(where)}]" if where else self.message


class NotFound(GenieRepoError):
    """The row the call needs does not exist."""


class Conflict(GenieRepoError):
    """A compare-and-set lost, or a uniqueness rule was broken (e.g. approval already resolved)."""


class InvalidInput(GenieRepoError, ValueError):
    """The caller's input was rejected before anything was written."""


class TransientError(GenieRepoError):
    """A failure that may succeed when retried: lost connection, busy database, deadlock."""


class MigrationError(GenieRepoError):
    """Applying, rolling back or reading the schema version failed."""


class QueryRegistryError(GenieRepoError):
    """The SQL files are inconsistent, or code asked for a query that does not exist."""
