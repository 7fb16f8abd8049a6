"""Google ADK: `GenieSessionService` against ADK's own `DatabaseSessionService` (SQLAlchemy).

Both sides are awaited on the run's event loop through ADK's public API, with the same events.
The peer runs at its defaults (`sqlite+aiosqlite` on its own file: rollback journal,
synchronous=FULL; `postgresql+asyncpg` in its own schema of the run's database, pool_pre_ping
on). On SQLite one more row runs ours at equal durability (`durability="full"`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.adk.sessions.database_session_service import DatabaseSessionService
from google.adk.sessions.session import Session
from google.genai import types

from bench.core import Bench, Case, Target
from bench.env import Env
from genie_repo import Config, migrate, open_database
from genie_repo.integrations.adk import GenieSessionService

APP = "adk-bench"
TEXT = "The invoice for order 4411 lists two seats, but we booked three. " * 4


def event(i: int, timestamp: float) -> Event:
    """A model turn of about 300 characters with a 2-key state delta."""
    return Event(
        invocation_id=f"inv-{i // 2}", author="assistant" if i % 2 else "user",
        timestamp=timestamp,
        content=types.Content(role="model" if i % 2 else "user", parts=[types.Part(text=TEXT)]),
        actions=EventActions(state_delta={"turn": i, "last_tool": "search"}),
    )


def _peer(env: Env) -> DatabaseSessionService:
    """ADK's service at its defaults, on storage of its own (its tables share our names)."""
    def make() -> DatabaseSessionService:
        if env.dialect == "sqlite":
            return DatabaseSessionService(f"sqlite+aiosqlite:///{env.workdir / 'adk-peer.db'}")
        parts = psycopg.conninfo.conninfo_to_dict(env.config.dsn or "")
        with psycopg.connect(env.config.dsn or "", autocommit=True) as admin:
            admin.execute("CREATE SCHEMA IF NOT EXISTS adk_peer")
        url = (f"postgresql+asyncpg://{parts.get('user', 'postgres')}@{parts.get('host')}:"
               f"{parts.get('port', 5432)}/{parts['dbname']}")
        return DatabaseSessionService(
            url, connect_args={"server_settings": {"search_path": "adk_peer"}})

    def make_closed() -> DatabaseSessionService:
        peer = make()
        env.on_close(lambda: env.loop.run_until_complete(peer.close()))
        return peer

    peer: DatabaseSessionService = env.shared("adk-peer", make_closed)
    return peer


def _ours(env: Env, durability: str | None) -> GenieSessionService:
    if durability is None:
        return GenieSessionService(env.db)
    config = Config(db_file=env.workdir / f"adk-{durability}.db", durability=durability)
    migrate(config)
    db = open_database(config)
    env.on_close(db.close)
    return GenieSessionService(db)


def _events(start: float) -> Iterator[Event]:
    i = 0
    while True:
        i += 1
        yield event(i, start + i * 0.001)


def _filled(env: Env, service: Any, count: int) -> Session:
    async def fill() -> Session:
        session: Session = await service.create_session(app_name=APP, user_id=env.unique("u"))
        start = session.last_update_time
        for i in range(count):
            await service.append_event(session, event(i, start + 1 + i * 0.001))
        return session

    return env.loop.run_until_complete(fill())


def _case(
    env: Env, ours: GenieSessionService, make: Callable[[Any], Callable[[], Any]]
) -> Case:
    return Case(make(ours), make(_peer(env)), asynchronous=True, baseline_asynchronous=True,
                teardown=lambda: env.loop.run_until_complete(ours.close()))


def _append(durability: str | None) -> Callable[[Env], Case]:
    def setup(env: Env) -> Case:
        ours = _ours(env, durability)

        def make(service: Any) -> Callable[[], Any]:
            session = _filled(env, service, 0)
            events = _events(session.last_update_time + 1)
            return lambda: service.append_event(session, next(events))

        return _case(env, ours, make)

    return setup


def _get(env: Env) -> Case:
    ours = _ours(env, None)

    def make(service: Any) -> Callable[[], Any]:
        session = _filled(env, service, 200)
        return lambda: service.get_session(app_name=APP, user_id=session.user_id,
                                           session_id=session.id)

    return _case(env, ours, make)


def _list(env: Env) -> Case:
    ours = _ours(env, None)
    count = 500 if env.quick else 5000
    app = env.unique(APP)

    def make(service: Any) -> Callable[[], Any]:
        async def fill() -> None:
            for i in range(count):
                await service.create_session(app_name=app, user_id=f"user-{i % 50}",
                                             state={"topic": f"t{i}", "user:lang": "en"})

        env.loop.run_until_complete(fill())
        return lambda: service.list_sessions(app_name=app, user_id=None)

    return _case(env, ours, make)


def benches() -> list[Bench]:
    out: list[Bench] = []
    for dialect in ("sqlite", "postgres"):
        peer = ("DatabaseSessionService, defaults (sqlite+aiosqlite)" if dialect == "sqlite"
                else "DatabaseSessionService, defaults (postgresql+asyncpg)")
        out += [
            Bench("adk", "append_event (ours at defaults)", dialect, peer, Target.ratio(5),
                  _append(None), note="~300-char event, 2-key state delta", cost=0.3),
            Bench("adk", "get_session 200 events (ours at defaults)", dialect, peer,
                  Target.ratio(5), _get, note="whole session, ADK Events decoded", cost=0.2),
            Bench("adk", "list_sessions 5,000 (ours at defaults)", dialect, peer,
                  Target.ratio(20), _list, note="all users of an app, merged state",
                  cost=0.05),
        ]
    out.append(Bench(
        "adk", "append_event (ours durability=full)", "sqlite",
        "DatabaseSessionService, defaults (sqlite+aiosqlite, synchronous=FULL)", Target.ratio(5),
        _append("full"), note="equal durability: both fsync every commit", cost=0.3))
    return out
