"""Items of the namespaced JSON store (LangGraph's long-term memory): what goes in, what comes out.

An operation is one of GetItem, SearchItems, ListNamespaces, PutItem; ItemStore.apply runs a list
of them as one batch. Namespaces are tuples of non-empty labels without '.' or NUL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple

Namespace = tuple[str, ...]


class StoredItem(NamedTuple):
    """One live item; `score` is the full-text relevance when a search had a query. (A named
    tuple: reads build many, and a tuple is the cheapest immutable record to build.)"""

    namespace: Namespace
    key: str
    value: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    score: float | None = None


@dataclass(frozen=True, slots=True)
class GetItem:
    namespace: Namespace
    key: str
    refresh_ttl: bool = True


@dataclass(frozen=True, slots=True)
class SearchItems:
    """Items under `prefix` (the namespace itself and its descendants). `filter` maps a key (a
    dotted path reaches into nested objects) to a value or to {"$eq"|"$ne"|"$gt"|"$gte"|"$lt"|
    "$lte": value}; `query` ranks by full-text relevance over the indexed text."""

    prefix: Namespace
    filter: Mapping[str, Any] | None = None
    query: str | None = None
    limit: int = 10
    offset: int = 0
    refresh_ttl: bool = True


@dataclass(frozen=True, slots=True)
class NamespaceMatch:
    """Labels the start (prefix) or the end (suffix) of a namespace must have; "*" matches any
    one label."""

    match_type: Literal["prefix", "suffix"]
    path: Namespace


@dataclass(frozen=True, slots=True)
class ListNamespaces:
    match: tuple[NamespaceMatch, ...] = field(default_factory=tuple)
    max_depth: int | None = None
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True, slots=True)
class PutItem:
    """Store `value` (a JSON object) or, when value is None, delete the item. `index`: which
    fields feed full-text search (None: the store's default, False: none). `ttl_minutes`: the
    item expires that long after its last write (or refreshing read)."""

    namespace: Namespace
    key: str
    value: Mapping[str, Any] | None
    index: Literal[False] | Sequence[str] | None = None
    ttl_minutes: float | None = None


ItemOp = GetItem | SearchItems | ListNamespaces | PutItem
ItemResult = StoredItem | list[StoredItem] | list[Namespace] | None
