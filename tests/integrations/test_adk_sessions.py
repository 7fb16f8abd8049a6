"""GenieSessionService against ADK's session-service contract (the behaviours ADK's own
session-service tests hold every backend to), in our words, on both dialects."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.openapi.models import APIKey, APIKeyIn
from google.adk.auth.auth_credential import AuthCredential, AuthCredentialTypes
from google.adk.auth.auth_tool import AuthConfig
from google.adk.errors import StaleSessionError
from google.adk.errors.already_exists_error import AlreadyExistsError
from google.adk.errors.session_not_found_error import SessionNotFoundError
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.adk.sessions.base_session_service import GetSessionConfig
from google.adk.sessions.session import Session
from google.adk.tools.tool_confirmation import ToolConfirmation
from google.genai import types

from genie_repo.db.protocol import Database
from genie_repo.integrations.adk import GenieSessionService
from genie_repo.integrations.adk_events import decode_event

APP = "my_app"


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


@pytest.fixture
def service(db: Database) -> Iterator[GenieSessionService]:
    genie = GenieSessionService(db)
    yield genie
    run(genie.close())


def delta_event(delta: dict[str, Any], **fields: Any) -> Event:
    fields.setdefault("invocation_id", "inv")
    return Event(author="user", actions=EventActions(state_delta=delta), **fields)


async def reload(service: GenieSessionService, session: Session) -> Session:
    got = await service.get_session(app_name=session.app_name, user_id=session.user_id,
                                    session_id=session.id)
    assert got is not None
    return got


# -- create, get, list, delete ----------------------------------------------------------------


def test_missing_session_reads_as_none(service: GenieSessionService) -> None:
    assert run(service.get_session(app_name=APP, user_id="u", session_id="nope")) is None


def test_created_session_reads_back_equal_and_deletes(service: GenieSessionService) -> None:
    async def scenario() -> None:
        created = await service.create_session(app_name=APP, user_id="u", state={"k": "v"})
        assert created.id and created.state == {"k": "v"} and created.events == []
        assert created.last_update_time <= time.time()
        assert await reload(service, created) == created
        await service.delete_session(app_name=APP, user_id="u", session_id=created.id)
        assert await service.get_session(app_name=APP, user_id="u",
                                         session_id=created.id) is None
        await service.delete_session(app_name=APP, user_id="u", session_id=created.id)

    run(scenario())


def test_duplicate_id_is_already_exists_and_keeps_the_original(
    service: GenieSessionService,
) -> None:
    async def scenario() -> None:
        await service.create_session(app_name=APP, user_id="u", session_id="s",
                                     state={"keep": "original"})
        for clash in ("s", "  s\n"):
            with pytest.raises(AlreadyExistsError):
                await service.create_session(app_name=APP, user_id="u", session_id=clash,
                                             state={"keep": "clobbered", "app:x": 1})
        got = await service.get_session(app_name=APP, user_id="u", session_id="s")
        assert got is not None and got.state == {"keep": "original"}

    run(scenario())


def test_padded_ids_are_normalised_and_blank_ids_generated(service: GenieSessionService) -> None:
    async def scenario() -> None:
        created = await service.create_session(app_name=APP, user_id="u",
                                               session_id="order-42\n", state={"cart": "book"})
        assert created.id == "order-42"
        got = await service.get_session(app_name=APP, user_id="u", session_id="order-42\n")
        assert got is not None and got.id == "order-42" and got.state["cart"] == "book"
        await service.delete_session(app_name=APP, user_id="u", session_id=" order-42 ")
        assert await service.get_session(app_name=APP, user_id="u",
                                         session_id="order-42") is None
        blank = await service.create_session(app_name=APP, user_id="u", session_id="   ")
        assert blank.id.strip() == blank.id and blank.id

    run(scenario())


def test_list_sessions_of_one_user_or_every_user(service: GenieSessionService) -> None:
    async def scenario() -> None:
        for user, sid in (("u1", "a"), ("u1", "b"), ("u2", "c")):
            await service.create_session(app_name=APP, user_id=user, session_id=sid,
                                         state={"key": sid, "user:name": user})
        await service.create_session(app_name="other", user_id="u1", session_id="z")
        mine = (await service.list_sessions(app_name=APP, user_id="u1")).sessions
        assert {s.id: s.state for s in mine} == {
            "a": {"key": "a", "user:name": "u1"}, "b": {"key": "b", "user:name": "u1"}}
        everyone = (await service.list_sessions(app_name=APP)).sessions
        assert {(s.user_id, s.id) for s in everyone} == {("u1", "a"), ("u1", "b"), ("u2", "c")}
        assert all(s.events == [] for s in everyone)
        assert (await service.list_sessions(app_name=APP, user_id="nobody")).sessions == []

    run(scenario())


def test_list_sessions_is_oldest_update_first(service: GenieSessionService) -> None:
    async def scenario() -> None:
        for sid in ("a", "b", "c"):
            await service.create_session(app_name=APP, user_id="u", session_id=sid)
        a = await service.get_session(app_name=APP, user_id="u", session_id="a")
        assert a is not None
        await service.append_event(a, Event(author="user", timestamp=time.time() + 5))
        listed = (await service.list_sessions(app_name=APP, user_id="u")).sessions
        assert [s.id for s in listed] == ["b", "c", "a"]
        assert listed[-1].last_update_time == a.last_update_time

    run(scenario())


def test_get_session_respects_the_user(service: GenieSessionService) -> None:
    async def scenario() -> None:
        first = await service.create_session(app_name=APP, user_id="u1", session_id="s")
        await service.append_event(first, Event(author="user"))
        await service.create_session(app_name=APP, user_id="u2", session_id="s")
        other = await service.get_session(app_name=APP, user_id="u2", session_id="s")
        assert other is not None and other.user_id == "u2" and other.events == []

    run(scenario())


# -- state scopes -----------------------------------------------------------------------------


def test_state_scopes(service: GenieSessionService) -> None:
    async def scenario() -> None:
        s1 = await service.create_session(
            app_name=APP, user_id="u1", session_id="s1",
            state={"app:k1": "v1", "user:k1": "v1", "sk1": "v1", "temp:t": "gone"})
        assert s1.state == {"app:k1": "v1", "user:k1": "v1", "sk1": "v1"}
        await service.append_event(s1, delta_event({"app:k2": "v2", "user:k2": "v2",
                                                    "sk2": "v2"}))
        same_user = await service.create_session(app_name=APP, user_id="u1", session_id="s1b")
        assert same_user.state == {"app:k1": "v1", "app:k2": "v2", "user:k1": "v1",
                                   "user:k2": "v2"}
        other_user = await service.create_session(app_name=APP, user_id="u2", session_id="s2")
        assert other_user.state == {"app:k1": "v1", "app:k2": "v2"}
        got = await reload(service, s1)
        assert got.state == {"app:k1": "v1", "app:k2": "v2", "user:k1": "v1",
                             "user:k2": "v2", "sk1": "v1", "sk2": "v2"}

    run(scenario())


def test_deltas_replace_values_and_store_none(service: GenieSessionService) -> None:
    async def scenario() -> None:
        s1 = await service.create_session(
            app_name=APP, user_id="u1", session_id="s1",
            state={"profile": {"name": "ada", "role": "admin"}, "flag": True, "off": False,
                   "app:cfg": {"a": 1, "b": 2}, "user:pref": "dark"})
        await service.append_event(s1, delta_event({
            "profile": {"name": "bob"}, "flag": None, "new": True,
            "app:cfg": {"a": 9}, "user:pref": None}))
        for state in (s1.state, (await reload(service, s1)).state):
            assert state["profile"] == {"name": "bob"}
            assert "flag" in state and state["flag"] is None
            assert state["off"] is False and state["new"] is True
            assert state["app:cfg"] == {"a": 9}
            assert "user:pref" in state and state["user:pref"] is None
        fresh = await service.create_session(app_name=APP, user_id="u1", session_id="s2")
        assert fresh.state == {"app:cfg": {"a": 9}, "user:pref": None}

    run(scenario())


def test_temp_state_lives_in_the_session_object_only(service: GenieSessionService) -> None:
    async def scenario() -> None:
        session = await service.create_session(app_name=APP, user_id="u", session_id="s")
        event = delta_event({"temp:out": "a1", "sk": "v"})
        await service.append_event(session, event)
        assert session.state["temp:out"] == "a1"  # the next agent of this invocation reads it
        assert event.actions.state_delta == {"sk": "v"}
        got = await reload(service, session)
        assert "temp:out" not in got.state and got.state["sk"] == "v"
        assert got.events[0].actions.state_delta == {"sk": "v"}

    run(scenario())


def test_values_json_cannot_hold_are_stored_as_text(service: GenieSessionService) -> None:
    async def scenario() -> None:
        session = await service.create_session(app_name=APP, user_id="u")
        await service.append_event(session, delta_event({"callback": lambda: 1, "ok": 2}))
        got = await reload(service, session)
        assert len(got.events) == 1 and got.state["ok"] == 2
        assert isinstance(got.state["callback"], str)

    run(scenario())


def test_get_user_state(service: GenieSessionService) -> None:
    async def scenario() -> None:
        assert await service.get_user_state(app_name=APP, user_id="u1") == {}
        session = await service.create_session(app_name=APP, user_id="u1")
        await service.append_event(session, delta_event({"user:profile": {"name": "Alice"},
                                                         "user:counter": 1, "session_key": 1}))
        await service.append_event(session, delta_event({"user:counter": 2}))
        assert await service.get_user_state(app_name=APP, user_id="u1") == {
            "profile": {"name": "Alice"}, "counter": 2}
        assert await service.get_user_state(app_name=APP, user_id="u2") == {}
        assert await service.get_user_state(app_name="other_app", user_id="u1") == {}

    run(scenario())


# -- events -----------------------------------------------------------------------------------


def rich_event() -> Event:
    return Event(
        invocation_id="invocation", author="user",
        content=types.Content(role="user", parts=[types.Part(text="test_text")]),
        turn_complete=True, partial=False,
        actions=EventActions(artifact_delta={"file": 0}, transfer_to_agent="agent",
                             escalate=True, requested_tool_confirmations={
                                 "call-1": ToolConfirmation(hint="sure?", confirmed=False,
                                                            payload={"id": "album_1"})}),
        long_running_tool_ids={"tool1", "tool2"}, error_code="error_code",
        error_message="error_message", interrupted=True,
        grounding_metadata=types.GroundingMetadata(web_search_queries=["query1"]),
        usage_metadata=types.GenerateContentResponseUsageMetadata(
            prompt_token_count=1, candidates_token_count=1, total_token_count=2),
        citation_metadata=types.CitationMetadata(),
        custom_metadata={"custom_key": "custom_value", "nothing": None},
        timestamp=1_700_000_000.123, finish_reason=types.FinishReason.STOP,
        input_transcription=types.Transcription(text="in", finished=True),
        output_transcription=types.Transcription(text="out", finished=True),
    )


def tool_events() -> list[Event]:
    return [
        Event(author="model", content=types.Content(role="model", parts=[types.Part(
            function_call=types.FunctionCall(id="c1", name="lookup",
                                             args={"q": "x", "n": [1, {"deep": None}]}))])),
        Event(author="user", content=types.Content(role="user", parts=[types.Part(
            function_response=types.FunctionResponse(id="c1", name="lookup",
                                                     response={"rows": [1, 2]}))])),
        Event(author="user", content=types.Content(role="user", parts=[
            types.Part.from_bytes(data=b"\x89PNG\x00data", mime_type="image/png")]),
            grounding_metadata=types.GroundingMetadata(
                search_entry_point=types.SearchEntryPoint(sdk_blob=b"blob"))),
    ]


def test_events_round_trip_exactly(service: GenieSessionService) -> None:
    async def scenario() -> None:
        session = await service.create_session(app_name=APP, user_id="u")
        for event in [rich_event(), *tool_events()]:
            await service.append_event(session, event)
        got = await reload(service, session)
        assert got == session
        assert [e.model_dump() for e in got.events] == [e.model_dump() for e in session.events]
        assert got.events[-1].content == session.events[-1].content  # bytes survive

    run(scenario())


def test_stored_events_decode_like_full_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    for event in [rich_event(), *tool_events(), delta_event({"a": None, "b": {"c": [1]}})]:
        for payload in (event.model_dump_json(exclude_none=True, exclude_defaults=True),
                        event.model_dump_json(exclude_none=True)):
            decoded = decode_event(payload)
            assert decoded == Event.model_validate_json(payload) == event
            assert decoded.model_dump() == event.model_dump()
            decoded.actions.state_delta["mutated"] = 1  # nothing is shared between reads
            assert "mutated" not in decode_event(payload).actions.state_delta
    # ADK redacts credentials when it serialises auth requests: what comes back is what full
    # validation of the stored JSON gives.
    scheme = APIKey(**{"in": APIKeyIn.header, "name": "X-Key"})
    asking = Event(author="model", actions=EventActions(requested_auth_configs={
        "c1": AuthConfig(auth_scheme=scheme, raw_auth_credential=AuthCredential(
            auth_type=AuthCredentialTypes.API_KEY, api_key="secret"))}))
    payload = asking.model_dump_json(exclude_none=True, exclude_defaults=True)
    assert decode_event(payload) == Event.model_validate_json(payload)
    # Ordinary events never pay for full validation.
    monkeypatch.setattr(Event, "model_validate_json", None)
    for event in [rich_event(), *tool_events()[:2]]:
        assert decode_event(event.model_dump_json(exclude_none=True)) == event


def test_partial_events_are_not_stored(service: GenieSessionService) -> None:
    async def scenario() -> None:
        session = await service.create_session(app_name=APP, user_id="u")
        await service.append_event(session, Event(author="user", partial=True))
        assert session.events == []
        assert (await reload(service, session)).events == []

    run(scenario())


def test_last_update_time_is_the_appended_events_timestamp(
    service: GenieSessionService,
) -> None:
    async def scenario() -> None:
        session = await service.create_session(app_name=APP, user_id="u")
        created_at = session.last_update_time
        await service.append_event(session, Event(author="user", timestamp=created_at + 10))
        assert session.last_update_time == pytest.approx(created_at + 10, abs=1e-6)
        got = await reload(service, session)
        assert got.last_update_time == session.last_update_time

    run(scenario())


def test_get_session_config_limits_events(service: GenieSessionService) -> None:
    async def scenario() -> None:
        base = float(int(time.time()))
        session = await service.create_session(app_name=APP, user_id="u")
        for i in range(1, 6):
            await service.append_event(session, Event(author="user", timestamp=base + i))

        async def stamps(**config: Any) -> list[float]:
            got = await service.get_session(app_name=APP, user_id="u", session_id=session.id,
                                            config=GetSessionConfig(**config))
            assert got is not None and got.state == session.state
            return [e.timestamp - base for e in got.events]

        assert await stamps() == [1, 2, 3, 4, 5]
        assert await stamps(num_recent_events=0) == []
        assert await stamps(num_recent_events=3) == [3, 4, 5]
        assert await stamps(after_timestamp=base + 4) == [4, 5]
        assert await stamps(after_timestamp=base + 50) == []
        assert await stamps(after_timestamp=base + 4, num_recent_events=3) == [4, 5]
        assert await stamps(after_timestamp=base + 1, num_recent_events=2) == [4, 5]
        with pytest.raises(ValueError):
            GetSessionConfig(num_recent_events=-1)

    run(scenario())


def test_a_redelivered_event_is_stored_once(service: GenieSessionService) -> None:
    async def scenario() -> None:
        session = await service.create_session(app_name=APP, user_id="u")
        event = delta_event({"user:count": 1})
        await service.append_event(session, event)
        await service.append_event(session, event)
        assert len(session.events) == 1
        assert [e.id for e in (await reload(service, session)).events] == [event.id]

    run(scenario())


# -- not found and stale ----------------------------------------------------------------------


def test_append_to_a_deleted_session_is_not_found(service: GenieSessionService) -> None:
    async def scenario() -> None:
        session = await service.create_session(app_name=APP, user_id="u")
        await service.delete_session(app_name=APP, user_id="u", session_id=session.id)
        with pytest.raises(SessionNotFoundError):
            await service.append_event(session, delta_event({"user:x": 1}))
        assert await service.get_user_state(app_name=APP, user_id="u") == {}
        never = Session(id="never", app_name=APP, user_id="u")
        with pytest.raises(SessionNotFoundError):
            await service.append_event(never, Event(author="user"))

    run(scenario())


def test_a_superseded_session_object_is_stale(service: GenieSessionService) -> None:
    async def scenario() -> None:
        now = time.time()
        original = await service.create_session(app_name=APP, user_id="u")
        await service.append_event(original, delta_event({"sk1": "v1"}, invocation_id="inv1",
                                                         timestamp=now + 1))
        updated = await reload(service, original)
        await service.append_event(updated, delta_event({"sk2": "v2"}, invocation_id="inv2",
                                                        timestamp=now + 2))
        with pytest.raises(StaleSessionError, match="modified in storage"):
            await service.append_event(original, delta_event(
                {"sk3": "v3", "user:u": 1}, invocation_id="inv3", timestamp=now + 3))
        final = await reload(service, original)
        assert [e.invocation_id for e in final.events] == ["inv1", "inv2"]
        assert "sk3" not in final.state and "user:u" not in final.state

    run(scenario())


def test_staleness_never_compares_clocks(service: GenieSessionService) -> None:
    async def scenario() -> None:
        session = await service.create_session(app_name=APP, user_id="u")
        copy_ahead = copy.deepcopy(session)
        # An event stamped long before the session's last update (a client clock behind) is
        # fine on a current session object ...
        await service.append_event(session, Event(author="user", timestamp=1_000.0))
        await service.append_event(session, Event(author="user", timestamp=500.0))
        assert len((await reload(service, session)).events) == 2
        # ... and a copy taken before them is stale however far ahead its clock claims to be.
        copy_ahead.last_update_time = time.time() + 86_400
        with pytest.raises(StaleSessionError):
            await service.append_event(copy_ahead, Event(author="user"))

    run(scenario())


def test_concurrent_copies_of_one_revision_let_exactly_one_append(
    service: GenieSessionService,
) -> None:
    async def scenario() -> None:
        session = await service.create_session(app_name=APP, user_id="u")
        for i in range(6):
            latest = await reload(service, session)
            copies = [copy.deepcopy(latest), copy.deepcopy(latest)]
            results = await asyncio.gather(
                *(service.append_event(c, delta_event({f"k{i}-{n}": n}))
                  for n, c in enumerate(copies)),
                return_exceptions=True)
            assert sum(isinstance(r, StaleSessionError) for r in results) == 1
            assert sum(isinstance(r, Event) for r in results) == 1
        final = await reload(service, session)
        assert len(final.events) == 6
        assert all(sum(f"k{i}-{n}" in final.state for n in (0, 1)) == 1 for i in range(6))

    run(scenario())


def test_a_session_object_without_a_marker_is_checked_by_its_events(
    service: GenieSessionService,
) -> None:
    async def scenario() -> None:
        session = await service.create_session(app_name=APP, user_id="u")
        await service.append_event(session, Event(author="user", invocation_id="inv1"))
        current = Session.model_validate(session.model_dump())  # no storage marker
        await service.append_event(current, Event(author="user", invocation_id="inv2"))
        behind = Session(id=session.id, app_name=APP, user_id="u", events=session.events)
        with pytest.raises(StaleSessionError):
            await service.append_event(behind, Event(author="user", invocation_id="inv3"))
        got = await reload(service, session)
        assert [e.invocation_id for e in got.events] == ["inv1", "inv2"]

    run(scenario())


def test_eight_tasks_sharing_a_session_lose_nothing(service: GenieSessionService) -> None:
    async def scenario() -> None:
        session = await service.create_session(app_name=APP, user_id="u")

        async def worker(n: int) -> None:
            for i in range(5):
                await service.append_event(session, delta_event(
                    {f"user:w{n}-{i}": i, f"w{n}": i}, invocation_id=f"w{n}-{i}"))

        await asyncio.gather(*(worker(n) for n in range(8)))
        got = await reload(service, session)
        assert len(got.events) == 40
        assert [e.id for e in got.events] == [e.id for e in session.events]
        for n in range(8):
            mine = [e.invocation_id for e in got.events if e.invocation_id.startswith(f"w{n}-")]
            assert mine == [f"w{n}-{i}" for i in range(5)]
            assert got.state[f"w{n}"] == 4
        user_state = await service.get_user_state(app_name=APP, user_id="u")
        assert user_state == {f"w{n}-{i}": i for n in range(8) for i in range(5)}

    run(scenario())
