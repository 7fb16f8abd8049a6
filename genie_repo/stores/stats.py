"""What an operator asks of a database: how many rows, how many bytes."""

from __future__ import annotations

from genie_repo.stores.base import Store


class StatsStore(Store):
    """Read-only counts and sizes for `genie-repo status`."""

    QUERIES = ("stats.table_counts", "stats.size_bytes")
    IDEMPOTENT_METHODS = frozenset({"table_counts", "size_bytes"})

    def table_counts(self) -> dict[str, int]:
        """Rows per table, in schema order."""
        rows = self.db.fetch_all("stats.table_counts")
        return {str(row["table_name"]): int(row["row_count"]) for row in rows}

    def size_bytes(self) -> int:
        return int(self.db.fetch_value("stats.size_bytes") or 0)
