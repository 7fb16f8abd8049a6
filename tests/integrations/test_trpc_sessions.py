"""GenieSessionService: SDK semantics, and regressions for every defect of the SDK's own SQL
session service (trpc_agent_py.md section 5)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import psycopg
from google.genai import types
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trpc_agent_sdk.events import Event, EventActions
from trpc_agent_sdk.sessions import Session, SessionServiceConfig

from genie_repo.config import Config
from genie_repo.db import open_database
from genie_repo.db.protocol import Database
from genie_repo.errors import InvalidInput
from genie_repo.integrations.trpc_agent import GenieSessionService
from genie_repo.models.sessions import SessionKey, UserKey
from genie_repo.stores.sessions import SessionStore
from tests.clock import FakeClock

APP = "app"
NOW = 1_795_000_000.0


def config_of(**options: Any) -> SessionServiceConfig:
    config = SessionServiceConfig(**options)
    config.clean_ttl_config()
    return config


def event(number: int, author: str = "user", delta: dict[str, Any] | None = None,
          **fields: Any) -> Event:
    role = "user" if author == "user" else "model"
    return Event(
        id=f"e{number}", invocation_id=f"inv{number}", author=author,
        timestamp=fields.pop("timestamp", NOW + number),
        content=types.Content(role=role, parts=[types.Part(text=f"m{number}")]),
        actions=EventActions(state_delta=delta or {}), **fields,
    )


def texts(events: list[Event]) -> list[str]:
    return ["".join(p.text or "" for p in (e.content.parts or [])) if e.content else ""
            for e in events]


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


async def fill(service: GenieSessionService, count: int, session_id: str = "s") -> Session:
    session = await service.create_session(app_name=APP, user_id="u", session_id=session_id)
    for number in range(count):
        await service.append_event(session, event(number, "user" if number % 2 == 0 else "bot"))
    return session


async def reload(service: GenieSessionService, session_id: str = "s") -> Session:
    session = await service.get_session(app_name=APP, user_id="u", session_id=session_id)
    assert session is not None
    return session


def test_events_come_back_equal_after_a_restart(config: Config) -> None:
    rich = Event(
        id="rich", invocation_id="inv", author="assistant", branch="root.assistant",
        filter_key="root", request_id="req", tag="t", object="graph.node.start",
        timestamp=NOW, error_code="E", error_message="x" * 5000, turn_complete=True,
        long_running_tool_ids={"call-1", "call-2"}, custom_metadata={"k": [1, {"n": None}]},
        content=types.Content(role="model", parts=[
            types.Part(text="héllo \u2603"),
            types.Part(inline_data=types.Blob(mime_type="image/png", data=b"\x00\x01\xff")),
            types.Part(function_call=types.FunctionCall(id="call-1", name="f", args={"a": 1})),
            types.Part(file_data=types.FileData(file_uri="gs://b/f", mime_type="text/plain")),
            types.Part(text=""),
        ]),
        usage_metadata=types.GenerateContentResponseUsageMetadata(prompt_token_count=3),
        actions=EventActions(state_delta={"k": 1}, artifact_delta={"a": 2}, escalate=True),
    )

    async def write() -> dict[str, Any]:
        db = open_database(config)
        service = GenieSessionService(db)
        session = await service.create_session(app_name=APP, user_id="u", session_id="s")
        returned = await service.append_event(session, rich.model_copy(deep=True))
        await service.close()
        db.close()
        dumped: dict[str, Any] = returned.model_dump()
        return dumped

    async def read() -> Session:
        db = open_database(config)
        service = GenieSessionService(db)
        try:
            return await reload(service)
        finally:
            await service.close()
            db.close()

    written = run(write())
    session = run(read())
    assert [e.model_dump() for e in session.events] == [written] == [rich.model_dump()]


def test_state_prefixes_route_and_temp_is_never_stored(db: Database) -> None:
    async def scenario() -> None:
        service = GenieSessionService(db)
        session = await service.create_session(
            app_name=APP, user_id="u", session_id="s",
            state={"k": 1, "app:model": "m", "user:lang": "en", "temp:scratch": 0})
        assert session.state == {"k": 1, "app:model": "m", "user:lang": "en"}
        returned = await service.append_event(
            session, event(1, delta={"k": 2, "user:lang": "fr", "temp:t": 9}))
        assert session.state["temp:t"] == 9  # visible within the invocation
        assert returned.actions.state_delta == {"k": 2, "user:lang": "fr"}
        other = await service.create_session(app_name=APP, user_id="u", session_id="s2")
        stranger = await service.create_session(app_name=APP, user_id="v", session_id="s3")
        assert other.state == {"app:model": "m", "user:lang": "fr"}
        assert stranger.state == {"app:model": "m"}
        assert (await reload(service)).state == {"k": 2, "app:model": "m", "user:lang": "fr"}
        store = SessionStore(db)
        assert store.list_session_states(SessionKey(APP, "u", "s")) == {"k": 2}
        assert store.list_user_states(UserKey(APP, "u")) == {"lang": "fr"}
        await service.close()

    run(scenario())


def test_partial_events_and_unknown_sessions_change_nothing(db: Database) -> None:
    async def scenario() -> None:
        service = GenieSessionService(db)
        session = await fill(service, 2)
        partial = event(7, partial=True)
        assert await service.append_event(session, partial) is partial
        ghost = Session(id="ghost", app_name=APP, user_id="u", save_key=f"{APP}/u",
                        state={"a": 1})
        before = ghost.model_dump()
        await service.append_event(ghost, event(8, delta={"a": 2, "temp:x": 1}))
        assert ghost.model_dump() == before
        await service.update_session(ghost)
        await service.update_session_state(ghost, {"b": 1})
        assert await service.get_session(app_name=APP, user_id="u", session_id="ghost") is None
        assert texts((await reload(service)).events) == ["m0", "m1"]
        await service.close()

    run(scenario())


def test_a_rejected_append_leaves_the_session_object_as_it_was(db: Database) -> None:
    async def scenario() -> None:
        service = GenieSessionService(db)
        session = await fill(service, 1)
        before = session.model_dump()
        bad = event(5, delta={"ok": 1, "temp:t": 1, "bad": float("nan")})
        try:
            await service.append_event(session, bad)
        except InvalidInput:
            pass
        else:
            raise AssertionError("a NaN state value must be InvalidInput")
        assert session.model_dump() == before
        assert set(bad.actions.state_delta) == {"ok", "temp:t", "bad"}
        assert texts((await reload(service)).events) == ["m0"]
        await service.close()

    run(scenario())


def test_update_session_after_a_limited_read_keeps_unread_events(db: Database) -> None:
    async def scenario() -> None:
        writer = GenieSessionService(db)
        await fill(writer, 10)
        limited = GenieSessionService(db, session_config=config_of(num_recent_events=3))
        window = await reload(limited)
        assert texts(window.events) == ["m8", "m9"]  # cut forward to the first user event
        window.events[-1].custom_metadata = {"edited": True}
        await limited.update_session(window)
        everything = await reload(writer)
        assert texts(everything.events) == [f"m{n}" for n in range(10)]
        assert everything.events[-1].custom_metadata == {"edited": True}
        await writer.close()
        await limited.close()

    run(scenario())


def test_update_session_keeps_events_appended_by_others(db: Database) -> None:
    async def scenario() -> None:
        service = GenieSessionService(db)
        await fill(service, 4)
        first, second = await reload(service), await reload(service)
        await service.append_event(second, event(10, "bot"))
        first.compact_events(event(99, "system"), "e1", compaction_id="c1")
        await service.update_session(first)
        assert texts((await reload(service)).events) == ["m99", "m2", "m3", "m10"]
        await service.close()

    run(scenario())


def test_summary_stays_first_and_replaced_events_become_history(db: Database) -> None:
    async def scenario() -> None:
        keep = GenieSessionService(db, session_config=config_of(store_historical_events=True))
        session = await fill(keep, 6)
        summary = event(50, "system", timestamp=NOW + 1000)  # newer than every event
        summary.set_summary_event(True)
        session.events = [summary, *session.events[3:]]
        session.historical_events = [*session.historical_events, *(await reload(keep)).events[:3]]
        await keep.update_session(session)
        stored = await reload(keep)
        assert texts(stored.events) == ["m50", "m3", "m4", "m5"]
        assert texts(stored.historical_events) == ["m0", "m1", "m2"]
        # A second compaction of the same object keeps the earlier history and order.
        assert stored.compact_events(event(60, "system"), "e4", compaction_id="c2")
        await keep.update_session(stored)
        again = await reload(keep)
        assert texts(again.events) == ["m60", "m5"]
        assert texts(again.historical_events) == ["m0", "m1", "m2", "m50", "m3", "m4"]
        await keep.close()

    run(scenario())


def test_new_events_in_the_middle_move_later_ones_up(db: Database) -> None:
    async def scenario() -> None:
        service = GenieSessionService(db)
        session = await fill(service, 3)
        session.events.insert(1, event(20, "bot"))
        session.events.insert(2, event(21, "bot"))
        await service.update_session(session)
        assert texts((await reload(service)).events) == ["m0", "m20", "m21", "m1", "m2"]
        await service.append_event(session, event(3, "bot"))
        assert texts((await reload(service)).events) == ["m0", "m20", "m21", "m1", "m2", "m3"]
        await service.close()

    run(scenario())


def test_update_session_splits_prefixes_and_writes_only_changes(db: Database) -> None:
    async def scenario() -> None:
        service = GenieSessionService(db)
        session = await service.create_session(
            app_name=APP, user_id="u", session_id="s", state={"keep": 1, "drop": 2})
        elsewhere = await service.create_session(app_name=APP, user_id="u", session_id="s2")
        await service.update_session_state(elsewhere, {"user:count": 5})  # not seen by session
        session.state.update({"app:a": 1, "user:b": 2, "temp:c": 3, "keep": 10})
        del session.state["drop"]
        session.conversation_count = 4
        await service.update_session(session)
        stored = await reload(service)
        assert stored.state == {"keep": 10, "app:a": 1, "user:b": 2, "user:count": 5}
        assert stored.conversation_count == 4
        store = SessionStore(db)
        assert store.list_session_states(SessionKey(APP, "u", "s")) == {"keep": 10}
        await service.update_session_state(stored, {"app:a": 7, "temp:t": 1, "x": 1})
        assert stored.state["temp:t"] == 1
        assert (await reload(service)).state == {
            "keep": 10, "x": 1, "app:a": 7, "user:b": 2, "user:count": 5}
        await service.close()

    run(scenario())


def test_max_events_trims_storage_into_history(db: Database) -> None:
    async def scenario() -> None:
        service = GenieSessionService(
            db, session_config=config_of(max_events=3, store_historical_events=True))
        session = await fill(service, 7)
        assert texts(session.events) == ["m4", "m5", "m6"]
        stored = await reload(service)
        assert texts(stored.events) == ["m4", "m5", "m6"]
        assert texts(stored.historical_events) == ["m0", "m1", "m2", "m3"]
        plain = GenieSessionService(db, session_config=config_of(max_events=3))
        other = await fill(plain, 7, session_id="t")
        assert texts((await reload(plain, "t")).events) == texts(other.events)
        assert (await reload(plain, "t")).historical_events == []
        await service.close()
        await plain.close()

    run(scenario())


def test_event_ttl_filters_the_read_view_and_keeps_an_anchor(db: Database) -> None:
    async def scenario() -> None:
        now = time.time()
        service = GenieSessionService(db, session_config=config_of(event_ttl_seconds=60))
        session = await service.create_session(app_name=APP, user_id="u", session_id="s")
        await service.append_event(session, event(0, "user", timestamp=now - 3600))
        await service.append_event(session, event(1, "bot", timestamp=now - 3500))
        await service.append_event(session, event(2, "user", timestamp=now - 10))
        await service.append_event(session, event(3, "bot", timestamp=now - 5))
        assert texts((await reload(service)).events) == ["m2", "m3"]
        stale = await service.create_session(app_name=APP, user_id="u", session_id="t")
        await service.append_event(stale, event(4, "user", timestamp=now - 7200))
        await service.append_event(stale, event(5, "bot", timestamp=now - 7100))
        # Nothing is recent: the SDK keeps the latest user event as the window's anchor.
        assert texts((await reload(service, "t")).events) == ["m4"]
        await service.close()

    run(scenario())


def test_session_ttl_uses_the_database_time_and_a_utc_clock(db: Database) -> None:
    clock = FakeClock()
    config = SessionServiceConfig(ttl=SessionServiceConfig.create_ttl_config(ttl_seconds=60))

    async def scenario() -> None:
        service = GenieSessionService(db, session_config=config, clock=clock)
        await service.create_session(app_name=APP, user_id="u", session_id="s")
        await service.create_session(app_name=APP, user_id="u", session_id="idle")
        clock.advance(seconds=45)
        assert await service.get_session(app_name=APP, user_id="u", session_id="s")
        clock.advance(seconds=45)  # 90 s after creation, 45 s after the last read
        assert await service.get_session(app_name=APP, user_id="u", session_id="s")
        assert await service.get_session(app_name=APP, user_id="u", session_id="idle") is None
        listed = await service.list_sessions(app_name=APP, user_id="u")
        assert [s.id for s in listed.sessions] == ["s"]
        assert await service.cleanup_expired() == 1
        assert [s.session_id for s in SessionStore(db).list_sessions(UserKey(APP, "u")).sessions
                ] == ["s"]
        await service.close()

    run(scenario())


def test_delete_cascades_to_events_history_state_and_count(db: Database) -> None:
    async def scenario() -> None:
        service = GenieSessionService(
            db, session_config=config_of(max_events=2, store_historical_events=True))
        session = await service.create_session(app_name=APP, user_id="u", session_id="s",
                                               state={"k": 1, "user:u": 1})
        session.conversation_count = 3
        for number in range(5):
            await service.append_event(session, event(number))
        await service.delete_session(app_name=APP, user_id="u", session_id="s")
        await service.delete_session(app_name=APP, user_id="u", session_id="s")  # idempotent
        assert await service.get_session(app_name=APP, user_id="u", session_id="s") is None
        assert SessionStore(db).list_events(SessionKey(APP, "u", "s")) == []
        fresh = await service.create_session(app_name=APP, user_id="u", session_id="s")
        again = await reload(service)
        assert (again.events, again.historical_events, again.conversation_count) == ([], [], 0)
        assert fresh.state == again.state == {"user:u": 1}  # user state outlives sessions
        await service.close()

    run(scenario())


def test_create_with_an_existing_id_starts_afresh_and_ids_are_stripped(db: Database) -> None:
    async def scenario() -> None:
        service = GenieSessionService(db)
        await fill(service, 3)
        again = await service.create_session(app_name=APP, user_id="u", session_id="  s ",
                                             state={"new": True})
        assert again.id == "s"
        assert (await reload(service)).events == []
        generated = await service.create_session(app_name=APP, user_id="u", session_id="  ")
        assert len(generated.id) == 36
        await service.close()

    run(scenario())


def test_list_sessions_merges_state_across_users(db: Database) -> None:
    async def scenario() -> None:
        service = GenieSessionService(db)
        await service.create_session(app_name=APP, user_id="u", session_id="a",
                                     state={"x": 1, "app:g": 1, "user:p": "u"})
        await service.create_session(app_name=APP, user_id="v", session_id="b",
                                     state={"user:p": "v"})
        await service.create_session(app_name="other", user_id="u", session_id="c")
        everyone = await service.list_sessions(app_name=APP)
        assert {(s.user_id, s.id): s.state for s in everyone.sessions} == {
            ("u", "a"): {"x": 1, "app:g": 1, "user:p": "u"},
            ("v", "b"): {"app:g": 1, "user:p": "v"},
        }
        assert all(s.events == [] and s.save_key == f"{APP}/{s.user_id}"
                   for s in everyone.sessions)
        only_v = await service.list_sessions(app_name=APP, user_id="v")
        assert [s.id for s in only_v.sessions] == ["b"]
        assert (await service.list_sessions(app_name="none")).sessions == []
        await service.close()

    run(scenario())


class CountingDatabase:
    """A Database that counts the statements it runs (every verb is one statement)."""

    def __init__(self, inner: Database) -> None:
        self.inner = inner
        self.statements = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _count(self, verb: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.statements += 1
            return getattr(self.inner, verb)(*args, **kwargs)
        return call

    def transaction(self, readonly: bool = False) -> AbstractContextManager[Any]:
        return self.inner.transaction(readonly=readonly)

    def __getattribute__(self, name: str) -> Any:
        if name in ("execute", "execute_many", "fetch_one", "fetch_all", "fetch_value"):
            return object.__getattribute__(self, "_count")(name)
        return object.__getattribute__(self, name)


def test_reads_take_a_constant_number_of_statements(db: Database) -> None:
    counting = CountingDatabase(db)

    async def scenario() -> None:
        service = GenieSessionService(counting, session_config=config_of(
            num_recent_events=50, store_historical_events=True))
        for session_id in ("a", "b", "c"):
            await fill(service, 40 if session_id != "a" else 300, session_id)
        counting.statements = 0
        session = await reload(service, "a")
        assert len(session.events) == 50
        assert counting.statements <= 2
        counting.statements = 0
        assert len((await service.list_sessions(app_name=APP)).sessions) == 3
        assert counting.statements <= 3
        counting.statements = 0
        await service.append_event(session, event(1000, "bot"))
        assert counting.statements <= 2
        await service.close()

    run(scenario())


def test_concurrent_appends_and_user_keys_lose_nothing(db: Database) -> None:
    async def scenario() -> None:
        service = GenieSessionService(db)
        await service.create_session(app_name=APP, user_id="u", session_id="s")

        async def writer(task: int) -> None:
            session = await reload(service)  # each task holds its own copy
            for number in range(10):
                await service.append_event(session, event(
                    task * 100 + number, delta={f"user:k{task}_{number}": number,
                                                f"n{task}": number}))

        await asyncio.gather(*(writer(task) for task in range(4)))
        stored = await reload(service)
        assert len(stored.events) == 40
        assert len({e.id for e in stored.events}) == 40
        assert sum(key.startswith("user:") for key in stored.state) == 40
        assert all(stored.state[f"n{task}"] == 9 for task in range(4))
        await service.close()

    run(scenario())


def test_summary_text_is_stored_with_the_session(db: Database) -> None:
    async def scenario() -> None:
        service = GenieSessionService(db)
        session = await fill(service, 2)
        assert await service.get_session_summary(session) is None
        SessionStore(db).put_summary(SessionKey(APP, "u", "s"), "", "they said hi")
        assert await service.get_session_summary(await reload(service)) == "they said hi"
        await service.close()

    run(scenario())


def test_events_of_sessions_iterate_in_append_order(db: Database) -> None:
    async def scenario() -> None:
        service = GenieSessionService(db)
        session = await service.create_session(app_name=APP, user_id="u", session_id="s")
        for number, stamp in enumerate([5.0, 1.0, 3.0, 1.0]):  # out of time order, with a tie
            await service.append_event(session, event(number, timestamp=NOW + stamp))
        assert texts((await reload(service)).events) == ["m0", "m1", "m2", "m3"]
        await service.close()

    run(scenario())


def test_no_time_zone_makes_a_session_stale(config: Config, dialect: str) -> None:
    """The SDK's SQL service read a naive server-local `now()` as app-local time: a server east
    of the app dropped the user's message, one west of it expired every session. Here the app
    runs in Los Angeles and the PostgreSQL session asks for Shanghai time."""
    if dialect == "postgres":
        conninfo = psycopg.conninfo.conninfo_to_dict(config.dsn or "")
        options = f"{conninfo.get('options', '')} -c TimeZone=Asia/Shanghai".strip()
        config = dataclasses.replace(
            config, dsn=psycopg.conninfo.make_conninfo(config.dsn or "", options=options))
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "America/Los_Angeles"
    time.tzset()
    try:
        db = open_database(config)
        hour = SessionServiceConfig(ttl=SessionServiceConfig.create_ttl_config(ttl_seconds=3600))

        async def scenario() -> None:
            service = GenieSessionService(db, session_config=hour)
            session = await service.create_session(app_name=APP, user_id="u", session_id="s")
            await service.append_event(session, event(1, timestamp=time.time()))
            assert texts(session.events) == ["m1"]
            stored = await reload(service)
            assert texts(stored.events) == ["m1"]
            assert abs(stored.last_update_time - time.time()) < 600
            await service.close()

        run(scenario())
        db.close()
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=15,
          deadline=None)
@given(authors=st.lists(st.sampled_from(["user", "bot"]), min_size=1, max_size=8),
       boundary=st.integers(0, 7), keep_history=st.booleans())
def test_retried_writes_store_once(
    dialect: str, make_db: Callable[[str], Database],
    authors: list[str], boundary: int, keep_history: bool,
) -> None:
    """A retried append (same event id, e.g. after a lost reply) and a repeated update_session
    leave storage exactly as a single call does."""
    db = make_db(dialect)

    async def scenario() -> None:
        service = GenieSessionService(
            db, session_config=config_of(store_historical_events=keep_history))
        session = await service.create_session(app_name=APP, user_id="u", session_id="s")
        for number, author in enumerate(authors):
            await service.append_event(session, event(number, author, {"n": number}))
            retry = await reload(service)  # another process retrying the same event
            await service.append_event(retry, event(number, author, {"n": number}))
        once = await reload(service)
        assert texts(once.events) == [f"m{n}" for n in range(len(authors))]
        cut = min(boundary, len(once.events) - 1)
        once.compact_events(event(90, "system"), once.events[cut].id, compaction_id="c")
        await service.update_session(once)
        first = (await reload(service)).model_dump(exclude={"last_update_time"})
        await service.update_session(once)
        assert (await reload(service)).model_dump(exclude={"last_update_time"}) == first
        await service.close()

    try:
        run(scenario())
    finally:
        db.close()
