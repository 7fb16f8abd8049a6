"""GenieMemoryService: ADK's BaseMemoryService contract on the memory store, both dialects."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from google.adk.events.event import Event
from google.adk.memory.memory_entry import MemoryEntry
from google.adk.sessions.session import Session
from google.genai import types

from genie_repo.db.protocol import Database
from genie_repo.errors import InvalidInput
from genie_repo.integrations.adk import GenieMemoryService

APP = "mem_app"


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


@pytest.fixture
def memory(db: Database) -> Iterator[GenieMemoryService]:
    service = GenieMemoryService(db)
    yield service
    run(service.close())


def said(text: str, author: str = "user", timestamp: float = 1_800_000_000.5) -> Event:
    return Event(author=author, timestamp=timestamp,
                 content=types.Content(role="user", parts=[types.Part(text=text)]))


def session(sid: str, *events: Event, user: str = "alice") -> Session:
    return Session(id=sid, app_name=APP, user_id=user, events=list(events))


async def texts(memory: GenieMemoryService, query: str, user: str = "alice") -> list[str]:
    found = await memory.search_memory(app_name=APP, user_id=user, query=query)
    return [m.content.parts[0].text or "" for m in found.memories if m.content.parts]


def test_sessions_are_remembered_once_and_searched(memory: GenieMemoryService) -> None:
    async def scenario() -> None:
        first = said("My invoice is wrong", timestamp=1_800_000_000.25)
        s = session("s1", first, Event(author="model"), said("   "))
        await memory.add_session_to_memory(s)
        s.events.append(said("The invoice total is 40 euros", "model"))
        await memory.add_session_to_memory(s)  # ADK adds the whole session after every turn
        await memory.add_session_to_memory(s)
        found = await memory.search_memory(app_name=APP, user_id="alice", query="INVOICE")
        assert sorted(m.content.parts[0].text for m in found.memories) == [
            "My invoice is wrong", "The invoice total is 40 euros"]
        entry = next(m for m in found.memories if m.author == "user")
        assert entry.timestamp == "2027-01-15T08:00:00.250000+00:00"
        assert entry.content == first.content and entry.id
        assert await texts(memory, "euros") == ["The invoice total is 40 euros"]
        assert await texts(memory, "invoice", user="bob") == []
        assert await texts(memory, "nothing matches") == []

    run(scenario())


def test_event_deltas_and_direct_writes(memory: GenieMemoryService) -> None:
    async def scenario() -> None:
        await memory.add_events_to_memory(app_name=APP, user_id="alice",
                                          events=[said("likes green tea")], session_id="s9",
                                          custom_metadata={"ttl": 30})
        await memory.add_memory(app_name=APP, user_id="alice", memories=[
            MemoryEntry(id="m1", author="system", timestamp="2026-01-01",
                        content=types.Content(parts=[types.Part(text="allergic to tea")]),
                        custom_metadata={"source": "form"}),
        ], custom_metadata={"ttl": 7})
        found = (await memory.search_memory(app_name=APP, user_id="alice", query="tea")).memories
        by_author = {m.author: m for m in found}
        assert by_author["user"].custom_metadata == {"ttl": 30}
        assert by_author["system"].id == "m1"
        assert by_author["system"].timestamp == "2026-01-01"
        assert by_author["system"].custom_metadata == {"source": "form", "ttl": 7}
        with pytest.raises(InvalidInput):
            await memory.add_memory(app_name=APP, user_id="alice", memories=[
                MemoryEntry(content=types.Content(parts=[]))])

    run(scenario())


def test_delete_one_memory_or_all(memory: GenieMemoryService) -> None:
    async def scenario() -> None:
        await memory.add_session_to_memory(session("s1", said("blue car"), said("red car")))
        await memory.add_session_to_memory(session("s2", said("blue car")))
        await memory.add_session_to_memory(session("s3", said("blue car"), user="bob"))
        found = (await memory.search_memory(app_name=APP, user_id="alice", query="red")).memories
        await memory.delete_memory(app_name=APP, user_id="alice", memory_id=found[0].id)
        assert await texts(memory, "car") == ["blue car", "blue car"]
        one = (await memory.search_memory(app_name=APP, user_id="alice", query="blue")).memories
        await memory.delete_memory(app_name=APP, user_id="alice", memory_id=one[0].id)
        assert await texts(memory, "car") == ["blue car"]  # the other entry keeps the text
        await memory.delete_memory(app_name=APP, user_id="alice", memory_id="no-such-id")
        await memory.delete_memory(app_name=APP, user_id="alice")
        assert await texts(memory, "car") == []
        assert await texts(memory, "car", user="bob") == ["blue car"]

    run(scenario())
