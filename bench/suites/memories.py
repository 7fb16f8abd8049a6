"""Memories: search in every script over 100k memories, and the short-memory TTL store.

The corpus is synthetic but shaped like text. 100k memories in all: one heavy user owns half of
them, fifty users own 1,000 each. Eight in ten are "English": sentences of 8-20 words drawn from
a 5,000-word vocabulary with a Zipf-like frequency; one in ten is Chinese (6-14 two-character
words from a 2,000-word vocabulary, no spaces) and one in ten Japanese (4-9 words of kana and
kanji, no spaces); two topics each. Each query word sits at mid frequency (rank 100 or 400 of
its vocabulary). Rows go in with one bulk insert, their search terms computed by
`text_search.index_terms` as add_memory computes them (the index is maintained by the schema's
own triggers / generated column), then PostgreSQL gets the VACUUM ANALYZE autovacuum would soon
run (it also flushes the GIN index's pending list).
Searches: one English word, two words (OR, ranked), a partial word (5 letters inside a 7-letter
word), a 2-character Chinese word inside sentences, a 4-character Japanese word inside
sentences; limit 10. Baseline (for reference, no target): the store's own search SQL with the
parameters it sent, through the bare driver, which shows what the library adds on top.
The `memories.index_size` study loads the same 100k into a fresh database and reports the
bytes of the search index and of the stored terms.
"""

from __future__ import annotations

import functools
import itertools
import random
from datetime import timedelta
from typing import Any

from bench.core import Bench, Case, Study, StudyResult, Target
from bench.env import Env
from bench.raw import Raw
from bench.suites.storage import postgres_bytes, sqlite_bytes
from genie_repo.models.memories import memory_id
from genie_repo.models.sessions import UserKey
from genie_repo.stores.memories import MemoryStore
from genie_repo.stores.short_memory import ShortMemoryStore
from genie_repo.stores.text_search import index_terms
from genie_repo.timestamps import utc_now

APP = "bench"
HEAVY = "heavy-user"
TOTAL = 100_000
QUICK_TOTAL = 10_000
ENGLISH = ("orbital", "marmalade")
QUERIES = {
    "one word": "orbital",
    "two words": "orbital marmalade",
    "partial word": "rbita",
    "2-char Chinese": "上海",
    "4-char Japanese": "コーヒー",
}
_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "vi", "so", "pe", "da", "fu", "gi", "zo", "ba"]
_HANZI = ("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之"
          "过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前"
          "所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全"
          "工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西"
          "再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目"
          "华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今")
_KANA = list("あいうえおかきくけこさしすせそたちつてとなにぬねの"
             "はひふへほまみむめもやゆよらりるれろわ"
             "アイウエオカキクケコサシスセソタチツテトナニヌネノ"
             "ハヒフヘホマミムメモヤユヨラリルレロワン")
_KANJI = list("日本東京大阪朝昼夜猫犬水茶酒魚肉米花雨雪山川海空車駅店家会社仕事友人先生学校")


def _zipf(rng: random.Random, words: list[str], count: int) -> list[str]:
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))
    return rng.choices(words, cum_weights=cumulative, k=count)


def _vocabulary(rng: random.Random, size: int, make: Any) -> list[str]:
    words: dict[str, None] = {}
    while len(words) < size:
        words[make()] = None
    return list(words)


@functools.cache
def _vocabularies() -> tuple[list[str], list[str], list[str]]:
    rng = random.Random(7)
    english = _vocabulary(
        rng, 5000, lambda: "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    english[100], english[400] = ENGLISH
    chinese = _vocabulary(rng, 2000, lambda: rng.choice(_HANZI) + rng.choice(_HANZI))
    chinese[100] = "上海"
    japanese = _vocabulary(rng, 2000, lambda: "".join(
        rng.choice(_KANJI if rng.random() < 0.4 else _KANA) for _ in range(rng.randint(2, 4))))
    japanese[100] = "コーヒー"
    return english, chinese, japanese


@functools.cache
def corpus(total: int) -> tuple[dict[str, Any], ...]:
    """`total` memories: half the heavy user's, the rest 1,000 per light user (made once per
    process, shared by both dialects; not to be mutated)."""
    rng = random.Random(7)
    english, chinese, japanese = _vocabularies()
    now = utc_now()
    rows = []
    for i in range(total):
        user = HEAVY if i < total // 2 else f"user-{(i - total // 2) // 1000}"
        if i % 10 == 0:
            text = "".join(_zipf(rng, chinese, rng.randint(6, 14))) + f"。{i}"
        elif i % 10 == 1:
            text = "".join(_zipf(rng, japanese, rng.randint(4, 9))) + f"。{i}"
        else:
            text = " ".join(_zipf(rng, english, rng.randint(8, 20))) + f" n{i}"
        topics = [rng.choice(english[:50]), rng.choice(english[:50])]
        rows.append({"id": memory_id(APP, user, text), "app": APP, "user": user,
                     "content": text, "topics": '["{}", "{}"]'.format(*topics),
                     "terms": index_terms(text, *topics), "ts": now})
    return tuple(rows)


def _load(env: Env) -> None:
    raw = Raw.of(env)
    rows = corpus(QUICK_TOTAL if env.quick else TOTAL)
    raw.load("memories", ("id", "app_name", "user_id", "content", "topics", "search_terms",
                          "created_at", "updated_at"),
             [(r["id"], r["app"], r["user"], r["content"], r["topics"], r["terms"],
               raw.time(r["ts"]), raw.time(r["ts"])) for r in rows])
    raw.settle("memories")


def _corpus_loaded(env: Env) -> None:
    def load() -> bool:
        _load(env)
        return True

    env.shared("memories_corpus", load)


def _search(user: str, query: str) -> Any:
    def setup(env: Env) -> Case:
        _corpus_loaded(env)
        store = MemoryStore(env.db)
        key = UserKey(APP, user)

        def search() -> object:
            return store.search_memories(key, query, limit=10)

        return Case(search, Raw.of(env).replay(env, search))

    return setup


def _index_size(env: Env) -> StudyResult:
    """Bytes of the search index and of the stored terms for the corpus (100k memories)."""
    _load(env)
    raw = Raw.of(env)
    total = QUICK_TOTAL if env.quick else TOTAL
    if env.dialect == "sqlite":
        index = sqlite_bytes(raw.sqlite, tuple(
            f"memories_search_{part}" for part in ("data", "idx", "config", "docsize")))
        row = raw.sqlite.execute(
            "SELECT sum(length(CAST(search_terms AS BLOB))), sum(length(CAST(content AS BLOB)))"
            " FROM memories").fetchone()
        terms, content = int(row[0]), int(row[1])
        parts = [("FTS5 index (memories_search*)", index), ("search_terms column", terms)]
    else:
        schema = raw.pg.execute("SELECT current_schema()").fetchone()[0]
        index = postgres_bytes(raw, schema, ("idx_memories_search",))
        row = raw.pg.execute(
            "SELECT sum(pg_column_size(search_terms)), sum(octet_length(content))"
            " FROM memories").fetchone()
        terms, content = int(row[0]), int(row[1])
        parts = [("GIN index (idx_memories_search)", index), ("search_terms column", terms)]
    per = 100_000 / total
    rows = [[name, f"{size * per / 2**20:.1f} MB"] for name, size in parts]
    rows.append(["(memory text itself)", f"{content * per / 2**20:.1f} MB"])
    return StudyResult(
        title=f"memories.index_size ({env.dialect}), per 100k memories",
        header=["part", "size"], rows=rows,
        data={name: size for name, size in parts} | {"content": content, "memories": total},
        summary=f"search index {index * per / 2**20:.1f} MB per 100k memories",
    )


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
        for user, owned, limit in (("user-0", "1k", 5), (HEAVY, "50k", 10)):
            out += [
                Bench("memories", f"search {name} (user with {owned} of 100k)", dialect,
                      "same search SQL, bare driver", Target.p50_ms(limit),
                      _search(user, query), note=f"{query!r}, limit 10", cost=0.2)
                for name, query in QUERIES.items()
            ]
        out += [
            Bench("short_memory", "set_if_absent", dialect,
                  "raw INSERT .. ON CONFLICT DO NOTHING", Target.ratio(0.7), _set_if_absent,
                  note="a new key each call"),
            Bench("short_memory", "get", dialect, "raw SELECT of the live value",
                  Target.ratio(0.7), _get),
        ]
    return out


def studies() -> list[Study]:
    return [Study("memories", "index_size", dialect, _index_size)
            for dialect in ("sqlite", "postgres")]
