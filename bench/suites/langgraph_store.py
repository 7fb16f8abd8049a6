"""LangGraph long-term memory: GenieStore against LangGraph's SqliteStore and PostgresStore.

Both sides are called through LangGraph's BaseStore API (put, get, search, list_namespaces),
each on its own tables in the run's database: SqliteStore in its own file beside ours (same
disk), PostgresStore in its own schema. Equal durability: SqliteStore's connection gets WAL and
synchronous=NORMAL like ours (its own defaults, a rollback journal with synchronous=FULL, are a
second, target-free row); PostgreSQL durability is the server's, the same for both. Each side
holds 10,000 items in 100 namespaces (`("bench", "user-NN")`), values of four fields; search
filters those 10k items on two fields (about 1 in 20 pass) and returns the newest 10. After the
fill both sides get what autovacuum soon does (VACUUM ANALYZE on PostgreSQL: statistics and a
flushed GIN pending list; a WAL checkpoint on SQLite), as the memories suite does.
"""

from __future__ import annotations

import itertools
import random
import sqlite3
from typing import Any

from langgraph.store.base import BaseStore, PutOp
from langgraph.store.postgres import PostgresStore
from langgraph.store.sqlite import SqliteStore
from psycopg.rows import dict_row

from bench.core import Bench, Case, Target
from bench.env import Env
from genie_repo.integrations.langgraph_store import GenieStore

ITEMS = 10_000
QUICK_ITEMS = 1_000
NAMESPACES = 100
KINDS = [f"kind-{i}" for i in range(10)]
FILTER = {"kind": "kind-3", "n": {"$gte": ITEMS // 2}}
PEER_SCHEMA = "langgraph_store"


def value(i: int) -> dict[str, Any]:
    return {"kind": KINDS[i % len(KINDS)], "n": i, "text": f"memory number {i} about tea",
            "tags": ["a", "b"]}


def namespace(i: int) -> tuple[str, str]:
    return ("bench", f"user-{i % NAMESPACES:02d}")


def fill(store: BaseStore, total: int) -> None:
    ops = [PutOp(namespace(i), f"item-{i}", value(i)) for i in range(total)]
    for start in range(0, total, 500):
        store.batch(ops[start:start + 500])


def settle(env: Env, *tables: str) -> None:
    """What autovacuum does soon after a bulk load (PostgreSQL only)."""
    if env.dialect == "postgres":
        conn = env.shared("vacuum_conn", env.raw_postgres)
        for table in tables:
            conn.execute(f"VACUUM ANALYZE {table}")


def genie_store(env: Env) -> GenieStore:
    def make() -> GenieStore:
        store = GenieStore(env.db)
        fill(store, QUICK_ITEMS if env.quick else ITEMS)
        settle(env, "store_items", "store_item_terms", "store_namespaces")
        return store

    store: GenieStore = env.shared("genie_store", make)
    return store


def peer_store(env: Env, *, own_defaults: bool = False) -> BaseStore:
    """LangGraph's store of the env's dialect, filled like ours (one per run and setting)."""

    def make() -> BaseStore:
        store: BaseStore
        if env.dialect == "sqlite":
            name = "langgraph_store_defaults.db" if own_defaults else "langgraph_store.db"
            conn = sqlite3.connect(env.workdir / name, check_same_thread=False,
                                   isolation_level=None)
            if not own_defaults:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            env.on_close(conn.close)
            store = SqliteStore(conn)
            store.setup()
        else:
            conn_pg = env.raw_postgres(schema=PEER_SCHEMA, prepare_threshold=0,
                                       row_factory=dict_row)
            store = PostgresStore(conn_pg)
            store.setup()
        fill(store, QUICK_ITEMS if env.quick else ITEMS)
        settle(env, f"{PEER_SCHEMA}.store")
        return store

    store: BaseStore = env.shared(f"peer_store_{own_defaults}", make)
    return store


def _put(own_defaults: bool = False) -> Any:
    def setup(env: Env) -> Case:
        ours, theirs = genie_store(env), peer_store(env, own_defaults=own_defaults)
        prefix = env.unique("put")
        mine, peer = itertools.count(), itertools.count()

        def put_ours() -> None:
            i = next(mine)
            ours.put(namespace(i), f"{prefix}-{i}", value(i))

        def put_theirs() -> None:
            i = next(peer)
            theirs.put(namespace(i), f"{prefix}-{i}", value(i))

        return Case(put_ours, put_theirs)

    return setup


def _get(own_defaults: bool = False) -> Any:
    def setup(env: Env) -> Case:
        ours, theirs = genie_store(env), peer_store(env, own_defaults=own_defaults)
        total = QUICK_ITEMS if env.quick else ITEMS
        rng_ours, rng_theirs = random.Random(1), random.Random(1)

        def get(store: BaseStore, rng: random.Random) -> Any:
            i = rng.randrange(total)
            item = store.get(namespace(i), f"item-{i}")
            assert item is not None
            return item

        return Case(lambda: get(ours, rng_ours), lambda: get(theirs, rng_theirs))

    return setup


def _search(own_defaults: bool = False) -> Any:
    def setup(env: Env) -> Case:
        ours, theirs = genie_store(env), peer_store(env, own_defaults=own_defaults)
        if env.dialect == "sqlite":  # PostgresStore compares numbers as text (langgraph#7684)
            expected = len(theirs.search(("bench",), filter=FILTER, limit=10))
            assert len(ours.search(("bench",), filter=FILTER, limit=10)) == expected

        return Case(lambda: ours.search(("bench",), filter=FILTER, limit=10),
                    lambda: theirs.search(("bench",), filter=FILTER, limit=10))

    return setup


def _list_namespaces(own_defaults: bool = False) -> Any:
    def setup(env: Env) -> Case:
        ours, theirs = genie_store(env), peer_store(env, own_defaults=own_defaults)
        assert ours.list_namespaces(prefix=("bench",)) == theirs.list_namespaces(
            prefix=("bench",))
        return Case(lambda: ours.list_namespaces(prefix=("bench",), limit=100),
                    lambda: theirs.list_namespaces(prefix=("bench",), limit=100))

    return setup


def benches() -> list[Bench]:
    out: list[Bench] = []
    for dialect in ("sqlite", "postgres"):
        peer = ("SqliteStore (WAL, synchronous=NORMAL)" if dialect == "sqlite"
                else "PostgresStore (its defaults)")
        out += [
            Bench("langgraph_store", "put", dialect, f"{peer}.put", Target.ratio(1.5), _put(),
                  note="a new key each call, 10k items in 100 namespaces"),
            Bench("langgraph_store", "get", dialect, f"{peer}.get", Target.ratio(1.5), _get(),
                  note="a random one of 10k items"),
            Bench("langgraph_store", "search(filter)", dialect, f"{peer}.search",
                  Target.ratio(1.5), _search(), cost=0.2,
                  note="2-field filter over 10k items, newest 10"),
            Bench("langgraph_store", "list_namespaces", dialect, f"{peer}.list_namespaces",
                  Target.ratio(1.5), _list_namespaces(), cost=0.5,
                  note="prefix ('bench',): 100 namespaces of 10k items"),
        ]
    peer = "SqliteStore (its defaults: rollback journal, synchronous=FULL)"
    out += [
        Bench("langgraph_store", "put (peer defaults)", "sqlite", f"{peer}.put", Target.none(),
              _put(own_defaults=True), note="a new key each call"),
        Bench("langgraph_store", "get (peer defaults)", "sqlite", f"{peer}.get", Target.none(),
              _get(own_defaults=True)),
        Bench("langgraph_store", "search(filter) (peer defaults)", "sqlite", f"{peer}.search",
              Target.none(), _search(own_defaults=True), cost=0.2),
        Bench("langgraph_store", "list_namespaces (peer defaults)", "sqlite",
              f"{peer}.list_namespaces", Target.none(), _list_namespaces(own_defaults=True),
              cost=0.5),
    ]
    return out
