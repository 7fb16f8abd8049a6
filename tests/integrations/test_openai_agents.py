"""GenieSession against the OpenAI Agents SDK's Session contract, on both dialects: what the
SDK's session tests check for SQLiteSession (history, limits, pop, clear, settings, isolation
of sessions), exact round trips of every item shape, and the items as genie_repo events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from agents import SQLiteSession, TResponseInputItem
from agents.memory import Session, SessionSettings

from genie_repo.aio import AsyncSessionStore
from genie_repo.db import Database
from genie_repo.errors import GenieRepoError, InvalidInput
from genie_repo.integrations.openai_agents import GenieSession
from genie_repo.models.sessions import SessionKey
from genie_repo.stores.sessions import SessionStore

R = TypeVar("R")


@pytest.fixture(autouse=True)
def loop(db: Database) -> Iterator[asyncio.AbstractEventLoop]:
    """One event loop per test, as an application has; its async resources closed after."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    loop.run_until_complete(db.async_runner().aclose())
    asyncio.set_event_loop(None)
    loop.close()


def run(awaitable: Awaitable[R]) -> R:
    async def wait() -> R:
        return await awaitable

    return asyncio.get_event_loop().run_until_complete(wait())


@pytest.fixture
def session(db: Database) -> Iterator[GenieSession]:
    s = GenieSession("conversation", db)
    yield s
    s.close()


def messages(*texts: str) -> list[TResponseInputItem]:
    roles = ("user", "assistant")
    return [{"role": roles[i % 2], "content": text}  # type: ignore[misc]
            for i, text in enumerate(texts)]


def contents(items: list[TResponseInputItem]) -> list[Any]:
    return [item.get("content") for item in items]


# Every input-item shape the Runner stores: easy and typed messages, tool calls and their
# outputs, reasoning with encrypted content, plus values JSON must carry exactly.
ITEM_SHAPES: list[Any] = [
    {"role": "user", "content": "What is the weather in Paris?"},
    {"role": "system", "content": "Be brief."},
    {"role": "developer", "content": [{"type": "input_text", "text": "use metric units"}]},
    {"type": "message", "role": "user", "content": [
        {"type": "input_text", "text": "look at this"},
        {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo=",
         "detail": "auto"}]},
    {"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
     "content": [{"type": "output_text", "text": "Sunny, 21 °C", "annotations": [],
                  "logprobs": []}]},
    {"id": "rs_1", "type": "reasoning", "summary": [
        {"type": "summary_text", "text": "The user wants weather; call the tool."}],
     "encrypted_content": "gAAAAABo" + "x" * 300, "status": None},
    {"id": "fc_1", "type": "function_call", "call_id": "call_1", "name": "get_weather",
     "arguments": '{"city":"Paris","units":"metric"}', "status": "completed"},
    {"type": "function_call_output", "call_id": "call_1",
     "output": '{"temp": 21, "sky": "sunny"}'},
    {"type": "function_call_output", "call_id": "call_2",
     "output": [{"type": "input_text", "text": "done"}]},
    {"id": "ws_1", "type": "web_search_call", "status": "completed",
     "action": {"type": "search", "query": "paris weather"}},
    {"type": "item_reference", "id": "msg_0"},
    {"role": "user", "content": "こんにちは 😊 Привет \u2028 \x00 \ud800 tab\there \"quoted\""},
    {"role": "assistant", "content": "O'Reilly; DROP TABLE sessions;--"},
    {"type": "custom", "n": 12345678901234567890, "f": 0.1, "neg": -1e-300, "t": True,
     "none": None, "nested": {"a": [[], {}, [1, [2, [3]]]]}, "": "empty key"},
]


# -- the SDK's session checks, in our words ---------------------------------------------------


def test_is_an_sdk_session(session: GenieSession) -> None:
    assert isinstance(session, Session)
    assert session.session_id == "conversation"


def test_add_get_clear(session: GenieSession) -> None:
    run(session.add_items(messages("Hello", "Hi there!")))
    got = run(session.get_items())
    assert [(i.get("role"), i.get("content")) for i in got] == [
        ("user", "Hello"), ("assistant", "Hi there!")]
    run(session.clear_session())
    assert run(session.get_items()) == []


def test_items_round_trip_exactly(session: GenieSession) -> None:
    run(session.add_items(ITEM_SHAPES[:5]))
    run(session.add_items(ITEM_SHAPES[5:]))
    assert run(session.get_items()) == ITEM_SHAPES
    assert run(session.get_items(limit=3)) == ITEM_SHAPES[-3:]
    assert run(session.pop_item()) == ITEM_SHAPES[-1]


def test_round_trips_match_sqlite_session(session: GenieSession, tmp_path: Any) -> None:
    """Whatever the SDK's own SQLiteSession gives back, GenieSession gives back too."""
    theirs = SQLiteSession("conversation", tmp_path / "sdk.db")
    try:
        run(theirs.add_items(ITEM_SHAPES))
        run(session.add_items(ITEM_SHAPES))
        assert run(session.get_items()) == run(theirs.get_items())
    finally:
        theirs.close()


def test_pop_item_newest_first_until_empty(session: GenieSession) -> None:
    assert run(session.pop_item()) is None
    run(session.add_items(messages("Hello", "Hi there!", "How are you?")))
    assert len(run(session.get_items())) == 3
    assert run(session.pop_item()) == {"role": "user", "content": "How are you?"}
    assert contents(run(session.get_items())) == ["Hello", "Hi there!"]
    assert run(session.pop_item()) == {"role": "assistant", "content": "Hi there!"}
    assert run(session.pop_item()) == {"role": "user", "content": "Hello"}
    assert run(session.pop_item()) is None
    assert run(session.get_items()) == []


def test_sessions_stay_apart(db: Database) -> None:
    first, second = GenieSession("one", db), GenieSession("two", db)
    try:
        run(first.add_items(messages("Session 1 message")))
        run(second.add_items(messages("Session 2 message 1", "Session 2 message 2")))
        assert run(second.pop_item()) == {"role": "assistant", "content": "Session 2 message 2"}
        assert contents(run(first.get_items())) == ["Session 1 message"]
        assert contents(run(second.get_items())) == ["Session 2 message 1"]
        run(second.clear_session())
        assert contents(run(first.get_items())) == ["Session 1 message"]
    finally:
        first.close()
        second.close()


def test_get_items_limit(session: GenieSession) -> None:
    run(session.add_items(messages(*[f"m{i}" for i in range(6)])))
    assert contents(run(session.get_items())) == [f"m{i}" for i in range(6)]
    assert contents(run(session.get_items(limit=2))) == ["m4", "m5"]
    assert contents(run(session.get_items(limit=4))) == ["m2", "m3", "m4", "m5"]
    assert contents(run(session.get_items(limit=10))) == [f"m{i}" for i in range(6)]
    assert contents(run(session.get_items(limit=2**40))) == [f"m{i}" for i in range(6)]
    assert run(session.get_items(limit=0)) == []
    assert run(session.get_items(limit=-1)) == []
    assert len(run(session.get_items(limit=1))) == 1


def test_session_settings(db: Database) -> None:
    plain = GenieSession("plain", db)
    assert isinstance(plain.session_settings, SessionSettings)
    assert plain.session_settings.limit is None
    limited = GenieSession("limited", db, session_settings=SessionSettings(limit=3))
    from_dict = GenieSession("limited", db, session_settings={"limit": 3})
    try:
        assert limited.session_settings is not None and limited.session_settings.limit == 3
        assert from_dict.session_settings == SessionSettings(limit=3)
        run(limited.add_items(messages(*[f"m{i}" for i in range(10)])))
        assert contents(run(limited.get_items())) == ["m7", "m8", "m9"]
        assert contents(run(limited.get_items(limit=2))) == ["m8", "m9"]  # explicit wins
        assert contents(run(from_dict.get_items())) == ["m7", "m8", "m9"]
    finally:
        for s in (plain, limited, from_dict):
            s.close()


def test_adding_nothing_writes_nothing(db: Database, session: GenieSession) -> None:
    run(session.add_items([]))
    assert SessionStore(db).get_session(session.key) is None


def test_unencodable_items_are_refused_whole(session: GenieSession) -> None:
    run(session.add_items(messages("kept")))
    with pytest.raises(InvalidInput):
        run(session.add_items([{"role": "user", "content": "x"},
                               {"role": "user", "content": object()}]))  # type: ignore[list-item]
    with pytest.raises(InvalidInput):
        run(session.add_items(["not a dict"]))  # type: ignore[list-item]
    assert contents(run(session.get_items())) == ["kept"]


def test_closed_session_refuses_calls(db: Database) -> None:
    s = GenieSession("closing", db)
    run(s.add_items(messages("hi")))
    s.close()
    s.close()
    with pytest.raises(GenieRepoError):
        run(s.get_items())
    with pytest.raises(GenieRepoError):
        run(s.add_items([]))
    reopened = GenieSession("closing", db)
    try:
        assert contents(run(reopened.get_items())) == ["hi"]
    finally:
        run(reopened.aclose())


def test_bad_ids_are_invalid_input(db: Database) -> None:
    with pytest.raises(InvalidInput):
        GenieSession("", db)
    with pytest.raises(InvalidInput):
        GenieSession("x", db, user_id="")


def test_a_shared_store_stays_open(db: Database) -> None:
    async def scenario() -> None:
        async with AsyncSessionStore(db) as store:
            first = GenieSession("a", db, store=store)
            second = GenieSession("b", db, store=store)
            await first.add_items(messages("one"))
            await first.aclose()
            await second.add_items(messages("two"))
            assert contents(await second.get_items()) == ["two"]
            await second.aclose()

    run(scenario())


# -- the items are genie_repo events ------------------------------------------------------------


def test_items_are_events_of_a_genie_session(db: Database) -> None:
    s = GenieSession("chat-1", db, app_name="support", user_id="alice")
    try:
        run(s.add_items([ITEM_SHAPES[0], ITEM_SHAPES[4], ITEM_SHAPES[6]]))
        stored = SessionStore(db).get_session(SessionKey("support", "alice", "chat-1"))
        assert stored is not None
        assert [e.author for e in stored.events] == ["user", "assistant", "function_call"]
        assert [json.loads(e.payload) for e in stored.events] == [
            ITEM_SHAPES[0], ITEM_SHAPES[4], ITEM_SHAPES[6]]
        assert [e.seq for e in stored.events] == [1, 2, 3]
        run(s.clear_session())
        assert SessionStore(db).get_session(SessionKey("support", "alice", "chat-1")) is None
    finally:
        s.close()


def test_a_large_add_lands_whole_and_in_order(db: Database) -> None:
    s = GenieSession("batch", db)
    try:
        run(s.add_items(messages(*[f"m{i}" for i in range(50)])))
        stored = SessionStore(db).get_session(s.key)
        assert stored is not None and stored.last_seq == 50
        assert [json.loads(e.payload)["content"] for e in stored.events] == [
            f"m{i}" for i in range(50)]
    finally:
        s.close()


def test_another_object_sees_the_same_history(db: Database) -> None:
    writer, reader = GenieSession("shared", db), GenieSession("shared", db)
    try:
        run(writer.add_items(messages("a", "b")))
        assert contents(run(reader.get_items())) == ["a", "b"]
        assert run(reader.pop_item()) == {"role": "assistant", "content": "b"}
        assert contents(run(writer.get_items())) == ["a"]
    finally:
        writer.close()
        reader.close()


def test_threads_with_their_own_event_loops(db: Database, session: GenieSession) -> None:
    """As the SDK's concurrency check does: threads run add_items, each on a loop of its own."""

    async def add(texts: list[str]) -> None:
        for text in texts:
            await session.add_items(messages(text))
        await db.async_runner().aclose()  # this loop's async resources

    groups = [[f"Message {i}" for i in range(start, 10, 4)] for start in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda texts: asyncio.run(add(texts)), groups))
    got = contents(run(session.get_items()))
    assert sorted(got) == sorted(f"Message {i}" for i in range(10))
    for texts in groups:  # each thread's items in its order
        assert [text for text in got if text in texts] == texts


@pytest.mark.parametrize("operation", ["add", "pop", "clear"])
def test_a_cancelled_write_lands_before_the_cancellation(
    session: GenieSession, operation: str
) -> None:
    """The caller sees CancelledError only once the write's outcome is known, so a retry
    cannot race it (the SDK's sessions promise the same)."""

    async def scenario() -> list[Any]:
        await session.add_items(messages("first", "second"))
        write = {"add": lambda: session.add_items(messages("third")),
                 "pop": session.pop_item, "clear": session.clear_session}[operation]
        task = asyncio.ensure_future(write())
        await asyncio.sleep(0)  # the write is under way (not necessarily in the database yet)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return contents(await session.get_items())

    expected = {"add": ["first", "second", "third"], "pop": ["first"], "clear": []}
    assert run(scenario()) == expected[operation]
