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
from genie_repo.models.checkpoints import (
    CheckpointRef,
    CheckpointTuple,
    Payload,
    PendingWrite,
    StoredCheckpoint,
    Write,
)
from genie_repo.models.cron import CronClaim, CronHistory, CronSource, CronStatus, CronTask
from genie_repo.models.memories import Memory, MemoryEntry, MemoryKey
from genie_repo.models.sessions import (
    Event,
    Session,
    SessionInfo,
    SessionKey,
    SessionPage,
    Summary,
    UserKey,
)
from genie_repo.models.short_memory import ShortMemory
from genie_repo.retry import with_retry
from genie_repo.stores.approvals import ApprovalStore
from genie_repo.stores.checkpoints import CheckpointStore
from genie_repo.stores.clarifications import ClarificationStore
from genie_repo.stores.cron import CronStore, cron_task_id
from genie_repo.stores.items import ItemStore
from genie_repo.stores.memories import MemoryStore
from genie_repo.stores.sessions import SessionStore
from genie_repo.stores.short_memory import ShortMemoryStore
from genie_repo.stores.stats import StatsStore

__all__ = [
    "Approval",
    "ApprovalStatus",
    "ApprovalStore",
    "CheckpointRef",
    "CheckpointStore",
    "CheckpointTuple",
    "Clarification",
    "ClarificationStore",
    "ClarifyStatus",
    "Config",
    "Conflict",
    "CronClaim",
    "CronHistory",
    "CronSource",
    "CronStatus",
    "CronStore",
    "CronTask",
    "Database",
    "Event",
    "GenieRepoError",
    "InvalidInput",
    "ItemStore",
    "Memory",
    "MemoryEntry",
    "MemoryKey",
    "MemoryStore",
    "MigrationError",
    "NotFound",
    "Payload",
    "PendingWrite",
    "PoolOptions",
    "QueryRegistryError",
    "Session",
    "SessionInfo",
    "SessionKey",
    "SessionPage",
    "SessionStore",
    "ShortMemory",
    "ShortMemoryStore",
    "StatsStore",
    "StoredCheckpoint",
    "Summary",
    "TransientError",
    "UserKey",
    "Write",
    "cron_task_id",
    "migrate",
    "migration_status",
    "open_database",
    "rollback_migrations",
    "with_retry",
]
