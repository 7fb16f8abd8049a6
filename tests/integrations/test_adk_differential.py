"""GenieSessionService and ADK's InMemorySessionService agree on random operation sequences:
create, append with state deltas in every scope, get with configs, list, delete, user state."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from google.adk.errors.already_exists_error import AlreadyExistsError
from google.adk.errors.session_not_found_error import SessionNotFoundError
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.adk.sessions.base_session_service import BaseSessionService, GetSessionConfig
from google.adk.sessions.in_memory_session_service import InMemorySessionService
from google.adk.sessions.session import Session
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genie_repo.db.protocol import Database
from genie_repo.integrations.adk import GenieSessionService

BASE = 1_800_000_000.0
USERS = ["u1", "u2"]
IDS = ["s1", "s2", " s1 "]
KEYS = ["a", "b", "app:a", "app:b", "user:a", "user:b", "temp:a"]
values = st.one_of(st.none(), st.integers(-3, 3), st.text("xyz", max_size=2),
                   st.dictionaries(st.sampled_from("pq"), st.integers(0, 2), max_size=2))
states = st.dictionaries(st.sampled_from(KEYS), values, max_size=3)
operations = st.lists(st.one_of(
    st.tuples(st.just("create"), st.sampled_from(USERS), st.sampled_from(IDS), states),
    st.tuples(st.just("append"), st.sampled_from(USERS), st.sampled_from(IDS), states),
    st.tuples(st.just("get"), st.sampled_from(USERS), st.sampled_from(IDS),
              st.sampled_from([None, 0, 1, 3]), st.one_of(st.none(), st.integers(0, 30))),
    st.tuples(st.just("list"), st.sampled_from([None, *USERS])),
    st.tuples(st.just("delete"), st.sampled_from(USERS), st.sampled_from(IDS)),
    st.tuples(st.just("user_state"), st.sampled_from(USERS)),
), max_size=25)


def view(session: Session | None) -> Any:
    """What both services must agree on (creation times come from different clocks)."""
    if session is None:
        return None
    return (session.id, session.user_id, session.state,
            [e.model_dump() for e in session.events])


async def apply(service: BaseSessionService, app: str, op: tuple[Any, ...], step: int) -> Any:
    kind = op[0]
    try:
        if kind == "create":
            return view(await service.create_session(app_name=app, user_id=op[1],
                                                     session_id=op[2], state=dict(op[3])))
        if kind == "append":
            held = await service.get_session(app_name=app, user_id=op[1], session_id=op[2])
            session = held or Session(id=op[2].strip(), app_name=app, user_id=op[1])
            event = Event(id=f"e{step}", invocation_id=f"i{step}", author="user",
                          timestamp=BASE + step * 0.001,
                          actions=EventActions(state_delta=dict(op[3])))
            await service.append_event(session, event)
            return view(session), event.actions.state_delta, session.last_update_time
        if kind == "get":
            after = None if op[4] is None else BASE + op[4] * 0.001
            config = GetSessionConfig(num_recent_events=op[3], after_timestamp=after)
            return view(await service.get_session(app_name=app, user_id=op[1],
                                                  session_id=op[2], config=config))
        if kind == "list":
            listed = (await service.list_sessions(app_name=app, user_id=op[1])).sessions
            return sorted((s.user_id, s.id, json.dumps(s.state, sort_keys=True), s.events == [])
                          for s in listed)
        if kind == "delete":
            await service.delete_session(app_name=app, user_id=op[1], session_id=op[2])
            return None
        return await service.get_user_state(app_name=app, user_id=op[1])
    except (AlreadyExistsError, SessionNotFoundError) as exc:
        return type(exc).__name__


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=operations)
def test_same_observations_as_the_in_memory_service(db: Database, ops: list[Any]) -> None:
    async def scenario() -> None:
        ours, theirs = GenieSessionService(db), InMemorySessionService()
        app = f"app-{uuid.uuid4().hex[:8]}"
        try:
            for step, op in enumerate(ops):
                assert await apply(ours, app, op, step) == await apply(theirs, app, op, step), (
                    step, op)
        finally:
            await ours.close()

    asyncio.run(scenario())
