"""genie_repo: durable persistence for Python agent runtimes.

Hand-written SQL on SQLite (apsw, the embedded default) or PostgreSQL (psycopg 3), one protocol.
"""

from genie_repo.config import Config, PoolOptions
from genie_repo.db import Database, open_database
from genie_repo.errors import (
    Conflict,
    GenieRepoError,
    InvalidInput,
    MigrationError,
    NotFound,
    QueryRegistryError,
    TransientError,
)
from genie_repo.migrate import migrate, migration_status, rollback_migrations
from genie_repo.models.approvals import (
    Approval,
    ApprovalStatus,
    Clarification,
    ClarifyStatus,
)
from genie_repo.stores.approvals import ApprovalStore
from genie_repo.stores.clarifications import ClarificationStore
from genie_repo.stores.stats import StatsStore

__all__ = [
    "Approval",
    "ApprovalStatus",
    "ApprovalStore",
    "Clarification",
    "ClarificationStore",
    "ClarifyStatus",
    "Config",
    "Conflict",
    "Database",
    "GenieRepoError",
    "InvalidInput",
    "MigrationError",
    "NotFound",
    "PoolOptions",
    "QueryRegistryError",
    "StatsStore",
    "TransientError",
    "migrate",
    "migration_status",
    "open_database",
    "rollback_migrations",
]
