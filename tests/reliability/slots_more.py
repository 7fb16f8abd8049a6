"""Hostile-input slots of the memory, short-memory and cron stores."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from genie_repo import CronStore, MemoryStore, ShortMemoryStore
from genie_repo.models.memories import MemoryKey
from genie_repo.models.sessions import UserKey
from tests.reliability.hostile import Call, Slot, Stores, Verify

OWNER = UserKey("hostile-app", "user")
TTL = timedelta(hours=1)


def memory_add(field: str) -> Slot:
    """`add_memory` with the value as owner part, content or a topic; it must read back, and
    searching for its own words must find it (the index holds what the row holds)."""

    def slot(stores: Stores, value: Any) -> tuple[Call, Verify]:
        memories = MemoryStore(stores.db)
        args: dict[str, Any] = {"app": OWNER.app_name, "user": stores.fresh_id(),
                                "content": "plain words", "topics": ["t"]}
        if field == "topics":
            args["topics"] = [value]
        else:
            args[field] = value

        def call() -> object:
            return memories.add_memory(UserKey(args["app"], args["user"]),
                                       args["content"], topics=args["topics"])

        def verify(result: object) -> None:
            owner = UserKey(args["app"], args["user"])
            (entry,) = memories.read_memories(owner)
            assert entry == result
            assert (entry.memory.content, entry.memory.topics) == (args["content"], args["topics"])
            found = memories.search_memories(owner, args["content"], limit=10)
            assert all(e.id == entry.id for e in found)

        return call, verify

    return slot


def memory_update(stores: Stores, value: Any) -> tuple[Call, Verify]:
    memories = MemoryStore(stores.db)
    owner = UserKey(OWNER.app_name, stores.fresh_id())
    entry = memories.add_memory(owner, "before")

    def verify(result: object) -> None:
        (after,) = memories.read_memories(owner)
        assert after == result and after.memory.content == value

    return lambda: memories.update_memory(
        MemoryKey(owner.app_name, owner.user_id, entry.id), value), verify


def memory_search(field: str) -> Slot:
    """The value as a search query (LIKE wildcards, FTS operators, megabytes...) or a topic
    filter: results are only the owner's memories, never an error other than InvalidInput."""

    def slot(stores: Stores, value: Any) -> tuple[Call, Verify]:
        memories = MemoryStore(stores.db)
        owner = UserKey(OWNER.app_name, stores.fresh_id())
        mine = memories.add_memory(owner, "percent % underscore _ star * quote \" words")

        def call() -> object:
            if field == "query":
                return memories.search_memories(owner, value)
            return memories.search_memories(owner, "words", topics=[value])

        def verify(result: object) -> None:
            assert all(e.id == mine.id for e in result)  # type: ignore[attr-defined]

        return call, verify

    return slot


def memory_keyed(method: str) -> Slot:
    def slot(stores: Stores, value: Any) -> tuple[Call, Verify]:
        memories = MemoryStore(stores.db)
        owner = UserKey(OWNER.app_name, stores.fresh_id())
        memories.add_memory(owner, "kept")

        def call() -> object:
            if method == "delete_memory":
                return memories.delete_memory(MemoryKey(owner.app_name, owner.user_id, value))
            return memories.clear_memories(UserKey(OWNER.app_name, value))

        def verify(result: object) -> None:
            assert [e.memory.content for e in memories.read_memories(owner)] == ["kept"]

        return call, verify

    return slot


def short_set(field: str) -> Slot:
    def slot(stores: Stores, value: Any) -> tuple[Call, Verify]:
        short = ShortMemoryStore(stores.db)
        args: dict[str, Any] = {"memory_type": "type", "key": stores.fresh_id(), "value": "v"}
        args[field] = value

        def verify(result: object) -> None:
            assert short.get(args["memory_type"], args["key"]) == args["value"]
            entry = short.get_entry(args["memory_type"], args["key"])
            assert entry is not None and entry.value == args["value"]

        return lambda: short.set(args["memory_type"], args["key"], args["value"], TTL), verify

    return slot


def short_keyed(method: str) -> Slot:
    def slot(stores: Stores, value: Any) -> tuple[Call, Verify]:
        short = ShortMemoryStore(stores.db)
        kept = stores.fresh_id()
        short.set("type", kept, "kept", TTL)

        def call() -> object:
            if method == "set_if_absent":
                return short.set_if_absent("race", value, "v", TTL)
            if method == "count":
                return short.count(value)
            if method == "get":
                return short.get("type", value)
            short.delete("type", value)
            return None

        def verify(result: object) -> None:
            if method == "set_if_absent":
                assert isinstance(result, bool) and short.get("race", value) == "v"
            assert short.get("type", kept) == "kept"

        return call, verify

    return slot


def cron_define(method: str, field: str) -> Slot:
    """`upsert_from_config` / `create_task` with the value as name, expression or action."""

    def slot(stores: Stores, value: Any) -> tuple[Call, Verify]:
        cron = CronStore(stores.db)
        args: dict[str, Any] = {"name": stores.fresh_id(), "expression": "*/5 * * * *",
                                "action": "run"}
        args[field] = value

        def verify(result: object) -> None:
            task = cron.get(result.id)  # type: ignore[attr-defined]
            assert (task.name, task.expression, task.action) == (
                args["name"], args["expression"], args["action"])

        return lambda: getattr(cron, method)(**args), verify

    return slot


def cron_keyed(method: str) -> Slot:
    def slot(stores: Stores, value: Any) -> tuple[Call, Verify]:
        cron = CronStore(stores.db)
        task = cron.create_task(stores.fresh_id(), "*/5 * * * *", "run")
        run = cron.start_run(task.id)

        def call() -> object:
            if method == "claim_due":
                return cron.claim_due(limit=10, worker_id=value)
            if method == "start_run":
                return cron.start_run(task.id, worker_id=value)
            if method == "finish":
                return cron.finish(run.id, status="failed", error=value)
            return getattr(cron, method)(value)

        def verify(result: object) -> None:
            if method == "start_run":
                assert cron.get_run(result.id).worker_id == value  # type: ignore[attr-defined]
            elif method == "finish":  # no error text (None) is stored as ""
                assert cron.get_run(run.id).error == (value or "")
            assert cron.get(task.id).name == task.name

        return call, verify

    return slot


MORE_SLOTS: dict[str, Slot] = {
    **{f"memories.add_memory({f})": memory_add(f) for f in ("app", "user", "content", "topics")},
    "memories.update_memory(content)": memory_update,
    **{f"memories.search_memories({f})": memory_search(f) for f in ("query", "topics")},
    **{f"memories.{m}": memory_keyed(m) for m in ("delete_memory", "clear_memories")},
    **{f"short_memory.set({f})": short_set(f) for f in ("memory_type", "key", "value")},
    **{f"short_memory.{m}": short_keyed(m) for m in ("set_if_absent", "count", "get", "delete")},
    **{f"cron.{m}({f})": cron_define(m, f)
       for m in ("upsert_from_config", "create_task") for f in ("name", "expression", "action")},
    **{f"cron.{m}": cron_keyed(m)
       for m in ("claim_due", "start_run", "finish", "get", "delete", "get_run")},
}
