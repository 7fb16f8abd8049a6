"""Sessions: append_event and get_session against single statements of the bare driver."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from bench.core import Bench, Case, Dialect, Target
from bench.env import Env
from bench.raw import Raw
from genie_repo.models.sessions import Event, SessionKey
from genie_repo.stores.sessions import SessionStore
from genie_repo.timestamps import utc_now

APP = "bench"
# A 1 KB framework event, the payload the target is stated for.
PAYLOAD = json.dumps({"author": "agent", "content": {"parts": [{"text": "x" * 940}]},
                      "actions": {}}, separators=(",", ":"))
assert 1000 <= len(PAYLOAD) <= 1030

INSERT_EVENT = (
    "INSERT INTO session_events (app_name, user_id, session_id, seq, event_id, author,"
    " timestamp, event_data, created_at)"
    " VALUES (:app, :user, :session, :seq, :event_id, 'agent', :ts, :data, :ts)"
)
INSERT_SESSION = (
    "INSERT INTO sessions (app_name, user_id, session_id, created_at, updated_at)"
    " VALUES (:app, :user, :session, :ts, :ts)"
)
# The SQLite floor: the same payload into a table with only a primary key.
CREATE_MINIMAL = ("CREATE TABLE IF NOT EXISTS bench_minimal_events"
                  " (id INTEGER PRIMARY KEY, event_data TEXT NOT NULL)")
INSERT_MINIMAL = "INSERT INTO bench_minimal_events (id, event_data) VALUES (:id, :data)"
SELECT_EVENTS = (
    "SELECT seq, event_id, invocation_id, author, filter_key, timestamp, event_data"
    " FROM session_events WHERE app_name = :app AND user_id = :user AND session_id = :session"
    " ORDER BY seq DESC LIMIT :limit"
)


def event(i: int) -> Event:
    """A 1 KB event with a 2-key session-state delta."""
    return Event(author="agent", invocation_id="inv-1", payload=PAYLOAD,
                 state_delta={"turn": i, "last_tool": "search"})


def new_session(store: SessionStore, env: Env) -> SessionKey:
    key = SessionKey(APP, env.unique("user"), env.unique("session"))
    store.create_session(key)
    return key


def raw_session(raw: Raw, env: Env) -> dict[str, object]:
    """A session row for the baseline's events (PostgreSQL enforces the foreign key)."""
    params: dict[str, object] = {"app": APP, "user": env.unique("user"),
                                 "session": env.unique("raw-session"), "ts": raw.time(utc_now())}
    raw.statement(INSERT_SESSION)(params)
    return params


def raw_appender(raw: Raw, env: Env, start: int = 1) -> Callable[[], object]:
    """The baseline append: one single-row INSERT of a 1 KB event, autocommit."""
    insert = raw.statement(INSERT_EVENT)
    session = raw_session(raw, env)
    seqs: Iterator[int] = iter(range(start, 10**12))
    ids = [str(uuid.uuid4()) for _ in range(env.calls)]
    event_ids = iter(ids)

    def append() -> object:
        return insert({**session, "seq": next(seqs), "event_id": next(event_ids),
                       "data": PAYLOAD, "ts": raw.time(utc_now())})

    return append


def minimal_appender(raw: Raw, env: Env) -> Callable[[], object]:
    """The SQLite baseline append: one single-row INSERT of the 1 KB payload into a table with
    only a primary key, autocommit."""
    raw.statement(CREATE_MINIMAL)({})
    insert = raw.statement(INSERT_MINIMAL)
    first = int(raw.statement("SELECT COALESCE(MAX(id), 0) FROM bench_minimal_events")({})[0][0])
    ids: Iterator[int] = iter(range(first + 1, 10**12))

    def append() -> object:
        return insert({"id": next(ids), "data": PAYLOAD})

    return append


def _append_event(env: Env) -> Case:
    store = SessionStore(env.db)
    raw = Raw.of(env)
    key = new_session(store, env)
    events = iter([event(i) for i in range(env.calls)])
    baseline = minimal_appender(raw, env) if env.dialect == "sqlite" else raw_appender(raw, env)
    return Case(lambda: store.append_event(key, next(events)), baseline)


def filled_session(store: SessionStore, env: Env, events: int) -> SessionKey:
    key = new_session(store, env)
    for i in range(events):
        store.append_event(key, event(i))
    return key


def raw_reader(raw: Raw, key: SessionKey, limit: int) -> Callable[[], object]:
    """The baseline read: one range SELECT of the newest `limit` events, each payload decoded."""
    select = raw.statement(SELECT_EVENTS)
    params = {"app": key.app_name, "user": key.user_id, "session": key.session_id,
              "limit": limit}
    loads = json.loads

    def read() -> object:
        return [loads(row[6]) for row in select(params)]

    return read


def _get_session(env: Env) -> Case:
    store = SessionStore(env.db)
    key = filled_session(store, env, 200 if env.quick else 1000)
    return Case(lambda: store.get_session(key, event_limit=200),
                raw_reader(Raw.of(env), key, 200))


def benches() -> list[Bench]:
    targets: dict[Dialect, tuple[float, float]] = {"sqlite": (0.3, 0.6),
                                                   "postgres": (0.55, 0.7)}
    append_baselines: dict[Dialect, str] = {
        "sqlite": "raw single-row INSERT into a PK-only table, autocommit",
        "postgres": "raw single-row INSERT into session_events, autocommit",
    }
    out: list[Bench] = []
    for dialect, (append_target, get_target) in targets.items():
        out += [
            Bench("sessions", "append_event", dialect,
                  append_baselines[dialect], Target.ratio(append_target),
                  _append_event, note="1 KB payload, 2-key session-state delta"),
            Bench("sessions", "get_session", dialect,
                  "raw range SELECT of 200 rows + json.loads", Target.ratio(get_target),
                  _get_session, note="newest 200 of 1,000 events, merged state", cost=0.3),
            Bench("sessions", "trpc.get_session", dialect,
                  "building the 400 SDK Events from JSON (the floor)", Target.ratio(0.67),
                  _trpc_get_session, note="trpc-agent-py GenieSessionService, 400 events",
                  cost=0.1),
        ]
    return out


def sdk_event(i: int) -> Any:
    """A trpc-agent-py event of a conversation turn (~1 KB of text), the service's own input."""
    from google.genai import types
    from trpc_agent_sdk.events import Event as SdkEvent
    from trpc_agent_sdk.events import EventActions

    author = "user" if i % 2 == 0 else "agent"
    return SdkEvent(
        invocation_id=f"inv-{i // 2}", author=author,
        content=types.Content(role="user" if author == "user" else "model",
                              parts=[types.Part(text=f"turn {i} " + "x" * 900)]),
        actions=EventActions(state_delta={"turn": i}),
    )


def _trpc_get_session(env: Env) -> Case:
    """trpc-agent-py's `get_session` of a 400-event session against its floor: building the
    400 SDK Events from their stored JSON (pydantic's own model_validate_json), sync."""
    from trpc_agent_sdk.events import Event as SdkEvent

    from genie_repo.integrations.trpc_agent import GenieSessionService

    service = GenieSessionService(env.db)
    user, session_id = env.unique("user"), env.unique("trpc-session")
    count = 100 if env.quick else 400

    async def fill() -> list[str]:
        session = await service.create_session(app_name=APP, user_id=user, session_id=session_id)
        for i in range(count):
            await service.append_event(session, sdk_event(i))
        return [e.model_dump_json() for e in session.events]

    stored = env.loop.run_until_complete(fill())
    validate = SdkEvent.model_validate_json

    def floor() -> object:
        return [validate(text) for text in stored]

    return Case(lambda: service.get_session(app_name=APP, user_id=user, session_id=session_id),
                floor, asynchronous=True,
                teardown=lambda: env.loop.run_until_complete(service.close()))
