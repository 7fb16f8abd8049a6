"""Short memories: restart-safe values with a time to live, shared by subsystems and processes.

Entries live under (memory_type, key); each type is its own namespace. An entry whose expiry has
passed is invisible to every read and counts as absent for `set_if_absent`. Reads never delete:
an expired row stays until `cleanup()` (so reads stay cheap and read-only); run it periodically.
"""

from __future__ import annotations

from datetime import timedelta

from genie_repo.errors import InvalidInput
from genie_repo.models.base import require_id
from genie_repo.models.short_memory import ShortMemory
from genie_repo.stores.base import Store


class ShortMemoryStore(Store):
    """A TTL key/value store on the database. Every method is one statement (atomic)."""

    QUERIES = (
        "short_memory.upsert",
        "short_memory.insert_if_absent",
        "short_memory.find_value",
        "short_memory.find_live",
        "short_memory.delete",
        "short_memory.count_live",
        "short_memory.delete_expired",
    )
    # set_if_absent is not here: a retry after a lost reply would answer False.
    IDEMPOTENT_METHODS = frozenset({"set", "get", "get_entry", "delete", "count", "cleanup"})

    def set(self, memory_type: str, key: str, value: str, ttl: timedelta) -> None:
        """Store `value` for `ttl` from now, replacing any value (upsert). created_at is kept
        while the previous entry is live. ttl must be positive (InvalidInput)."""
        self.db.execute("short_memory.upsert", self._entry(memory_type, key, value, ttl))

    def set_if_absent(self, memory_type: str, key: str, value: str, ttl: timedelta) -> bool:
        """Store `value` only if no live entry exists (an expired one is replaced). True when this
        call stored it. Atomic: of any number of concurrent callers, threads or processes, on one
        key exactly one gets True while its entry lives. Use it for de-duplication."""
        params = self._entry(memory_type, key, value, ttl)
        return self.db.fetch_one("short_memory.insert_if_absent", params) is not None

    def get(self, memory_type: str, key: str) -> str | None:
        """The live value, or None when missing or expired."""
        value = self.db.fetch_value("short_memory.find_value",
                                    {**_where(memory_type, key), "now": self.now()})
        return None if value is None else str(value)

    def get_entry(self, memory_type: str, key: str) -> ShortMemory | None:
        """The live entry with its expiry and creation time, or None when missing or expired."""
        row = self.db.fetch_one("short_memory.find_live", {**_where(memory_type, key),
                                                            "now": self.now()})
        return None if row is None else ShortMemory.model_validate(row)

    def delete(self, memory_type: str, key: str) -> None:
        """Remove the entry, live or expired. Idempotent."""
        self.db.execute("short_memory.delete", _where(memory_type, key))

    def count(self, memory_type: str) -> int:
        """Live entries of this type."""
        return int(self.db.fetch_value(
            "short_memory.count_live",
            {"memory_type": require_id(memory_type, "memory_type"), "now": self.now()},
        ))

    def cleanup(self) -> int:
        """Delete every expired entry of every type; returns how many were deleted."""
        return self.db.execute("short_memory.delete_expired", {"now": self.now()})

    def _entry(self, memory_type: str, key: str, value: str, ttl: timedelta) -> dict[str, object]:
        where = _where(memory_type, key)
        if not isinstance(value, str):
            raise InvalidInput(f"value must be a string (encode it first), got "
                               f"{type(value).__name__}")
        if not isinstance(ttl, timedelta) or ttl <= timedelta(0):
            raise InvalidInput(f"ttl must be a positive timedelta, got {ttl!r}")
        now = self.now()
        try:
            expires_at = now + ttl
        except OverflowError:
            raise InvalidInput(f"ttl {ttl!r} is too long") from None
        return {**where, "value": value, "expires_at": expires_at, "now": now}


def _where(memory_type: str, key: str) -> dict[str, object]:
    return {"memory_type": require_id(memory_type, "memory_type"), "key": require_id(key, "key")}
