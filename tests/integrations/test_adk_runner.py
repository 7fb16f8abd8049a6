"""An ADK Runner on GenieSessionService and GenieMemoryService, with a scripted model (no
network): two turns, a restart (new Database and service objects on the same storage), a third
turn; the model sees the whole history once and in order, and user:/app: state carries over."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

from google.adk.agents.llm_agent import LlmAgent
from google.adk.models.base_llm import BaseLlm
from google.adk.models.llm_request import LlmRequest
from google.adk.models.llm_response import LlmResponse
from google.adk.runners import Runner
from google.adk.tools.tool_context import ToolContext
from google.genai import types

from genie_repo.config import Config
from genie_repo.db import open_database
from genie_repo.integrations.adk import GenieMemoryService, GenieSessionService

APP = "runner_app"


class ScriptedModel(BaseLlm):
    """Answers "reply N" to the N-th user text; asked to remember something, calls the tool
    first. Records every request's contents as (role, summary) pairs."""

    model: str = "scripted"
    seen: list[list[tuple[str, str]]] = []

    async def generate_content_async(
        self, llm_request: LlmRequest, stream: bool = False
    ) -> AsyncGenerator[LlmResponse, None]:
        contents = [(c.role or "", summary(c)) for c in llm_request.contents]
        self.seen.append(contents)
        last = llm_request.contents[-1].parts[0] if llm_request.contents[-1].parts else None
        users = sum(1 for role, text in contents if role == "user" and text.startswith("text:"))
        if last is not None and last.text and last.text.startswith("remember "):
            call = types.FunctionCall(name="remember", args={"fact": last.text[9:]})
            yield LlmResponse(content=types.Content(role="model", parts=[
                types.Part(function_call=call)]))
            return
        yield LlmResponse(content=types.Content(role="model", parts=[
            types.Part(text=f"reply {users}")]))


def summary(content: types.Content) -> str:
    part = (content.parts or [types.Part()])[0]
    if part.function_call:
        return f"call:{part.function_call.name}({part.function_call.args})"
    if part.function_response:
        return f"result:{part.function_response.name}"
    return f"text:{part.text}"


def remember(fact: str, tool_context: ToolContext) -> dict[str, Any]:
    """Remember a fact for every user of the app."""
    tool_context.state["app:fact"] = fact
    return {"ok": True}


def agent(model: ScriptedModel) -> LlmAgent:
    return LlmAgent(name="helper", model=model, instruction="Be brief.", tools=[remember],
                    output_key="user:last_answer")


async def turn(runner: Runner, user_id: str, session_id: str, text: str) -> list[str]:
    message = types.Content(role="user", parts=[types.Part(text=text)])
    replies = []
    async for event in runner.run_async(user_id=user_id, session_id=session_id,
                                        new_message=message):
        if event.content and event.content.parts and event.content.parts[0].text:
            replies.append(event.content.parts[0].text)
    return replies


def test_history_survives_a_restart(config: Config) -> None:
    model = ScriptedModel()
    model.seen = []

    async def before_restart() -> str:
        db = open_database(config)
        sessions, memory = GenieSessionService(db), GenieMemoryService(db)
        runner = Runner(app_name=APP, agent=agent(model), session_service=sessions,
                        memory_service=memory)
        session = await sessions.create_session(app_name=APP, user_id="alice")
        assert await turn(runner, "alice", session.id, "hello") == ["reply 1"]
        assert await turn(runner, "alice", session.id, "remember sky is blue") == ["reply 2"]
        await runner.close()
        await sessions.close()
        await memory.close()
        db.close()
        return session.id

    async def after_restart(session_id: str) -> None:
        db = open_database(config)
        sessions, memory = GenieSessionService(db), GenieMemoryService(db)
        runner = Runner(app_name=APP, agent=agent(model), session_service=sessions,
                        memory_service=memory)
        assert await turn(runner, "alice", session_id, "again") == ["reply 3"]
        assert model.seen[-1] == [
            ("user", "text:hello"), ("model", "text:reply 1"),
            ("user", "text:remember sky is blue"),
            ("model", "call:remember({'fact': 'sky is blue'})"),
            ("user", "result:remember"), ("model", "text:reply 2"),
            ("user", "text:again"),
        ]
        stored = await sessions.get_session(app_name=APP, user_id="alice",
                                            session_id=session_id)
        assert stored is not None
        assert [summary(e.content) for e in stored.events if e.content] == [
            text for _, text in model.seen[-1]] + ["text:reply 3"]
        fresh = await sessions.create_session(app_name=APP, user_id="alice")
        assert fresh.state == {"user:last_answer": "reply 3", "app:fact": "sky is blue"}
        other = await sessions.create_session(app_name=APP, user_id="bob")
        assert other.state == {"app:fact": "sky is blue"}

        await memory.add_session_to_memory(stored)
        await memory.add_session_to_memory(stored)  # again: nothing new
        found = await memory.search_memory(app_name=APP, user_id="alice", query="sky")
        assert [m.content.parts[0].text for m in found.memories] == ["remember sky is blue"]
        await runner.close()
        await sessions.close()
        await memory.close()
        db.close()

    asyncio.run(after_restart(asyncio.run(before_restart())))
