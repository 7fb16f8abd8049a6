"""`GenieMemoryService`: a Google ADK `BaseMemoryService` on genie_repo's memory store.

Every remembered event (or directly written memory) with text is one ADK memory entry: its
text is a memory of the owner in the memory store's ranked full-text index, and the entry keeps
the event's own Content, author, timestamp (ISO 8601, UTC) and custom metadata, returned as
given. Entries of a session are keyed by event id, so adding a session again (as ADK does after
every turn) stores only its new events, in one transaction. `search_memory` is the memory
store's ranked search (whole words, case-insensitive, best first) plus one read of the entries
behind the hits: never N+1.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from google.adk.events.event import Event
from google.adk.memory.base_memory_service import BaseMemoryService, SearchMemoryResponse
from google.adk.memory.memory_entry import MemoryEntry
from google.adk.sessions.session import Session
from google.genai import types

from genie_repo.db.protocol import Database
from genie_repo.errors import InvalidInput
from genie_repo.models.memories import MemoryKey
from genie_repo.models.sessions import UserKey
from genie_repo.stores.base import Clock, Store
from genie_repo.stores.limits import check_limit
from genie_repo.stores.memories import MemoryStore
from genie_repo.timestamps import utc_now


@dataclass(frozen=True)
class EntryDraft:
    """One ADK memory entry about to be stored; `text` is what search matches."""

    entry_id: str
    text: str
    content: str  # google.genai Content JSON
    author: str | None
    timestamp: str | None
    custom_metadata: str  # JSON object


class AdkMemoryBackend(Store):
    """The synchronous side: memories plus the ADK entries behind them, one transaction each."""

    QUERIES = (
        "adk_memories.list_session_entry_ids",
        "adk_memories.insert_entry",
        "adk_memories.list_memory_entries",
        "adk_memories.find_entry_memory",
        "adk_memories.delete_entry",
        "adk_memories.count_memory_entries",
    )

    def __init__(self, db: Database, *, clock: Clock = utc_now) -> None:
        super().__init__(db, clock=clock)
        self.memories = MemoryStore(db, clock=clock)

    def add_entries(self, owner: UserKey, session_id: str, drafts: Sequence[EntryDraft]) -> int:
        """Store the drafts whose entry id is new (idempotent by id); returns how many."""
        params = {"app_name": owner.app_name, "user_id": owner.user_id, "session_id": session_id}
        with self.db.transaction():
            known = {row["entry_id"] for row in self.db.fetch_all(
                "adk_memories.list_session_entry_ids", params)} if session_id else set()
            rows = []
            for draft in drafts:
                if draft.entry_id in known:
                    continue
                known.add(draft.entry_id)
                memory = self.memories.add_memory(owner, draft.text)
                rows.append({
                    **params, "entry_id": draft.entry_id, "memory_id": memory.id,
                    "author": draft.author, "timestamp": draft.timestamp,
                    "content": draft.content, "custom_metadata": draft.custom_metadata,
                    "now": self.now(),
                })
            if rows:
                self.db.execute_many("adk_memories.insert_entry", rows)
        return len(rows)

    def search(self, owner: UserKey, query: str, limit: int) -> list[MemoryEntry]:
        """The entries behind the best `limit` memories matching `query`, best memory first
        (entries of one memory oldest first), at most `limit` entries."""
        with self.db.transaction(readonly=True):
            hits = self.memories.search_memories(owner, query, check_limit(limit))
            rows = self.db.fetch_all("adk_memories.list_memory_entries", {
                "memory_ids": json.dumps([hit.id for hit in hits]),
            }) if hits else []
        by_memory: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_memory.setdefault(row["memory_id"], []).append(row)
        entries = [
            MemoryEntry(
                id=row["entry_id"],
                content=types.Content.model_validate_json(row["content"]),
                author=row["author"],
                timestamp=row["timestamp"],
                custom_metadata=json.loads(row["custom_metadata"]),
            )
            for hit in hits for row in by_memory.get(hit.id, [])
        ]
        return entries[:limit]

    def delete(self, owner: UserKey, entry_id: str | None) -> None:
        """Delete one entry (and its memory when no other entry shares it), or with None every
        memory of the owner. One transaction; a missing entry is fine."""
        if entry_id is None:
            self.memories.clear_memories(owner)  # entries go with their memories
            return
        params = {"app_name": owner.app_name, "user_id": owner.user_id, "entry_id": entry_id}
        with self.db.transaction():
            memory_id = self.db.fetch_value("adk_memories.find_entry_memory", params)
            if memory_id is None:
                return
            self.db.execute("adk_memories.delete_entry", params)
            if not self.db.fetch_value("adk_memories.count_memory_entries",
                                       {"memory_id": memory_id}):
                self.memories.delete_memory(
                    MemoryKey(owner.app_name, owner.user_id, str(memory_id)))


class GenieMemoryService(BaseMemoryService):
    """ADK memory service over a genie_repo `Database` (SQLite or PostgreSQL). Pass it to
    `Runner(memory_service=...)`. `max_results` bounds the entries one search returns. The
    database stays the caller's to close."""

    def __init__(self, db: Database, *, max_results: int = 100) -> None:
        self._runner = db.async_runner()  # the async path every genie_repo store takes
        self._backend = AdkMemoryBackend(self._runner.database)
        self._max_results = check_limit(max_results)

    async def add_session_to_memory(self, session: Session) -> None:
        """Remember the session's events with text; calling it again stores only new events."""
        await self._add(session.app_name, session.user_id, session.id, session.events, None)

    async def add_events_to_memory(
        self,
        *,
        app_name: str,
        user_id: str,
        events: Sequence[Event],
        session_id: str | None = None,
        custom_metadata: Mapping[str, object] | None = None,
    ) -> None:
        """Remember these events (a delta, not a whole session); idempotent per event and
        session. `custom_metadata` is kept on each entry."""
        await self._add(app_name, user_id, session_id or "", events, custom_metadata)

    async def add_memory(
        self,
        *,
        app_name: str,
        user_id: str,
        memories: Sequence[MemoryEntry],
        custom_metadata: Mapping[str, object] | None = None,
    ) -> None:
        """Store memory entries as given (an entry without an id gets a uuid4; one with a
        stored id is left as it was). `custom_metadata` is merged over each entry's own."""
        drafts = []
        for memory in memories:
            text = content_text(memory.content)
            if not text.strip():
                raise InvalidInput("a memory entry needs text in its content")
            drafts.append(EntryDraft(
                entry_id=memory.id or str(uuid.uuid4()), text=text,
                content=memory.content.model_dump_json(exclude_none=True),
                author=memory.author, timestamp=memory.timestamp,
                custom_metadata=_metadata({**memory.custom_metadata, **(custom_metadata or {})}),
            ))
        await self._runner.run(self._backend.add_entries, UserKey(app_name, user_id), "", drafts)

    async def search_memory(
        self, *, app_name: str, user_id: str, query: str
    ) -> SearchMemoryResponse:
        """The user's entries matching any word of `query`, best first."""
        entries = await self._runner.run(
            self._backend.search, UserKey(app_name, user_id), query, self._max_results)
        return SearchMemoryResponse(memories=entries)

    async def delete_memory(
        self, *, app_name: str, user_id: str, memory_id: str | None = None
    ) -> None:
        """Delete the entry with this id (`MemoryEntry.id` from a search), or every memory of
        the user when `memory_id` is None."""
        await self._runner.run(self._backend.delete, UserKey(app_name, user_id), memory_id)

    async def close(self) -> None:
        """Nothing of its own to release: the database, and its async path, stay the
        caller's to close."""

    async def _add(
        self,
        app_name: str,
        user_id: str,
        session_id: str,
        events: Sequence[Event],
        custom_metadata: Mapping[str, object] | None,
    ) -> None:
        metadata = _metadata(custom_metadata or {})
        drafts = [
            EntryDraft(
                entry_id=f"{session_id}/{event.id}" if session_id else event.id,
                text=text, content=event.content.model_dump_json(exclude_none=True),
                author=event.author, custom_metadata=metadata,
                timestamp=datetime.fromtimestamp(event.timestamp, UTC).isoformat(),
            )
            for event in events
            if event.content is not None and (text := content_text(event.content)).strip()
        ]
        if drafts:
            await self._runner.run(
                self._backend.add_entries, UserKey(app_name, user_id), session_id, drafts)


def content_text(content: types.Content) -> str:
    """The words a memory keeps of a Content: its text parts joined by spaces."""
    return " ".join(part.text for part in content.parts or () if part.text)


def _metadata(metadata: Mapping[str, object]) -> str:
    try:
        return json.dumps(dict(metadata), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"custom_metadata cannot be stored as JSON: {exc}") from None
