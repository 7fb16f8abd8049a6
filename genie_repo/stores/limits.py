"""Page-size checking shared by every store's list methods."""

from __future__ import annotations

from genie_repo.errors import InvalidInput

MAX_LIMIT = 10_000


def check_limit(limit: object, *, maximum: int = MAX_LIMIT) -> int:
    """A page size from 1 to `maximum`, else InvalidInput (never a silent clamp)."""
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= maximum:
        raise InvalidInput(f"limit must be an integer from 1 to {maximum}, got {limit!r}")
    return limit
