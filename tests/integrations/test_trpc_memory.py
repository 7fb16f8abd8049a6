"""GenieMemoryService: idempotent storing, ranked search with the events' own timestamps, and
the same hits (as sets) as the SDK's InMemoryMemoryService on the same sessions."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from google.genai import types
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trpc_agent_sdk.abc import SearchMemoryResponse
from trpc_agent_sdk.events import Event
from trpc_agent_sdk.memory import InMemoryMemoryService
from trpc_agent_sdk.sessions import Session

from genie_repo.db.protocol import Database
from genie_repo.errors import InvalidInput
from genie_repo.integrations.trpc_agent import GenieMemoryService
from genie_repo.models.sessions import UserKey
from genie_repo.stores.memories import MemoryStore

APP = "app"
T0 = 1_700_000_000.0


def session_of(user_id: str, session_id: str, messages: list[tuple[str, str]]) -> Session:
    events = [
        Event(id=f"{session_id}-{n}", author=author, timestamp=T0 + n * 60,
              content=types.Content(role="user" if author == "user" else "model",
                                    parts=[types.Part(text=text)]))
        for n, (author, text) in enumerate(messages)
    ]
    return Session(id=session_id, app_name=APP, user_id=user_id, save_key=f"{APP}/{user_id}",
                   events=events)


def hits(response: SearchMemoryResponse) -> set[tuple[str, str | None, float]]:
    """(text, author, epoch seconds) of every entry: the SDK formats local time without a zone,
    we format UTC with one; both name the same instant."""
    return {
        ("".join(p.text or "" for p in m.content.parts), m.author,
         datetime.fromisoformat(m.timestamp).timestamp())
        for m in response.memories
    }


def test_store_session_is_idempotent_per_event_and_respects_enabled(db: Database) -> None:
    async def scenario() -> None:
        disabled = GenieMemoryService(db)
        session = session_of("u", "s", [("user", "I like green tea"), ("bot", "Noted: tea")])
        await disabled.store_session(session)
        assert MemoryStore(db).read_memories(UserKey(APP, "u")) == []
        service = GenieMemoryService(db, enabled=True)
        await service.store_session(session)
        first = MemoryStore(db).read_memories(UserKey(APP, "u"))
        await service.store_session(session)
        again = MemoryStore(db).read_memories(UserKey(APP, "u"))
        assert len(first) == 2 and again == first  # nothing rewritten, not even updated_at
        session.events.append(session_of("u", "s", [("user", "x")] * 3 + [
            ("user", "and black coffee")]).events[3])
        await service.store_session(session)
        assert len(MemoryStore(db).read_memories(UserKey(APP, "u"))) == 3
        await disabled.close()
        await service.close()

    asyncio.run(scenario())


def test_search_is_ranked_limited_and_keeps_the_events_time(db: Database) -> None:
    async def scenario() -> None:
        service = GenieMemoryService(db, enabled=True)
        await service.store_session(session_of("u", "s", [
            ("user", "apple pie"),
            ("bot", "apple banana"),
            ("user", "nothing here"),
            ("user", "banana split"),
        ]))
        await service.store_session(session_of("v", "s2", [("user", "apple for someone else")]))
        found = await service.search_memory(f"{APP}/u", "APPLE banana", limit=10)
        texts = ["".join(p.text or "" for p in m.content.parts) for m in found.memories]
        assert texts[0] == "apple banana"  # both words beat one
        assert set(texts) == {"apple pie", "apple banana", "banana split"}
        assert found.memories[0].author == "bot"
        assert found.memories[0].timestamp == "2023-11-14T22:14:20+00:00"  # T0 + 60 s, UTC
        again = await service.search_memory(f"{APP}/u", "apple banana", limit=10)
        assert [m.timestamp for m in again.memories] == [m.timestamp for m in found.memories]
        assert len((await service.search_memory(f"{APP}/u", "apple", limit=1)).memories) == 1
        assert (await service.search_memory(f"{APP}/u", "* ( ) - :", limit=5)).memories == []
        assert (await service.search_memory(f"{APP}/nobody", "apple")).memories == []
        try:
            await service.search_memory("no-slash", "apple")
        except InvalidInput:
            pass
        else:
            raise AssertionError("a key without '/' must be InvalidInput")
        await service.close()

    asyncio.run(scenario())


def test_identical_texts_of_different_events_are_all_found(db: Database) -> None:
    async def scenario() -> None:
        service = GenieMemoryService(db, enabled=True)
        await service.store_session(session_of("u", "a", [("user", "yes please")]))
        await service.store_session(session_of("u", "b", [("bot", "x"), ("user", "yes please")]))
        found = await service.search_memory(f"{APP}/u", "yes")
        assert hits(found) == {("yes please", "user", T0), ("yes please", "user", T0 + 60)}
        await service.close()

    asyncio.run(scenario())


def test_words_inside_unspaced_text_are_found(db: Database) -> None:
    """Chinese is written without spaces: a word inside a sentence is found, as the SDK's own
    memory services find it."""
    async def scenario() -> None:
        service = GenieMemoryService(db, enabled=True)
        await service.store_session(session_of("u", "s", [
            ("user", "我喜欢安静的工作环境"), ("bot", "好的"), ("user", "我搬到上海了"),
        ]))
        quiet = await service.search_memory(f"{APP}/u", "安静")
        assert hits(quiet) == {("我喜欢安静的工作环境", "user", T0)}
        moved = await service.search_memory(f"{APP}/u", "上海")
        assert hits(moved) == {("我搬到上海了", "user", T0 + 120)}
        assert (await service.search_memory(f"{APP}/u", "北京")).memories == []
        await service.close()

    asyncio.run(scenario())


WORDS = ["apple", "Banana", "cherry", "date", "elder", "fig"]
text = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join)
sessions = st.lists(
    st.tuples(st.sampled_from(["u1", "u2"]), st.sampled_from(["s1", "s2", "s3"]),
              st.lists(st.tuples(st.sampled_from(["user", "bot"]), text), max_size=5)),
    max_size=6,
)
queries = st.lists(st.tuples(st.sampled_from(["u1", "u2"]),
                             st.lists(st.sampled_from([*WORDS, "zebra"]), min_size=1,
                                      max_size=3).map(" ".join)), min_size=1, max_size=4)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=25,
          deadline=None)
@given(stored=sessions, searches=queries)
def test_same_hits_as_in_memory_service(
    dialect: str, make_db: Callable[[str], Database],
    stored: list[tuple[str, str, list[tuple[str, str]]]], searches: list[tuple[str, str]],
) -> None:
    db = make_db(dialect)

    async def scenario() -> None:
        ours = GenieMemoryService(db, enabled=True)
        ref = InMemoryMemoryService(enabled=True)
        grown: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for user_id, session_id, messages in stored:
            history = grown.setdefault((user_id, session_id), [])
            history.extend(messages)  # sessions only grow, as under a Runner
            for service in (ours, ref):
                await service.store_session(session_of(user_id, session_id, list(history)))
        for user_id, query in searches:
            results: list[Any] = [await s.search_memory(f"{APP}/{user_id}", query, limit=1000)
                                  for s in (ours, ref)]
            assert hits(results[0]) == hits(results[1])
        await ours.close()
        await ref.close()

    try:
        asyncio.run(scenario())
    finally:
        db.close()
