"""Memory search in every script, on both dialects: a multilingual corpus with expected top hits,
partial words below whole words, hostile queries, and memories written before migration 0008."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import apsw
import psycopg
import pytest

from genie_repo import Config, migrate, migration_status, rollback_migrations
from genie_repo.db import Database, open_database
from genie_repo.models.memories import memory_id
from genie_repo.models.sessions import UserKey
from genie_repo.stores.memories import MemoryStore
from tests.api import Builder

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ALICE = UserKey("genie:assistant", "alice")
BOB = UserKey("genie:assistant", "bob")

CORPUS = [
    "我喜欢安静的工作环境",
    "我搬到上海了",
    "我每天早上喝咖啡",
    "上海的夏天很热",
    "東京に住んでいます",
    "毎朝コーヒーを飲みます",
    "猫が好きです",
    "서울에서 일합니다",
    "김치찌개를 좋아해요",
    "ฉันชอบกาแฟเย็น",
    "ฉันอาศัยอยู่ที่กรุงเทพ",
    "Ich wohne in der Hauptstraße in München",
    "Mein Lieblingsgetränk ist Apfelschorle",
    "Я живу в Москве и работаю программистом",
    "Люблю зелёный чай",
    "I moved to Lisbon last year",
    "Lisbonense pastries",
    "Shanghai 上海 office opens in May",
    "Meeting with 田中さん on Friday",
]

# query -> (expected best hit, every memory expected)
EXPECTED = {
    "安静": ("我喜欢安静的工作环境", {"我喜欢安静的工作环境"}),
    "上海": ("Shanghai 上海 office opens in May",  # the whole word beats text inside a run
             {"我搬到上海了", "上海的夏天很热", "Shanghai 上海 office opens in May"}),
    "咖啡": ("我每天早上喝咖啡", {"我每天早上喝咖啡"}),
    "海": ("我搬到上海了",  # inside a word everywhere: the shortest memory first
          {"我搬到上海了", "上海的夏天很热", "Shanghai 上海 office opens in May"}),
    "東京": ("東京に住んでいます", {"東京に住んでいます"}),
    "コーヒー": ("毎朝コーヒーを飲みます", {"毎朝コーヒーを飲みます"}),
    "猫": ("猫が好きです", {"猫が好きです"}),
    "서울": ("서울에서 일합니다", {"서울에서 일합니다"}),
    "김치": ("김치찌개를 좋아해요", {"김치찌개를 좋아해요"}),
    "กาแฟ": ("ฉันชอบกาแฟเย็น", {"ฉันชอบกาแฟเย็น"}),
    "กรุงเทพ": ("ฉันอาศัยอยู่ที่กรุงเทพ", {"ฉันอาศัยอยู่ที่กรุงเทพ"}),
    "MÜNCHEN": ("Ich wohne in der Hauptstraße in München",
                {"Ich wohne in der Hauptstraße in München"}),
    "hauptstrasse": ("Ich wohne in der Hauptstraße in München",
                     {"Ich wohne in der Hauptstraße in München"}),
    "schorle": ("Mein Lieblingsgetränk ist Apfelschorle",
                {"Mein Lieblingsgetränk ist Apfelschorle"}),
    "москве": ("Я живу в Москве и работаю программистом",
               {"Я живу в Москве и работаю программистом"}),
    "программист": ("Я живу в Москве и работаю программистом",
                    {"Я живу в Москве и работаю программистом"}),
    "ЧАЙ": ("Люблю зелёный чай", {"Люблю зелёный чай"}),
    "lisbon": ("I moved to Lisbon last year",
               {"I moved to Lisbon last year", "Lisbonense pastries"}),
    "Lisb": ("Lisbonense pastries", {"I moved to Lisbon last year", "Lisbonense pastries"}),
    "shanghai": ("Shanghai 上海 office opens in May", {"Shanghai 上海 office opens in May"}),
    "田中": ("Meeting with 田中さん on Friday", {"Meeting with 田中さん on Friday"}),
    "friday 田中": ("Meeting with 田中さん on Friday", {"Meeting with 田中さん on Friday"}),
    "上海 coffee": ("Shanghai 上海 office opens in May",
                  {"我搬到上海了", "上海的夏天很热", "Shanghai 上海 office opens in May"}),
}


@pytest.fixture
def store(db: Database, build: Builder) -> MemoryStore:
    return build(MemoryStore, db, clock=lambda: T0)


def contents(entries: list) -> list[str]:  # type: ignore[type-arg]
    return [e.memory.content for e in entries]


def test_multilingual_corpus_top_hits(store: MemoryStore) -> None:
    for text in CORPUS:
        store.add_memory(ALICE, text)
    store.add_memory(BOB, "我搬到上海了 Lisbon")  # another owner's memories never show
    for query, (best, expected) in EXPECTED.items():
        found = contents(store.search_memories(ALICE, query, limit=20))
        assert set(found) == expected, query
        assert found[0] == best, query


def test_the_issue_sentences_are_found(store: MemoryStore) -> None:
    store.add_memory(ALICE, "我喜欢安静的工作环境")
    store.add_memory(ALICE, "我搬到上海了")
    assert contents(store.search_memories(ALICE, "安静")) == ["我喜欢安静的工作环境"]
    assert contents(store.search_memories(ALICE, "上海")) == ["我搬到上海了"]
    assert contents(store.search_memories(ALICE, "北京")) == []


def test_whole_words_rank_above_partial_matches(store: MemoryStore) -> None:
    """The partial match is shorter (which BM25 favours), yet the whole word comes first."""
    store.add_memory(ALICE, "we spent a long and happy holiday by the sea in a small port town")
    store.add_memory(ALICE, "passport renewal")
    found = store.search_memories(ALICE, "port")
    assert contents(found) == [
        "we spent a long and happy holiday by the sea in a small port town", "passport renewal"]
    assert found[0].score is not None and found[1].score is not None
    assert found[0].score > 1 > found[1].score > 0


def test_short_words_in_spaced_scripts_match_whole_words_only(store: MemoryStore) -> None:
    store.add_memory(ALICE, "an AI assistant")
    store.add_memory(ALICE, "said hi")
    assert contents(store.search_memories(ALICE, "ai")) == ["an AI assistant"]
    assert store.search_memories(ALICE, "sa") == []


def test_topics_are_searched_inside_words_too(store: MemoryStore) -> None:
    store.add_memory(ALICE, "likes tea", ["beverages", "好きな飲み物"])
    store.add_memory(ALICE, "likes cake", ["food"])
    assert contents(store.search_memories(ALICE, "beverage")) == ["likes tea"]
    assert contents(store.search_memories(ALICE, "飲み")) == ["likes tea"]
    assert contents(store.search_memories(ALICE, "likes", topics=["food"])) == ["likes cake"]


def test_re_adding_with_new_topics_reindexes_them(store: MemoryStore) -> None:
    store.add_memory(ALICE, "likes tea", ["morning"])
    store.add_memory(ALICE, "likes tea", ["evening"])
    assert store.search_memories(ALICE, "morning") == []
    assert contents(store.search_memories(ALICE, "evening")) == ["likes tea"]


@pytest.mark.parametrize("query", [
    "'", "''", "\\", "\\'", "%", "_", "a'b", "上'海", "上\\海", '"', '""', "*", "a*", "NEAR(a b)",
    "a & b", "a | b", "!a", "a:*", "a:A", "<->", "(((", "x" * 5000, "上" * 300, "\x01\x02",
    "\ud800", "AND OR NOT", "-a", "^a", "{content}: a", "'a' & 'b'",
])
def test_hostile_queries_are_plain_text(store: MemoryStore, query: str) -> None:
    store.add_memory(ALICE, "a'b 上海 tea & cake | x:* <-> AND OR NOT near")
    results = store.search_memories(ALICE, query)
    assert all(r.memory.content.startswith("a'b") for r in results)


def test_quotes_and_operators_are_separators_not_syntax(store: MemoryStore) -> None:
    store.add_memory(ALICE, "meet at NEAR cafe AND bakery")
    assert len(store.search_memories(ALICE, '"near" AND')) == 1
    assert len(store.search_memories(ALICE, "bak*")) == 1  # "bak", a partial word
    assert store.search_memories(ALICE, "* & | ! ( )") == []


# -- memories written before migration 0008 -------------------------------------------------------

OLD_ROWS = [("我喜欢安静的工作环境", '["偏好"]'), ("I moved to Lisbon", '["travel"]'),
            ("Люблю зелёный чай", "[]")]


def _write_under_the_old_schema(config: Config) -> None:
    """Rows as the 0007 schema stored them (no search terms), written with plain SQL."""
    rows = [
        {"id": memory_id(ALICE.app_name, ALICE.user_id, content), "app_name": ALICE.app_name,
         "user_id": ALICE.user_id, "content": content, "topics": topics,
         "created_at": T0.isoformat(sep=" "), "updated_at": T0.isoformat(sep=" ")}
        for content, topics in OLD_ROWS
    ]
    if config.dsn:
        with psycopg.connect(config.dsn) as conn:
            conn.cursor().executemany(
                "INSERT INTO memories (id, app_name, user_id, content, topics, created_at, "
                "updated_at) VALUES (%(id)s, %(app_name)s, %(user_id)s, %(content)s, "
                "%(topics)s, %(created_at)s, %(updated_at)s)", rows)
        return
    conn = apsw.Connection(str(config.sqlite_path))
    with conn:
        for row in rows:
            conn.execute(
                "INSERT INTO memories (id, app_name, user_id, content, topics, created_at, "
                "updated_at) VALUES (:id, :app_name, :user_id, :content, :topics, :created_at, "
                ":updated_at)", row)
    conn.close()


def _old_search(config: Config, word: str) -> int:
    """How many memories the 0007 index finds for a word."""
    if config.dsn:
        with psycopg.connect(config.dsn) as conn:
            row = conn.execute("SELECT count(*) FROM memories WHERE search @@ "
                               "to_tsquery('simple', %s)", (word,)).fetchone()
            assert row is not None
            return int(row[0])
    conn = apsw.Connection(str(config.sqlite_path))
    try:
        return int(conn.execute("SELECT count(*) FROM memories_fts WHERE memories_fts MATCH ?",
                                (word,)).fetchall()[0][0])
    finally:
        conn.close()


def test_memories_written_before_the_migration_are_found_after_it(
    dialect: str, make_config: Callable[[str], Config]
) -> None:
    config = make_config(dialect)
    ids = [state.id for state in migration_status(config)]
    since = len(ids) - ids.index("0008_memory_search")  # 0008 and every later migration
    assert rollback_migrations(config, since)[-1] == "0008_memory_search"
    _write_under_the_old_schema(config)
    assert _old_search(config, "lisbon") == 1
    assert migrate(config) == ids[-since:]
    db = open_database(config)
    try:
        store = MemoryStore(db)
        assert contents(store.search_memories(ALICE, "安静")) == ["我喜欢安静的工作环境"]
        assert contents(store.search_memories(ALICE, "偏好")) == ["我喜欢安静的工作环境"]
        assert contents(store.search_memories(ALICE, "lisb")) == ["I moved to Lisbon"]
        assert contents(store.search_memories(ALICE, "ЗЕЛЁН")) == ["Люблю зелёный чай"]
        store.add_memory(ALICE, "a memory written after the migration")
    finally:
        db.close()
    # rolling back restores the old index, with every memory in it
    assert rollback_migrations(config, since)[-1] == "0008_memory_search"
    assert _old_search(config, "lisbon") == 1
    assert _old_search(config, "migration") == 1
    assert migrate(config) == ids[-since:]


# -- the index does the work ---------------------------------------------------------------------

def _plan(db: Database, config: Config, params: dict[str, object]) -> str:
    """The database's own plan for the registry's search SQL with these parameters (on
    PostgreSQL with sequential scans priced out: the index must be usable for every lookup)."""
    sql = db.registry["memories.search"].sql
    if config.dsn:
        with psycopg.connect(config.dsn) as conn:
            conn.execute("SET enable_seqscan = off")
            return "\n".join(r[0] for r in conn.execute("EXPLAIN " + sql, params))
    conn = apsw.Connection(str(config.sqlite_path))
    try:
        return "\n".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
    finally:
        conn.close()


@pytest.mark.parametrize("query", ["lisbon", "lisb tea", "上海", "コーヒー"])
def test_every_lookup_goes_through_the_search_index(
    db: Database, config: Config, query: str
) -> None:
    store = MemoryStore(db, clock=lambda: T0)
    for i in range(50):
        store.add_memory(ALICE, f"memory {i} about Lisbon tea 上海 コーヒー")
    captured: dict[str, object] = {}
    fetch_all = db.fetch_all

    def capture(name: str, params: dict[str, object]) -> object:
        captured.update(params)
        return fetch_all(name, params)

    db.fetch_all = capture  # type: ignore[method-assign]
    try:
        assert store.search_memories(ALICE, query)
    finally:
        del db.fetch_all
    plan = _plan(db, config, captured)
    if config.dsn:
        assert plan.count("idx_memories_search") >= 2, plan  # the count and the candidates
        assert "Seq Scan on memories" not in plan, plan
    else:
        assert plan.count("VIRTUAL TABLE INDEX") >= 2, plan
        assert "SCAN m\n" not in plan + "\n" and "SCAN memories" not in plan, plan
