"""Memories: ranked full-text search over 100k memories, and the short-memory TTL store.

The corpus is synthetic but shaped like text: sentences of 8-20 words drawn from a 5,000-word
vocabulary with a Zipf-like frequency, two topics each. 100k memories in all: one heavy user
owns half of them, fifty users own 1,000 each. Rows go in with one bulk insert (the FTS index
is maintained by the schema's own triggers / generated column), not through add_memory, then
PostgreSQL gets the VACUUM ANALYZE autovacuum would soon run (it also flushes the GIN index's
pending list: right after a bulk load, before that, searches are several times slower).
The searches ask for two mid-frequency words; search is OR over words, ranked, limit 10.
Baseline (for reference, no target): the store's own search SQL with the parameters it sent,
through the bare driver, which shows what the library adds on top of the database's work.
"""

from __future__ import annotations

import functools
import itertools
import random
from datetime import timedelta
from typing import Any

from bench.core import Bench, Case, Target
from bench.env import Env
from bench.raw import Raw
from genie_repo.models.memories import memory_id
from genie_repo.models.sessions import UserKey
from genie_repo.stores.memories import MemoryStore
from genie_repo.stores.short_memory import ShortMemoryStore
from genie_repo.timestamps import utc_now

APP = "bench"
HEAVY = "heavy-user"
TOTAL = 100_000
QUICK_TOTAL = 10_000
QUERY = "orbital marmalade"
_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "vi", "so", "pe", "da", "fu", "gi", "zo", "ba"]


def vocabulary(rng: random.Random, size: int = 5000) -> list[str]:
    words: dict[str, None] = {}
    while len(words) < size:
        words["".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))] = None
    return list(words)


@functools.cache
def corpus(total: int) -> tuple[dict[str, Any], ...]:
    """`total` memories: half the heavy user's, the rest 1,000 per light user (made once per
    process, shared by both dialects; not to be mutated)."""
    rng = random.Random(7)
    words = vocabulary(rng)
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))
    # the query words sit at mid frequency (ranks 100 and 400): a few hundred hits per 50k
    words[100], words[400] = QUERY.split()
    now = utc_now()
    rows = []
    for i in range(total):
        user = HEAVY if i < total // 2 else f"user-{(i - total // 2) // 1000}"
        text = " ".join(rng.choices(words, cum_weights=cumulative, k=rng.randint(8, 20))) + f" n{i}"
        topics = f'["{rng.choice(words[:50])}", "{rng.choice(words[:50])}"]'
        rows.append({"id": memory_id(APP, user, text), "app": APP, "user": user,
                     "content": text, "topics": topics, "ts": now})
    return tuple(rows)


def _corpus_loaded(env: Env) -> None:
    def load() -> bool:
        raw = Raw.of(env)
        rows = corpus(QUICK_TOTAL if env.quick else TOTAL)
        raw.load("memories", ("id", "app_name", "user_id", "content", "topics", "created_at",
                              "updated_at"),
                 [(r["id"], r["app"], r["user"], r["content"], r["topics"], raw.time(r["ts"]),
                   raw.time(r["ts"])) for r in rows])
        raw.settle("memories")
        return True

    env.shared("memories_corpus", load)


def _search(user: str) -> Any:
    def setup(env: Env) -> Case:
        _corpus_loaded(env)
        store = MemoryStore(env.db)
        key = UserKey(APP, user)

        def search() -> object:
            return store.search_memories(key, QUERY, limit=10)

        return Case(search, Raw.of(env).replay(env, search))

    return setup


# -- short memory --------------------------------------------------------------------------------

TTL = timedelta(hours=1)


def _set_if_absent(env: Env) -> Case:
    store = ShortMemoryStore(env.db)
    raw = Raw.of(env)
    insert = raw.statement(
        "INSERT INTO short_memories (key, memory_type, value, expires_at, created_at)"
        " VALUES (:key, 'dedup', '1', :expires, :now) ON CONFLICT (key, memory_type) DO NOTHING"
        " RETURNING 1")
    prefix = env.unique("k")
    op_keys = iter([f"{prefix}-op-{i}" for i in range(env.calls)])
    base_keys = iter([f"{prefix}-base-{i}" for i in range(env.calls)])

    def baseline() -> object:
        now = utc_now()
        return insert({"key": next(base_keys), "expires": raw.time(now + TTL),
                       "now": raw.time(now)})

    return Case(lambda: store.set_if_absent("dedup", next(op_keys), "1", TTL), baseline)


def _get(env: Env) -> Case:
    store = ShortMemoryStore(env.db)
    raw = Raw.of(env)
    key = env.unique("k")
    store.set("route", key, "worker-7", TTL)
    select = raw.statement(
        "SELECT value FROM short_memories WHERE key = :key AND memory_type = 'route'"
        " AND expires_at > :now")
    return Case(lambda: store.get("route", key),
                lambda: select({"key": key, "now": raw.time(utc_now())}))


def benches() -> list[Bench]:
    out: list[Bench] = []
    for dialect in ("sqlite", "postgres"):
        out += [
            Bench("memories", "search (user with 1k of 100k)", dialect,
                  "same search SQL, bare driver", Target.p50_ms(5), _search("user-0"),
                  note="2-word OR query, limit 10", cost=0.2),
            Bench("memories", "search (user with 50k of 100k)", dialect,
                  "same search SQL, bare driver", Target.p50_ms(5), _search(HEAVY),
                  note="2-word OR query, limit 10", cost=0.2),
            Bench("short_memory", "set_if_absent", dialect,
                  "raw INSERT .. ON CONFLICT DO NOTHING", Target.ratio(0.7), _set_if_absent,
                  note="a new key each call"),
            Bench("short_memory", "get", dialect, "raw SELECT of the live value",
                  Target.ratio(0.7), _get),
        ]
    return out
