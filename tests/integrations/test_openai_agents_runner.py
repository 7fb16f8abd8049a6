"""The SDK's Runner with a GenieSession and a scripted model (no network), on both dialects:
history survives a new session object, reaches the model whole, once and in order, and the
run config's session limit applies."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from agents import Agent, RunConfig, Runner, function_tool, set_tracing_disabled
from agents.memory import SessionSettings
from agents.testing import ModelStep, ScriptedModel, assistant_message, function_call

from genie_repo.db import Database
from genie_repo.integrations.openai_agents import GenieSession
from genie_repo.models.sessions import SessionKey
from genie_repo.stores.sessions import SessionStore

RUNNERS = ["run", "run_streamed", "run_sync"]


@pytest.fixture(autouse=True)
def no_tracing() -> Iterator[None]:
    """Traces would be exported over the network; these tests stay offline."""
    set_tracing_disabled(True)
    yield
    set_tracing_disabled(False)


@function_tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def reply(text: str, item_id: str) -> ModelStep:
    return ModelStep(output=[assistant_message(text, item_id=item_id)])


async def run_turn(how: str, agent: Agent[Any], text: str, session: GenieSession, db: Database,
                   **kwargs: Any) -> Any:
    if how == "run":
        return (await Runner.run(agent, text, session=session, **kwargs)).final_output
    if how == "run_streamed":
        streamed = Runner.run_streamed(agent, text, session=session, **kwargs)
        async for _ in streamed.stream_events():
            pass
        return streamed.final_output
    return await asyncio.to_thread(_run_sync, agent, text, session, db, kwargs)


def _run_sync(agent: Agent[Any], text: str, session: GenieSession, db: Database,
              kwargs: dict[str, Any]) -> Any:
    loop = asyncio.new_event_loop()  # run_sync wants a thread with its own loop
    asyncio.set_event_loop(loop)
    try:
        return Runner.run_sync(agent, text, session=session, **kwargs).final_output
    finally:
        loop.run_until_complete(db.async_runner().aclose())  # this loop's async resources
        loop.close()
        asyncio.set_event_loop(None)


def payload_texts(items: list[Any]) -> list[str]:
    """A readable fingerprint of model input: each item's role/type and its text."""
    out = []
    for item in items:
        content = item.get("content")
        if isinstance(content, list):
            content = content[0]["text"]
        label = item.get("role") or item.get("type")
        out.append(f"{label}:{content if content is not None else item.get('call_id')}")
    return out


@pytest.mark.parametrize("how", RUNNERS)
def test_three_turns_across_a_new_session_object(db: Database, how: str) -> None:
    model = ScriptedModel([
        reply("Paris", "m1"),
        ModelStep(output=[function_call("get_weather", {"city": "Paris"}, call_id="c1")]),
        reply("It is sunny", "m2"),
        reply("You asked about Paris", "m3"),
    ])
    agent = Agent(name="guide", model=model, tools=[get_weather])

    async def scenario() -> None:
        first = GenieSession("trip", db)
        assert await run_turn(how, agent, "Capital of France?", first, db) == "Paris"
        assert await run_turn(how, agent, "Weather there?", first, db) == "It is sunny"
        await first.aclose()
        second = GenieSession("trip", db)  # a restart: nothing held in memory
        final = await run_turn(how, agent, "What did I ask first?", second, db)
        assert final == "You asked about Paris"
        stored = await second.get_items()
        await second.aclose()
        await db.async_runner().aclose()
        assert payload_texts(stored) == [
            "user:Capital of France?", "assistant:Paris",
            "user:Weather there?", "function_call:c1", "function_call_output:c1",
            "assistant:It is sunny",
            "user:What did I ask first?", "assistant:You asked about Paris",
        ]
        assert model.last_call is not None
        assert model.last_call.input == stored[:-1]  # whole history, once, in order, + new
        calls = model.calls
        assert payload_texts(calls[1].input) == [
            "user:Capital of France?", "assistant:Paris", "user:Weather there?"]
        assert payload_texts(calls[2].input) == payload_texts(stored[:5])

    asyncio.run(scenario())
    model.assert_complete()


@pytest.mark.parametrize("how", RUNNERS)
def test_run_config_session_limit(db: Database, how: str) -> None:
    model = ScriptedModel([reply(f"Reply {i}", f"m{i}") for i in range(1, 7)])
    agent = Agent(name="echo", model=model)

    async def scenario() -> None:
        session = GenieSession("limits", db, session_settings=SessionSettings(limit=100))
        for i in (1, 2, 3):
            await run_turn(how, agent, f"Message {i}", session, db)
        assert len(await session.get_items()) == 6
        await run_turn(how, agent, "Message 4", session, db,
                       run_config=RunConfig(session_settings=SessionSettings(limit=2)))
        assert model.last_call is not None
        assert payload_texts(model.last_call.input) == [
            "user:Message 3", "assistant:Reply 3", "user:Message 4"]
        await run_turn(how, agent, "Message 5", session, db,
                       run_config=RunConfig(session_settings=SessionSettings(limit=0)))
        assert payload_texts(model.last_call.input) == ["user:Message 5"]
        await run_turn(how, agent, "Message 6", session, db)  # the session's own limit (100)
        assert len(model.last_call.input) == 11
        await session.aclose()
        await db.async_runner().aclose()

    asyncio.run(scenario())


def test_sessions_show_lists_the_conversation(db: Database) -> None:
    model = ScriptedModel([reply("Hello!", "m1")])
    agent = Agent(name="greeter", model=model)

    async def scenario() -> None:
        session = GenieSession("greeting", db, app_name="shop", user_id="bob")
        await Runner.run(agent, "Hi", session=session)
        await session.aclose()
        await db.async_runner().aclose()

    asyncio.run(scenario())
    stored = SessionStore(db).get_session(SessionKey("shop", "bob", "greeting"))
    assert stored is not None
    assert [(e.author, json.loads(e.payload).get("content")) for e in stored.events][0] == (
        "user", "Hi")
    assert [e.author for e in stored.events] == ["user", "assistant"]
