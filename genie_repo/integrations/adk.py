"""Google ADK (google-adk 2.13.x) on genie_repo: `GenieSessionService` and
`GenieMemoryService`, installed with the `adk` extra. See `adk_sessions` and `adk_memory`."""

from genie_repo.integrations.adk_memory import GenieMemoryService
from genie_repo.integrations.adk_sessions import GenieSessionService

__all__ = ["GenieMemoryService", "GenieSessionService"]
