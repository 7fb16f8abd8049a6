"""`GenieMemoryService`: a trpc-agent-py `BaseMemoryService` on genie_repo's memory store.

Every session event with text becomes a memory of its owner (the text, in the memory store's
ranked full-text index) plus a record of the event (its Content, author and own timestamp).
`store_session` writes only events it has not recorded before, in one transaction, so calling
it after every turn (as the Runner does) costs one read plus the new events. `search_memory`
is the memory store's ranked search (whole words, case-insensitive, OR, best first) followed
by one read of the events behind the hits: never N+1, and a search writes nothing, so each
entry's timestamp stays the event's own (ISO 8601, UTC).

Differences from the SDK's in-memory service, on purpose: results are ranked instead of in
insertion order; events compacted out of a session keep their memories (storage is upsert
only, like the SDK's SQL service); memories do not expire (`MemoryServiceConfig.ttl` is not
applied: the SDK refreshes it on every read, which is what destroys its timestamps).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from google.genai import types
from trpc_agent_sdk.abc import MemoryEntry as SdkMemoryEntry
from trpc_agent_sdk.abc import MemoryServiceConfig, SearchMemoryResponse
from trpc_agent_sdk.context import AgentContext
from trpc_agent_sdk.events import Event as SdkEvent
from trpc_agent_sdk.memory import BaseMemoryService
from trpc_agent_sdk.sessions import Session

from genie_repo.db.protocol import Database
from genie_repo.errors import InvalidInput
from genie_repo.models.sessions import UserKey
from genie_repo.stores.base import Clock, Store
from genie_repo.stores.limits import MAX_LIMIT
from genie_repo.stores.memories import MemoryStore
from genie_repo.timestamps import utc_now


class TrpcMemoryBackend(Store):
    """The synchronous side: memories plus the events they came from, one transaction each."""

    QUERIES = (
        "trpc_sessions.memory_event_ids",
        "trpc_sessions.insert_memory_event",
        "trpc_sessions.memory_events",
    )

    def __init__(self, db: Database, *, clock: Clock = utc_now) -> None:
        super().__init__(db, clock=clock)
        self.memories = MemoryStore(db, clock=clock)

    def remember(self, owner: UserKey, session_id: str, events: list[SdkEvent]) -> int:
        """Add a memory for each event with text not recorded yet; returns how many."""
        params = {"app_name": owner.app_name, "user_id": owner.user_id, "session_id": session_id}
        with self.db.transaction():
            known = {row["event_id"]
                     for row in self.db.fetch_all("trpc_sessions.memory_event_ids", params)}
            rows = []
            for event in events:
                text = event_text(event)
                if event.id in known or not text.strip() or event.content is None:
                    continue
                known.add(event.id)
                memory = self.memories.add_memory(owner, text)
                rows.append({
                    **params, "event_id": event.id, "memory_id": memory.id,
                    "author": event.author or "",
                    "timestamp": datetime.fromtimestamp(event.timestamp, UTC),
                    "content": event.content.model_dump_json(),
                })
            if rows:
                self.db.execute_many("trpc_sessions.insert_memory_event", rows)
        return len(rows)

    def search(self, owner: UserKey, query: str, limit: int) -> list[SdkMemoryEntry]:
        """The events behind the best `limit` memories matching `query`, best memory first
        (events of one memory oldest first), at most `limit` entries."""
        with self.db.transaction(readonly=True):
            hits = self.memories.search_memories(owner, query, limit)
            rows = self.db.fetch_all("trpc_sessions.memory_events", {
                "memory_ids": json.dumps([hit.id for hit in hits]),
            }) if hits else []
        by_memory: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_memory.setdefault(row["memory_id"], []).append(row)
        entries = [
            SdkMemoryEntry(
                content=types.Content.model_validate_json(row["content"]),
                author=row["author"] or None,
                timestamp=row["timestamp"].astimezone(UTC).isoformat(),
            )
            for hit in hits for row in by_memory.get(hit.id, [])
        ]
        return entries[:limit]


def event_text(event: SdkEvent) -> str:
    """The words a memory keeps of an event: its text parts joined by spaces (the SDK's rule)."""
    if event.content is None or not event.content.parts:
        return ""
    return " ".join(part.text for part in event.content.parts if part.text)


def owner_of(key: str) -> UserKey:
    """The memory owner of an SDK memory key `"{app_name}/{user_id}"` (`Session.save_key`),
    split at the first "/"; InvalidInput when it has no "/"."""
    app_name, slash, user_id = key.partition("/")
    if not slash:
        raise InvalidInput(f"memory key must be 'app_name/user_id', got {key!r}")
    return UserKey(app_name, user_id)


class GenieMemoryService(BaseMemoryService):
    """trpc-agent-py memory service over a genie_repo `Database` (SQLite or PostgreSQL).
    Pass it to `Runner(memory_service=...)` with `enabled=True` (the Runner, and this service,
    do nothing while it is disabled). The database stays the caller's to close."""

    def __init__(
        self,
        db: Database,
        *,
        memory_service_config: MemoryServiceConfig | None = None,
        enabled: bool = False,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(memory_service_config=memory_service_config, enabled=enabled)
        self._runner = db.async_runner()  # natively async on PostgreSQL, a worker on SQLite
        self._backend = TrpcMemoryBackend(self._runner.database, clock=clock)

    async def store_session(
        self, session: Session, agent_context: AgentContext | None = None
    ) -> None:
        """Remember the session's events with text (idempotent per event); a no-op while the
        service is disabled."""
        if not self.enabled:
            return
        await self._runner.run(self._backend.remember, owner_of(session.save_key), session.id,
                               list(session.events))

    async def search_memory(
        self,
        key: str,
        query: str,
        limit: int = 10,
        agent_context: AgentContext | None = None,
    ) -> SearchMemoryResponse:
        """Up to `limit` remembered events of `key` ("app_name/user_id") matching any word of
        `query`, best first, each with its event's content, author and own timestamp.
        `limit` <= 0 means no limit, as in the SDK (capped at MAX_LIMIT memories)."""
        limit = limit if 0 < limit < MAX_LIMIT else MAX_LIMIT
        entries = await self._runner.run(self._backend.search, owner_of(key), query, limit)
        return SearchMemoryResponse(memories=entries)

    async def close(self) -> None:
        """Stop the memory store's workers; the database stays open."""
        await self._runner.run(self._backend.memories.close)


__all__ = ["GenieMemoryService"]
