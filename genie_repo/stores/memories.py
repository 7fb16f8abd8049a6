"""Long-term memories per (app, user): idempotent by text, ranked search in every script.

A memory's id is derived from its owner and text, so adding the same text twice keeps one row
(topics and updated_at refreshed, created_at kept). Search finds whole words, parts of words
(3+ characters) and any part of text in scripts written without spaces (Chinese, Japanese,
Korean, Thai, ...), case-insensitively; the terms it looks up are computed by
`genie_repo.stores.text_search` when a memory is written, so both dialects index, find and rank
the same memories. Words too common for the owner stop selecting (see COMMON_WORD_MEMORIES).
User text is never parsed as query syntax.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from genie_repo.db.protocol import Database
from genie_repo.errors import GenieRepoError, InvalidInput, NotFound, TransientError
from genie_repo.models.base import require_id
from genie_repo.models.memories import MemoryEntry, MemoryKey, UserKeyLike, encode_topics, memory_id
from genie_repo.models.sessions import UserKey
from genie_repo.stores.base import Clock, Store
from genie_repo.stores.limits import check_limit
from genie_repo.stores.text_search import (
    fts5_expression,
    index_terms,
    query_needles,
    tsquery_expression,
)
from genie_repo.timestamps import utc_now

log = logging.getLogger(__name__)

COMMON_WORD_MEMORIES = 250
"""A query word found in this many of the owner's memories is too common to select by (a stop
word, in effect): the search is OR over the rarer words, AND over all when every word is common.
Owners with fewer memories always get a plain OR search. This bounds the work per search."""

MAX_OWNER_PART = 1024
"""Longest app_name or user_id (the search index holds them as one token)."""

Extracted = tuple[str, Sequence[str]] | str
"""What an auto-memory extractor yields: the text, or (text, topics)."""
Extractor = Callable[[Sequence[Any]], Iterable[Extracted]]


class MemoryStore(Store):
    """Add, update, delete, read and search the memories of one owner (app_name, user_id).

    `max_memories_per_user`: when set, adding a memory beyond it deletes the owner's least
    recently updated memories in the same transaction. `auto_memory_queue_size` bounds the
    background jobs of `enqueue_auto_memory_job` waiting to run.
    """

    QUERIES = (
        "memories.upsert",
        "memories.find_for_update",
        "memories.delete",
        "memories.delete_all",
        "memories.evict_oldest",
        "memories.list_recent",
        "memories.search",
    )
    IDEMPOTENT_METHODS = frozenset({
        "add_memory", "delete_memory", "clear_memories", "read_memories", "search_memories",
    })

    def __init__(
        self,
        db: Database,
        *,
        clock: Clock = utc_now,
        max_memories_per_user: int | None = None,
        auto_memory_queue_size: int = 64,
    ) -> None:
        super().__init__(db, clock=clock)
        if max_memories_per_user is not None:
            check_limit(max_memories_per_user, maximum=2**31)
        check_limit(auto_memory_queue_size)
        self.max_memories_per_user = max_memories_per_user
        self._slots = threading.BoundedSemaphore(auto_memory_queue_size)
        self._worker: ThreadPoolExecutor | None = None
        self._worker_lock = threading.Lock()
        self._closed = False

    # -- writes -------------------------------------------------------------------------------

    def add_memory(
        self, user_key: UserKeyLike, content: str, topics: Sequence[str] | None = None
    ) -> MemoryEntry:
        """Store a memory; idempotent by (owner, text). Re-adding the same text replaces its
        topics and refreshes updated_at, keeping id and created_at. Returns the stored entry."""
        app_name, user_id = _owner(user_key)
        _check_content(content)
        encoded = encode_topics(topics)
        now = self.now()
        params = {
            "id": memory_id(app_name, user_id, content),
            "app_name": app_name,
            "user_id": user_id,
            "content": content,
            "topics": encoded,
            "search_terms": index_terms(content, *json.loads(encoded)),
            "created_at": now,
            "now": now,
        }
        with self.db.transaction():
            row = self.db.fetch_one("memories.upsert", params)
            self._evict(app_name, user_id)
        assert row is not None  # a :one query raises NotFound rather than return None
        return MemoryEntry.from_row(row)

    def update_memory(
        self, key: MemoryKey, content: str, topics: Sequence[str] | None = None
    ) -> MemoryEntry:
        """Rewrite a memory's text and topics. NotFound when it does not exist.

        The id follows the text: the returned entry has the id of the new text (unchanged when
        the text is the same), and the old id no longer exists. If the owner already has a memory
        with the new text, the two merge into that one row (the given topics, the earlier
        created_at). So a later add of the new text updates this row, and a later add of the old
        text creates a fresh memory: never two rows with one text. One transaction."""
        app_name, user_id = _owner(key)
        old_id = require_id(key.memory_id, "memory_id")
        _check_content(content)
        encoded = encode_topics(topics)
        now = self.now()
        new_id = memory_id(app_name, user_id, content)
        where = {"app_name": app_name, "user_id": user_id, "id": old_id}
        with self.db.transaction():
            old = self.db.fetch_one("memories.find_for_update", where)
            if old is None:
                raise NotFound(f"memory {old_id!r} not found for {app_name!r}/{user_id!r}")
            row = self.db.fetch_one(
                "memories.upsert",
                {
                    "id": new_id,
                    "app_name": app_name,
                    "user_id": user_id,
                    "content": content,
                    "topics": encoded,
                    "search_terms": index_terms(content, *json.loads(encoded)),
                    "created_at": old["created_at"],
                    "now": now,
                },
            )
            if new_id != old_id:
                self.db.execute("memories.delete", where)
        assert row is not None  # a :one query raises NotFound rather than return None
        return MemoryEntry.from_row(row)

    def delete_memory(self, key: MemoryKey) -> bool:
        """Delete one memory; idempotent. True when a row was deleted."""
        app_name, user_id = _owner(key)
        where = {"app_name": app_name, "user_id": user_id,
                 "id": require_id(key.memory_id, "memory_id")}
        return self.db.execute("memories.delete", where) > 0

    def clear_memories(self, user_key: UserKeyLike) -> int:
        """Delete every memory of the owner; returns how many."""
        app_name, user_id = _owner(user_key)
        return self.db.execute("memories.delete_all", {"app_name": app_name, "user_id": user_id})

    def _evict(self, app_name: str, user_id: str) -> None:
        if self.max_memories_per_user is not None:
            self.db.execute(
                "memories.evict_oldest",
                {"app_name": app_name, "user_id": user_id, "keep": self.max_memories_per_user},
            )

    # -- reads --------------------------------------------------------------------------------

    def read_memories(self, user_key: UserKeyLike, limit: int = 100) -> list[MemoryEntry]:
        """The owner's memories, most recently updated first, at most `limit` (1 to 10,000)."""
        app_name, user_id = _owner(user_key)
        rows = self.db.fetch_all(
            "memories.list_recent",
            {"app_name": app_name, "user_id": user_id, "limit": check_limit(limit)},
        )
        return [MemoryEntry.from_row(row) for row in rows]

    def search_memories(
        self,
        user_key: UserKeyLike,
        query: str,
        limit: int = 10,
        topics: Sequence[str] | None = None,
    ) -> list[MemoryEntry]:
        """The owner's memories matching any word of `query` in their text or topics, best
        first (ties: most recently updated first), each with its `score`.

        Case-insensitive, words in any order, no stemming. A word matches a whole word, or the
        inside of a word when it has 3 or more characters ("lisb" finds "Lisbon", ranked below
        a memory with the whole word); in scripts written without spaces (Chinese, Japanese,
        Korean, Thai, ...) any 1 or more characters match inside the text ("上海" finds
        "我搬到上海了"). So every memory whose text contains such a query word is found. Only the
        first 10,000 characters of a memory are searched. Punctuation and query operators (`"`,
        `*`, `AND`, `NEAR(`, `-`, `:` ...) are separators, so a query without a word returns [].
        `topics`, when given, keeps only memories having at least one of them (exact,
        case-sensitive topic names)."""
        app_name, user_id = _owner(user_key)
        if not isinstance(query, str):
            raise InvalidInput("query must be a string")
        check_limit(limit)
        topic_filter = None if topics is None else encode_topics(topics)
        needles = query_needles(query)
        if not needles or topic_filter == "[]":
            return []
        expression = fts5_expression if self.db.dialect == "sqlite" else tsquery_expression
        rows = self.db.fetch_all(
            "memories.search",
            {
                "needles": json.dumps(
                    [{"text": n.text, "match": expression(n.terms), "whole": n.whole_pattern}
                     for n in needles],
                    ensure_ascii=False,
                ),
                "common": COMMON_WORD_MEMORIES,
                "app_name": app_name,
                "user_id": user_id,
                "topics": topic_filter,
                "limit": limit,
            },
        )
        return [MemoryEntry.from_row(row) for row in rows]

    # -- automatic memories -------------------------------------------------------------------

    def enqueue_auto_memory_job(
        self, user_key: UserKeyLike, events: Sequence[Any], extractor: Extractor
    ) -> Future[list[MemoryEntry]]:
        """Run `extractor(events)` on a background thread and add each memory it yields
        (`text` or `(text, topics)`) for the owner. Returns the job's future (its result is the
        stored entries; an extractor or storage error is its exception, and is logged).

        Jobs run one at a time, in order. TransientError when `auto_memory_queue_size` jobs are
        already waiting (retry later); GenieRepoError after close()."""
        owner = _owner(user_key)
        if not callable(extractor):
            raise InvalidInput("extractor must be callable")
        snapshot = list(events)
        with self._worker_lock:
            if self._closed:
                raise GenieRepoError("memory store is closed")
            if not self._slots.acquire(blocking=False):
                raise TransientError("auto-memory queue is full; retry later")
            if self._worker is None:
                self._worker = ThreadPoolExecutor(1, thread_name_prefix="genie-auto-memory")
            future = self._worker.submit(self._run_auto_memory_job, owner, snapshot, extractor)
        future.add_done_callback(self._job_done)
        return future

    def _run_auto_memory_job(
        self, owner: tuple[str, str], events: list[Any], extractor: Extractor
    ) -> list[MemoryEntry]:
        key = UserKey(*owner)
        stored = []
        for item in extractor(events):
            content, topics = (item, None) if isinstance(item, str) else item
            stored.append(self.add_memory(key, content, topics))
        return stored

    def _job_done(self, future: Future[list[MemoryEntry]]) -> None:
        self._slots.release()
        error = None if future.cancelled() else future.exception()
        if error is not None:
            log.error("auto-memory job failed: %s", error, exc_info=error)

    def close(self) -> None:
        """Stop accepting auto-memory jobs and wait for the queued ones to finish. The database
        stays open (it belongs to the caller). Idempotent."""
        with self._worker_lock:
            self._closed = True
            worker, self._worker = self._worker, None
        if worker is not None:
            worker.shutdown(wait=True)


def _owner(key: UserKeyLike) -> tuple[str, str]:
    parts = (
        require_id(getattr(key, "app_name", None), "app_name"),
        require_id(getattr(key, "user_id", None), "user_id"),
    )
    if any(len(part) > MAX_OWNER_PART for part in parts):
        raise InvalidInput(f"app_name and user_id are at most {MAX_OWNER_PART} characters")
    for part in parts:  # the memory id hashes them as UTF-8
        try:
            part.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidInput("app_name and user_id must be valid Unicode") from None
    return parts


def _check_content(content: object) -> None:
    if not isinstance(content, str) or not content.strip():
        raise InvalidInput("memory content must be a non-blank string")
    if "\x00" in content:
        raise InvalidInput("memory content may not contain NUL characters")
    try:
        content.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput("memory content is not valid Unicode (lone surrogate)") from None
