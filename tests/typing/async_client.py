"""A client of every async store, checked by `mypy --strict` (see tests/test_aio_typing.py):
the async API is typed as precisely as the sync one."""

from __future__ import annotations

from datetime import timedelta

from genie_repo import CheckpointTuple, Database, SessionKey, UserKey
from genie_repo.aio import (
    AsyncApprovalStore,
    AsyncCheckpointStore,
    AsyncClarificationStore,
    AsyncCronStore,
    AsyncMemoryStore,
    AsyncSessionStore,
    AsyncShortMemoryStore,
    AsyncStatsStore,
    transaction,
)


async def use_every_store(db: Database) -> None:
    found = await AsyncCheckpointStore(db).get_tuple("thread")
    reveal_type(found)  # noqa: F821  (mypy's builtin)
    tuple_or_none: CheckpointTuple | None = found
    assert tuple_or_none is None or tuple_or_none.ref.lineage_id == "thread"

    key = SessionKey(app_name="app", user_id="u", session_id="s")
    async with transaction(db):
        session = await AsyncSessionStore(db).create_session(key)
        events: int = len(session.events)
    pending = await AsyncApprovalStore(db).list_pending(limit=10)
    questions = await AsyncClarificationStore(db).list_pending()
    tasks = await AsyncCronStore(db).list_tasks()
    owner = UserKey(app_name="app", user_id="u")
    await AsyncMemoryStore(db).add_memory(owner, "likes tea")
    memories = await AsyncMemoryStore(db).search_memories(owner, "tea")
    value: str | None = await AsyncShortMemoryStore(db).get("type", "key")
    await AsyncShortMemoryStore(db).set("type", "key", "v", timedelta(minutes=1))
    counts: dict[str, int] = await AsyncStatsStore(db).table_counts()
    assert events + len(pending) + len(questions) + len(tasks) + len(memories) + len(counts) >= 0
    assert value is None or value == "v"
