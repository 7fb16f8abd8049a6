"""GenieSessionService against the SDK's own InMemorySessionService: the same random
operations on both, compared as a caller sees them (sessions, events, merged state, historical
events, conversation counts, listings).

Where we differ on purpose, the reference is adjusted, not the comparison weakened:
- max_events: the SDK's in-memory service stores every event and trims only the caller's live
  object; we keep storage equal to that live window (like its SQL service). With max_events the
  reference is `TrimmingInMemory`, the in-memory service applying the trim to its storage too.
- `temp:` keys: the in-memory `update_session` stores the live object's `temp:` keys; we never
  persist them, so states are compared without `temp:` keys.
- Summaries are only generated without num_recent_events: after a limited read the in-memory
  `update_session` deletes the unread events, which we deliberately never do (tested apart).
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from typing import Any

from google.genai import types
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trpc_agent_sdk.events import Event, EventActions
from trpc_agent_sdk.sessions import InMemorySessionService, Session, SessionServiceConfig

from genie_repo.db.protocol import Database
from genie_repo.integrations.trpc_agent import GenieSessionService

APP = "app"
SESSIONS = [("u1", "s1"), ("u1", "s2"), ("u2", "s3")]
KEYS = ["a", "b", "app:g", "user:p", "temp:t"]


class TrimmingInMemory(InMemorySessionService):
    """The SDK's in-memory service, with storage trimmed exactly as the live object is."""

    async def append_event(self, session: Session, event: Event) -> Event:
        stored = self._get_session(session.app_name, session.user_id, session.id)
        if event.partial or stored is None:
            return await super().append_event(session, event)
        window = {e.id for e in session.events} | {event.id}
        await super().append_event(session, event)
        gone = window - {e.id for e in session.events}
        trimmed = [e for e in stored.events if e.id in gone]
        stored.events = [e for e in stored.events if e.id not in gone]
        if self.session_config.store_historical_events:
            stored.historical_events.extend(copy.deepcopy(trimmed))
        return event


def make_event(number: int, author: str, delta: dict[str, Any], partial: bool) -> Event:
    role = "user" if author == "user" else "model"
    return Event(
        id=f"e{number}", invocation_id=f"inv{number}", author=author, partial=partial,
        timestamp=1_700_000_000.0 + number,
        content=types.Content(role=role, parts=[types.Part(text=f"message {number}")]),
        actions=EventActions(state_delta=delta),
    )


def summary_event(number: int) -> Event:
    return Event(
        id=f"sum{number}", invocation_id="summary", author="system",
        timestamp=1_800_000_000.0 + number,
        content=types.Content(role="user", parts=[types.Part(text=f"summary {number}")]),
    )


def without_temp(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if not k.startswith("temp:")}


def dumps(events: list[Event]) -> list[dict[str, Any]]:
    return [e.model_dump() for e in events]


def assert_same_session(ours: Session | None, ref: Session | None) -> None:
    assert (ours is None) == (ref is None)
    if ours is None or ref is None:
        return
    assert (ours.id, ours.app_name, ours.user_id, ours.save_key) == (
        ref.id, ref.app_name, ref.user_id, ref.save_key)
    assert dumps(ours.events) == dumps(ref.events)
    assert dumps(ours.historical_events) == dumps(ref.historical_events)
    assert without_temp(ours.state) == without_temp(ref.state)
    assert ours.conversation_count == ref.conversation_count


values = st.integers(0, 3)
states = st.dictionaries(st.sampled_from(KEYS), values, max_size=3)
session_index = st.integers(0, len(SESSIONS) - 1)
KINDS = ["append"] * 8 + ["get", "get", "state", "summarize", "summarize", "delete", "create",
                          "list"]


@st.composite
def operation(draw: st.DrawFn) -> tuple[Any, ...]:
    kind = draw(st.sampled_from(KINDS))
    index = draw(session_index)
    if kind == "append":
        return (kind, index, draw(st.sampled_from(["user", "user", "bot", "tool"])),
                draw(states), draw(st.sampled_from([False, False, False, True])),
                draw(st.booleans()))
    if kind == "create":
        return (kind, index, draw(states))
    if kind == "state":
        return (kind, index, draw(st.dictionaries(st.sampled_from(["a", "b", "temp:t"]), values,
                                                  max_size=2)))
    if kind == "summarize":
        return (kind, index, draw(st.integers(1, 4)))
    if kind == "list":
        return (kind, draw(st.sampled_from([None, "u1", "u2"])))
    return (kind, index)


operations = st.lists(operation(), min_size=10, max_size=40)
configs = st.tuples(st.sampled_from([0, 3, 5]), st.sampled_from([0, 2, 4]), st.booleans())


class World:
    """One service and the live Session objects a caller holds, one per session."""

    def __init__(self, service: InMemorySessionService | GenieSessionService) -> None:
        self.service = service
        self.live: dict[int, Session] = {}

    async def get(self, index: int) -> Session | None:
        user_id, session_id = SESSIONS[index]
        session: Session | None = await self.service.get_session(
            app_name=APP, user_id=user_id, session_id=session_id)
        return session


async def run_operation(op: tuple[Any, ...], worlds: list[World], number: int,
                        summaries_allowed: bool) -> None:
    kind = op[0]
    if kind == "create":
        _, index, state = op
        user_id, session_id = SESSIONS[index]
        made = [await w.service.create_session(app_name=APP, user_id=user_id,
                                               session_id=session_id, state=dict(state))
                for w in worlds]
        for world, session in zip(worlds, made, strict=True):
            world.live[index] = session
        assert_same_session(made[0], made[1])
    elif kind == "append":
        _, index, author, delta, partial, new_turn = op
        if index not in worlds[0].live:
            return
        for world in worlds:
            live = world.live[index]
            if new_turn:
                live.conversation_count += 1
            returned = await world.service.append_event(
                live, make_event(number, author, dict(delta), partial))
            assert returned.id == f"e{number}"
        ours, ref = worlds[0].live[index], worlds[1].live[index]
        assert dumps(ours.events) == dumps(ref.events)
        assert dumps(ours.historical_events) == dumps(ref.historical_events)
        assert without_temp(ours.state) == without_temp(ref.state)
    elif kind == "get":
        ours, ref = [await w.get(op[1]) for w in worlds]
        assert_same_session(ours, ref)
        for world, session in zip(worlds, (ours, ref), strict=True):
            if session is not None:
                world.live[op[1]] = session
    elif kind == "state":
        _, index, delta = op
        if index not in worlds[0].live:
            return
        for world in worlds:
            await world.service.update_session_state(world.live[index], dict(delta))
        assert without_temp(worlds[0].live[index].state) == without_temp(
            worlds[1].live[index].state)
    elif kind == "summarize":
        _, index, count = op
        if not summaries_allowed or index not in worlds[0].live:
            return
        for world in worlds:
            live = world.live[index]
            if len(live.events) < count:
                return
            live.compact_events(summary_event(number), live.events[count - 1].id,
                                compaction_id=f"c{number}")
            await world.service.update_session(live)
        for world in worlds:  # the SDK's in-memory service keeps the very object it was given
            session = await world.get(index)
            if session is not None:
                world.live[index] = session
    elif kind == "delete":
        user_id, session_id = SESSIONS[op[1]]
        for world in worlds:
            await world.service.delete_session(app_name=APP, user_id=user_id,
                                               session_id=session_id)
            world.live.pop(op[1], None)
        assert [await w.get(op[1]) for w in worlds] == [None, None]
    else:
        listed = [await w.service.list_sessions(app_name=APP, user_id=op[1]) for w in worlds]
        ours, ref = ({(s.user_id, s.id, s.conversation_count,
                       frozenset(without_temp(s.state).items()), len(s.events))
                      for s in response.sessions} for response in listed)
        assert ours == ref


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=30,
          deadline=None)
@given(config=configs, ops=operations)
def test_same_as_in_memory_service(
    dialect: str, make_db: Callable[[str], Database],
    config: tuple[int, int, bool], ops: list[tuple[Any, ...]],
) -> None:
    max_events, num_recent, keep_history = config
    session_config = SessionServiceConfig(max_events=max_events, num_recent_events=num_recent,
                                          store_historical_events=keep_history)
    session_config.clean_ttl_config()
    db = make_db(dialect)

    async def scenario() -> None:
        reference_class = TrimmingInMemory if max_events else InMemorySessionService
        ours = GenieSessionService(db, session_config=session_config.model_copy(deep=True))
        ref = reference_class(session_config=session_config.model_copy(deep=True))
        worlds = [World(ours), World(ref)]
        try:
            for index in range(len(SESSIONS)):
                await run_operation(("create", index, {}), worlds, -1 - index, False)
            for number, op in enumerate(ops):
                await run_operation(op, worlds, number, summaries_allowed=num_recent == 0)
            for index in range(len(SESSIONS)):
                assert_same_session(*[await w.get(index) for w in worlds])
        finally:
            await ours.close()
            await ref.close()

    try:
        asyncio.run(scenario())
    finally:
        db.close()
