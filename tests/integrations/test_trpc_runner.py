"""End to end: the SDK's Runner with a scripted model (no network) on GenieSessionService and
GenieMemoryService. Two turns, a restart (new service objects on the same database), a third
turn: the model must see the whole history exactly once, in order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from typing import Any

from google.genai import types
from trpc_agent_sdk.agents import LlmAgent
from trpc_agent_sdk.models import LLMModel, LlmRequest, LlmResponse
from trpc_agent_sdk.runners import Runner
from trpc_agent_sdk.sessions import (
    DefaultSessionSummarizer,
    DefaultSessionSummarizerManager,
    SessionServiceConfig,
    set_summarizer_events_count_threshold,
)

from genie_repo.config import Config
from genie_repo.db import open_database
from genie_repo.integrations.trpc_agent import GenieMemoryService, GenieSessionService

APP = "runner-test"


class ScriptedModel(LLMModel):
    """Answers "reply N" to the N-th request and records the text the model was shown."""

    def __init__(self) -> None:
        super().__init__(model_name="scripted")
        self.seen: list[list[tuple[str, str]]] = []

    @classmethod
    def supported_models(cls) -> list[str]:
        return ["scripted"]

    async def _generate_async_impl(
        self, request: LlmRequest, stream: bool = False, ctx: Any = None
    ) -> AsyncGenerator[LlmResponse, None]:
        shown = [(c.role or "", "".join(p.text or "" for p in c.parts or []))
                 for c in request.contents]
        self.seen.append(shown)
        text = f"summary of {len(shown)}" if _is_summary_request(shown) else (
            f"reply {len(self.seen)}")
        yield LlmResponse(content=types.Content(role="model", parts=[types.Part(text=text)]))


def _is_summary_request(shown: list[tuple[str, str]]) -> bool:
    return any("summar" in text.lower() for _, text in shown[:1])


def user_message(text: str) -> types.Content:
    return types.Content(role="user", parts=[types.Part(text=text)])


async def run_turn(runner: Runner, text: str) -> list[str]:
    replies = []
    async for event in runner.run_async(user_id="alice", session_id="chat",
                                        new_message=user_message(text)):
        if event.content and event.content.parts and not event.partial:
            replies.append("".join(p.text or "" for p in event.content.parts))
    return replies


def make_runner(db: Any, model: ScriptedModel, defer: bool = False,
                **session_options: Any) -> Runner:
    agent = LlmAgent(name="assistant", model=model, instruction="Be brief.")
    return Runner(
        app_name=APP, agent=agent,
        session_service=GenieSessionService(db, **session_options),
        memory_service=GenieMemoryService(db, enabled=True),
        defer_post_turn_processing=defer,
    )


def test_history_survives_a_restart_exactly_once_in_order(config: Config) -> None:
    model = ScriptedModel()

    async def first_process() -> None:
        db = open_database(config)
        runner = make_runner(db, model)
        assert await run_turn(runner, "hello") == ["reply 1"]
        assert await run_turn(runner, "how are you") == ["reply 2"]
        await runner.close()
        db.close()

    async def second_process() -> None:
        db = open_database(config)
        runner = make_runner(db, model)
        assert await run_turn(runner, "bye") == ["reply 3"]
        hits = await runner.memory_service.search_memory(f"{APP}/alice", "how reply")
        assert {"".join(p.text or "" for p in m.content.parts) for m in hits.memories} == {
            "how are you", "reply 1", "reply 2", "reply 3"}
        await runner.close()
        db.close()

    asyncio.run(first_process())
    asyncio.run(second_process())
    assert model.seen[-1] == [
        ("user", "hello"), ("model", "reply 1"),
        ("user", "how are you"), ("model", "reply 2"),
        ("user", "bye"),
    ]
    assert [len(seen) for seen in model.seen] == [1, 3, 5]


def test_summary_stays_first_after_a_restart(config: Config) -> None:
    model = ScriptedModel()
    summarizer = DefaultSessionSummarizer(
        model=model, keep_recent_count=2,
        check_summarizer_functions=[set_summarizer_events_count_threshold(4)])
    manager = DefaultSessionSummarizerManager(model=model, summarizer=summarizer)
    session_config = SessionServiceConfig(store_historical_events=True)
    session_config.clean_ttl_config()

    async def scenario(open_db: Callable[[], Any]) -> None:
        db = open_db()
        runner = make_runner(db, model, summarizer_manager=manager,
                             session_config=session_config)
        for text in ("one", "two", "three"):
            await run_turn(runner, text)
        await runner.close()
        db.close()

        db = open_db()
        service = GenieSessionService(db, session_config=session_config)
        session = await service.get_session(app_name=APP, user_id="alice", session_id="chat")
        assert session is not None
        assert session.events[0].is_summary_event()
        assert [e.author for e in session.events[1:]] == ["user", "assistant"]
        # The default summarizer stamps the summary "now", after the events it precedes: the
        # order is the stored sequence, not time.
        assert session.events[0].timestamp > session.events[1].timestamp
        assert len(session.historical_events) >= 4
        assert (await service.get_session_summary(session) or "").startswith("summary of")
        await service.close()
        runner = make_runner(db, model, session_config=session_config)
        await run_turn(runner, "four")
        await runner.close()
        db.close()
        # The summary comes first (the SDK merges it with the next user message), then the
        # events it kept, once each.
        assert model.seen[-1] == [
            ("user", "[system]: Previous conversation summary: summary of 1\nthree"),
            ("model", "reply 3"), ("user", "four"),
        ]

    asyncio.run(scenario(lambda: open_database(config)))


def test_post_turn_work_on_the_runners_own_thread_and_loop(db: Any) -> None:
    """With defer_post_turn_processing the Runner stores memories from another thread with its
    own event loop: the services must work from there too."""
    model = ScriptedModel()

    async def scenario() -> None:
        runner = make_runner(db, model, defer=True)
        await run_turn(runner, "remember the blue door")
        await run_turn(runner, "and the red key")
        await runner.close()  # waits for the post-turn worker
        memory = GenieMemoryService(db, enabled=True)
        found = await memory.search_memory(f"{APP}/alice", "door key")
        assert {"".join(p.text or "" for p in m.content.parts) for m in found.memories} == {
            "remember the blue door", "and the red key"}
        await memory.close()

    asyncio.run(scenario())
