"""OpenAI Agents SDK sessions: GenieSession against the SDK's own SQLiteSession and
SQLAlchemySession (sqlite+aiosqlite, postgresql+asyncpg), all awaited on the run's loop.

Items are what a Runner stores: user messages, assistant messages, function calls and their
outputs, reasoning. add_items appends one item per call to a growing session; get_items reads
the whole history of a 200-item session. Each row names both sides' configuration.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import psycopg

from bench.core import Bench, Case, Target
from bench.env import Env
from genie_repo import Config, open_database
from genie_repo.db import Database
from genie_repo.integrations.openai_agents import GenieSession

HISTORY = 200
OURS_SQLITE = "WAL, synchronous=NORMAL"
OURS_SQLITE_FULL = "WAL, synchronous=FULL"


def runner_item(i: int) -> dict[str, Any]:
    """The i-th item of a realistic conversation: a user turn, a reasoning item, a tool call
    and its output, then the assistant's answer (100-500 bytes of JSON each)."""
    kind = i % 5
    if kind == 0:
        return {"role": "user", "content": f"Turn {i}: what is the weather in city {i}?"}
    if kind == 1:
        return {"id": f"rs_{i}", "type": "reasoning", "summary": [
            {"type": "summary_text", "text": f"The user asks about city {i}; call the tool."}]}
    if kind == 2:
        return {"id": f"fc_{i}", "type": "function_call", "call_id": f"call_{i}",
                "name": "get_weather", "arguments": f'{{"city":"city {i}"}}',
                "status": "completed"}
    if kind == 3:
        return {"type": "function_call_output", "call_id": f"call_{i - 1}",
                "output": f'{{"city":"city {i}","sky":"sunny","temp_c":21}}'}
    return {"id": f"msg_{i}", "type": "message", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "annotations": [], "logprobs": [],
                         "text": f"It is sunny and 21 °C in city {i}. " * 4}]}


def _run(env: Env, awaitable: Any) -> Any:
    return env.loop.run_until_complete(awaitable)


def _ours(env: Env, db: Database | None = None) -> GenieSession:
    session = GenieSession(env.unique("chat"), db or env.db, app_name="bench-openai")
    env.on_close(session.close)
    return session


def _full_durability_db(env: Env) -> Database:
    """The run's SQLite file opened again with synchronous=FULL, for equal-durability rows."""
    def make() -> Database:
        db = open_database(Config(db_file=env.config.db_file, durability="full"))
        env.on_close(db.close)
        return db

    db: Database = env.shared("openai-agents-full-db", make)
    return db


def _sqlite_session(env: Env) -> Any:
    from agents import SQLiteSession

    theirs = SQLiteSession(env.unique("chat"), env.workdir / "openai-sqlite-session.db")
    env.on_close(theirs.close)
    return theirs


def _sqlalchemy_session(env: Env) -> Any:
    from agents.extensions.memory import SQLAlchemySession
    from sqlalchemy.ext.asyncio import create_async_engine

    if env.dialect == "sqlite":
        url = f"sqlite+aiosqlite:///{env.workdir / 'openai-sqlalchemy.db'}"
    else:
        parts = psycopg.conninfo.conninfo_to_dict(env.config.dsn or "")
        url = (f"postgresql+asyncpg://{parts.get('user', 'postgres')}@"
               f"{parts.get('host', '127.0.0.1')}:{parts.get('port', 5432)}/{parts['dbname']}")

    def make() -> Any:
        engine = create_async_engine(url)
        env.on_close(lambda: _run(env, engine.dispose()))
        return engine

    engine = env.shared(f"openai-agents-engine-{url}", make)
    return SQLAlchemySession(env.unique("chat"), engine=engine, create_tables=True)


def _add_case(ours: Callable[[Env], GenieSession],
              theirs: Callable[[Env], Any]) -> Callable[[Env], Case]:
    def setup(env: Env) -> Case:
        mine, peer = ours(env), theirs(env)
        _run(env, peer.add_items([runner_item(0)]))  # the peer creates its tables first
        _run(env, mine.add_items([runner_item(0)]))
        op_items = itertools.count(1)
        peer_items = itertools.count(1)

        def op() -> Any:
            return mine.add_items([runner_item(next(op_items))])

        def baseline() -> Any:
            return peer.add_items([runner_item(next(peer_items))])

        return Case(op, baseline, asynchronous=True, baseline_asynchronous=True)

    return setup


def _get_case(theirs: Callable[[Env], Any]) -> Callable[[Env], Case]:
    def setup(env: Env) -> Case:
        mine, peer = _ours(env), theirs(env)
        history = [runner_item(i) for i in range(HISTORY)]
        _run(env, mine.add_items(history))
        _run(env, peer.add_items(history))
        assert _run(env, mine.get_items()) == _run(env, peer.get_items()) == history
        return Case(mine.get_items, peer.get_items, asynchronous=True,
                    baseline_asynchronous=True)

    return setup


def benches() -> list[Bench]:
    add_note = "one Runner-shaped item per call, growing session"
    get_note = f"whole history of a {HISTORY}-item session (Runner-shaped items)"
    return [
        Bench("openai_agents", "add_items vs SQLiteSession", "sqlite",
              "SQLiteSession (sqlite3 defaults: WAL, synchronous=FULL)", Target.ratio(3),
              _add_case(_ours, _sqlite_session),
              note=f"{add_note}; ours {OURS_SQLITE} (defaults)"),
        Bench("openai_agents", "add_items vs SQLiteSession, equal durability", "sqlite",
              "SQLiteSession (sqlite3 defaults: WAL, synchronous=FULL)", Target.none(),
              _add_case(lambda env: _ours(env, _full_durability_db(env)), _sqlite_session),
              note=f"{add_note}; ours {OURS_SQLITE_FULL}"),
        Bench("openai_agents", "add_items vs SQLAlchemySession", "sqlite",
              "SQLAlchemySession (sqlite+aiosqlite defaults: rollback journal, "
              "synchronous=FULL)", Target.ratio(3),
              _add_case(_ours, _sqlalchemy_session),
              note=f"{add_note}; ours {OURS_SQLITE} (defaults)"),
        Bench("openai_agents", "add_items vs SQLAlchemySession, equal durability",
              "sqlite", "SQLAlchemySession (sqlite+aiosqlite defaults: rollback journal, "
              "synchronous=FULL)", Target.none(),
              _add_case(lambda env: _ours(env, _full_durability_db(env)), _sqlalchemy_session),
              note=f"{add_note}; ours {OURS_SQLITE_FULL}"),
        Bench("openai_agents", "get_items vs SQLiteSession", "sqlite",
              "SQLiteSession (sqlite3 defaults)",
              Target.ratio(2), _get_case(_sqlite_session), note=get_note, cost=0.5),
        Bench("openai_agents", "get_items vs SQLAlchemySession", "sqlite",
              "SQLAlchemySession (sqlite+aiosqlite defaults)", Target.ratio(2),
              _get_case(_sqlalchemy_session), note=get_note, cost=0.5),
        Bench("openai_agents", "add_items vs SQLAlchemySession", "postgres",
              "SQLAlchemySession (postgresql+asyncpg, pool defaults; same server)",
              Target.ratio(3), _add_case(_ours, _sqlalchemy_session),
              note=f"{add_note}; both synchronous_commit=on (server default)"),
        Bench("openai_agents", "get_items vs SQLAlchemySession", "postgres",
              "SQLAlchemySession (postgresql+asyncpg, pool defaults; same server)",
              Target.ratio(2), _get_case(_sqlalchemy_session), note=get_note, cost=0.5),
    ]
