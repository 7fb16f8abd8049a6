"""What every command needs: the configured database, opened only when migrated."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from genie_repo.config import Config
from genie_repo.db import Database, open_database
from genie_repo.errors import GenieRepoError
from genie_repo.migrate import migration_status


class Unmigrated(GenieRepoError):
    """The database lacks migrations this version needs."""


@contextmanager
def migrated_database(config: Config) -> Iterator[Database]:
    """Open the database, refusing one that lacks migrations (clear error, exit code 5)."""
    pending = [s.id for s in migration_status(config) if not s.applied]
    if pending:
        raise Unmigrated(
            f"{config.display_path()} is not migrated ({len(pending)} pending, first "
            f"{pending[0]}); run `genie-repo migrate`"
        )
    db = open_database(config)
    try:
        yield db
    finally:
        db.close()


def dump(model: Any) -> dict[str, Any]:
    """A model as a JSON-friendly dict (enums as values, datetimes as ISO text)."""
    return dict(model.model_dump(mode="json"))
