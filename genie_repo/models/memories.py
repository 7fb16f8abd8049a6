"""Long-term memories: who they belong to, and the entry shape the seed's memory service returns."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from genie_repo.errors import InvalidInput
from genie_repo.models.base import Model, require_id
from genie_repo.models.sessions import UserKey

# uuid5 namespace for memory ids (uuid5(NAMESPACE_URL, "genie_repo:memories")); fixed forever,
# since ids are derived from content and must be the same in every process and release.
MEMORY_NAMESPACE = uuid.UUID("28cf7aa0-b8be-5ac5-9e9c-77b84d1c583e")


class UserKeyLike(Protocol):
    """Anything naming a memory owner, e.g. `UserKey` (the same key sessions use)."""

    @property
    def app_name(self) -> str: ...

    @property
    def user_id(self) -> str: ...


@dataclass(frozen=True, slots=True)
class MemoryKey:
    """One memory of one owner. Every part is required (InvalidInput otherwise)."""

    app_name: str
    user_id: str
    memory_id: str

    def __post_init__(self) -> None:
        require_id(self.app_name, "app_name")
        require_id(self.user_id, "user_id")
        require_id(self.memory_id, "memory_id")

    @property
    def user_key(self) -> UserKey:
        return UserKey(self.app_name, self.user_id)


def memory_id(app_name: str, user_id: str, content: str) -> str:
    """The id of a memory: uuid5 over a JSON array of its owner and text. Unlike the seed's
    `"{app}:{user}:{content}"`, the encoding is unambiguous when a part contains ':'."""
    encoded = json.dumps([app_name, user_id, content], ensure_ascii=False, separators=(",", ":"))
    return str(uuid.uuid5(MEMORY_NAMESPACE, encoded))


def encode_topics(topics: object) -> str:
    """Topics as the JSON array text stored in the row; None is no topics. Order is kept and
    duplicates are dropped; each topic must be a string (InvalidInput otherwise)."""
    if topics is None:
        return "[]"
    if isinstance(topics, str) or not isinstance(topics, list | tuple):
        raise InvalidInput("topics must be a list of strings")
    unique: dict[str, None] = {}
    for topic in topics:
        if not isinstance(topic, str):
            raise InvalidInput(f"every topic must be a string, got {type(topic).__name__}")
        unique[topic] = None
    return json.dumps(list(unique), ensure_ascii=False)


def decode_topics(text: str | None) -> list[str]:
    """The stored topics; a value that is not a JSON array of strings reads as [] (as the seed)."""
    try:
        value = json.loads(text) if text else []
    except ValueError:
        return []
    if not isinstance(value, list):
        return []
    return [t for t in value if isinstance(t, str)]


class Memory(Model):
    """The remembered text and its topics; `last_updated` mirrors the entry's `updated_at`."""

    content: str
    topics: list[str]
    last_updated: datetime


class MemoryEntry(Model):
    """One memory as the store returns it. `score` is set on search results only: higher is a
    better match, comparable within one result list (bm25 on SQLite, a BM25-style sum on
    PostgreSQL)."""

    id: str
    app_name: str
    user_id: str
    memory: Memory
    created_at: datetime
    updated_at: datetime
    score: float | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> MemoryEntry:
        return cls(
            id=row["id"],
            app_name=row["app_name"],
            user_id=row["user_id"],
            memory=Memory(
                content=row["content"],
                topics=decode_topics(row["topics"]),
                last_updated=row["updated_at"],
            ),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            score=row.get("score"),
        )
