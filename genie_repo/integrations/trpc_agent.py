"""trpc-agent-py (`trpc_agent_sdk`, 1.2.x) services over genie_repo (extra `trpc`).

`GenieSessionService` is a `BaseSessionService` and `GenieMemoryService` a `BaseMemoryService`;
pass them to `Runner(session_service=..., memory_service=...)`. Both are built from an open
`Database` (SQLite or PostgreSQL) that stays the caller's to close. See the two modules for
the exact semantics and how they differ from the SDK's own SQL services.
"""

from __future__ import annotations

from genie_repo.integrations.trpc_agent_memory import GenieMemoryService
from genie_repo.integrations.trpc_agent_sessions import GenieSessionService

__all__ = ["GenieMemoryService", "GenieSessionService"]
