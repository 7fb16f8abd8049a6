"""Short memories: small values under (memory_type, key) that live for a time to live."""

from __future__ import annotations

from datetime import datetime

from genie_repo.models.base import Model


class ShortMemory(Model):
    """One live entry. `created_at` is when the current entry began: a `set` over a live entry
    keeps it, a `set` over an expired one starts a new entry."""

    memory_type: str
    key: str
    value: str
    expires_at: datetime
    created_at: datetime
