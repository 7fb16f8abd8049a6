"""Namespaced JSON items with time to live: the long-term memory behind LangGraph's BaseStore.

An item lives under (namespace, key); a namespace is a tuple of labels. Reads never return an
expired item, swept or not: expiry is part of every read's WHERE clause (hiding costs a read
nothing extra), and `sweep_expired()` (or `genie-repo cleanup`) deletes expired rows later. A
read that refreshes TTLs adds one UPDATE for all the items it returned that have one.
A batch (`apply`) validates every operation before touching the database, answers its reads
from the state before its writes (as LangGraph's stores do), then applies its writes, last
write per (namespace, key) winning, all in one transaction; its reads share one snapshot.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from genie_repo.db.protocol import Database, Row
from genie_repo.errors import InvalidInput
from genie_repo.models.items import (
    GetItem,
    ItemOp,
    ItemResult,
    ListNamespaces,
    Namespace,
    NamespaceMatch,
    PutItem,
    SearchItems,
    StoredItem,
)
from genie_repo.stores.base import Clock, Store
from genie_repo.stores.items_params import (
    check_key,
    check_namespace,
    compile_filter,
    containment,
    decode_namespace,
    encode_namespace,
    encode_value,
    filter_params,
    indexed_strings,
    match_params,
    namespace_row,
    prefix_range,
)
from genie_repo.stores.text_search import (
    fts5_expression,
    index_terms,
    query_needles,
    tsquery_expression,
)
from genie_repo.timestamps import to_sqlite_text, utc_now

_decode = json.JSONDecoder().raw_decode  # json.loads without its whitespace regexes

MAX_TTL_MINUTES = 60.0 * 24 * 365 * 1000
"""Longest time to live (a thousand years; longer would overflow a datetime)."""


_Refresh = tuple[str, str, datetime]
"""(encoded namespace, key, new expires_at) of an item a read refreshes."""


@dataclass(slots=True)
class _Read:
    """One read of a batch, validated, with its parameters."""

    index: int
    query: str
    params: dict[str, Any]
    kind: Literal["get", "search", "list"]
    refresh: bool
    namespace: Namespace = ()


class ItemStore(Store):
    """get / put / delete / search / list_namespaces / sweep_expired, and `apply` for batches.

    `index_fields`: the dotted fields whose strings feed full-text search when a put names none
    (None: every string in the value).
    """

    QUERIES = (
        "items.find",
        "items.refresh",
        "items.upsert",
        "items.delete",
        "items.delete_expired",
        "items.delete_empty_namespaces",
        "items.search",
        "items.search_contained",
        "items.search_text",
        "items.list_namespaces",
        "items.list_namespace_prefixes",
        "items.pin_snapshot",
    )
    IDEMPOTENT_METHODS = frozenset({
        "apply", "get", "put", "delete", "search", "list_namespaces", "sweep_expired",
    })

    def __init__(
        self,
        db: Database,
        *,
        clock: Clock = utc_now,
        index_fields: Sequence[str] | None = None,
    ) -> None:
        super().__init__(db, clock=clock)
        if isinstance(index_fields, str):
            raise InvalidInput("index_fields is a list of dotted field paths, not a string")
        self.index_fields = None if index_fields is None else list(index_fields)

    # -- one operation ------------------------------------------------------------------------

    def get(self, namespace: Sequence[str], key: str, *, refresh_ttl: bool = True
            ) -> StoredItem | None:
        """The live item, or None. With refresh_ttl, an item that has a ttl gets it anew.
        (The hot path: `apply([GetItem(...)])` without building a batch.)"""
        labels = check_namespace(namespace)
        now = self.now()
        where = {"ns": encode_namespace(labels), "key": check_key(key), "now": now}
        found, refresh = self._find(labels, where, refresh_ttl)
        if refresh:
            self._refresh([refresh], now)
        return found

    def put(
        self,
        namespace: Sequence[str],
        key: str,
        value: Mapping[str, Any],
        *,
        index: Literal[False] | Sequence[str] | None = None,
        ttl_minutes: float | None = None,
    ) -> None:
        """Create or replace an item (created_at kept while the old one is live)."""
        self.apply([PutItem(tuple(namespace), key, value, index, ttl_minutes)])

    def delete(self, namespace: Sequence[str], key: str) -> None:
        """Remove the item if present. Idempotent."""
        self.apply([PutItem(tuple(namespace), key, None)])

    def search(
        self,
        prefix: Sequence[str],
        *,
        filter: Mapping[str, Any] | None = None,
        query: str | None = None,
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool = True,
    ) -> list[StoredItem]:
        """Live items under `prefix`, newest first, or by relevance to `query` (with score)."""
        op = SearchItems(tuple(prefix), filter, query, limit, offset, refresh_ttl)
        result = self.apply([op])[0]
        assert isinstance(result, list)
        return result  # type: ignore[return-value]

    def list_namespaces(
        self,
        *,
        prefix: Sequence[str] | None = None,
        suffix: Sequence[str] | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Namespace]:
        """Namespaces holding a live item, in tuple order; "*" in prefix/suffix matches any
        one label; max_depth truncates (then de-duplicates)."""
        match = []
        if prefix:
            match.append(NamespaceMatch("prefix", tuple(prefix)))
        if suffix:
            match.append(NamespaceMatch("suffix", tuple(suffix)))
        result = self.apply([ListNamespaces(tuple(match), max_depth, limit, offset)])[0]
        assert isinstance(result, list)
        return result  # type: ignore[return-value]

    def sweep_expired(self) -> int:
        """Delete expired items (and namespaces left empty); returns how many items went."""
        now = self.now()
        with self.db.transaction():
            deleted = self.db.execute("items.delete_expired", {"now": now})
            self.db.execute("items.delete_empty_namespaces", {})
        return deleted

    # -- batches ------------------------------------------------------------------------------

    def apply(self, ops: Sequence[ItemOp]) -> list[ItemResult]:
        """Run a batch; results line up with `ops` (None for a put). Invalid input anywhere
        raises InvalidInput before anything is read or written."""
        now = self.now()
        reads: list[_Read] = []
        writes: dict[tuple[str, str], dict[str, Any] | tuple[str, str]] = {}
        for index, op in enumerate(ops):
            if isinstance(op, PutItem):
                ns, key, write = self._prepare_put(op, now)
                writes.pop((ns, key), None)  # re-insert so the last write keeps the last place
                writes[(ns, key)] = write
            else:
                reads.append(self._prepare_read(index, op, now))
        results: list[ItemResult] = [None] * len(ops)
        if not reads and len(writes) == 1:  # one statement: atomic on its own
            self._write(next(iter(writes.values())))
            return results
        if not writes and len(reads) == 1:
            self._refresh(self._run_read(reads[0], results, now), now)
            return results
        with self.db.transaction(readonly=not writes and not _may_refresh(reads)):
            if len(reads) > 1:
                self.db.execute("items.pin_snapshot", {})
            refreshes: list[_Refresh] = []
            for read in reads:
                refreshes += self._run_read(read, results, now)
            self._refresh([r for r in refreshes if (r[0], r[1]) not in writes], now)
            for write in writes.values():
                self._write(write)
        return results

    def _write(self, write: dict[str, Any] | tuple[str, str]) -> None:
        if isinstance(write, tuple):
            self.db.execute("items.delete", {"ns": write[0], "key": write[1]})
        else:
            self.db.execute("items.upsert", write)

    def _prepare_put(
        self, op: PutItem, now: datetime
    ) -> tuple[str, str, dict[str, Any] | tuple[str, str]]:
        namespace = check_namespace(op.namespace, allow_empty=op.value is None)
        key = check_key(op.key)
        if op.value is None:
            ns = encode_namespace(namespace)
            return ns, key, (ns, key)
        row = namespace_row(namespace)
        value = encode_value(op.value)
        if op.index is False:
            text = ""
        else:
            fields = self.index_fields if op.index is None else list(op.index)
            text = index_terms(*indexed_strings(op.value, fields))
        expires_at, ttl = _expiry(op.ttl_minutes, now)
        return row["ns"], key, {
            **row, "key": key, "value": value, "search_text": text, "now": now,
            "expires_at": expires_at, "ttl_minutes": ttl,
        }

    def _prepare_read(self, index: int, op: ItemOp, now: datetime) -> _Read:
        if isinstance(op, GetItem):
            namespace = check_namespace(op.namespace)
            params = {"ns": encode_namespace(namespace), "key": check_key(op.key), "now": now}
            return _Read(index, "items.find", params, "get", bool(op.refresh_ttl), namespace)
        if isinstance(op, SearchItems):
            lo, hi = prefix_range(check_namespace(op.prefix))
            conditions = compile_filter(op.filter)
            params = {"lo": lo, "hi": hi, "now": now,
                      **filter_params(conditions, self.db.dialect),
                      "limit": _limit(op.limit), "offset": _offset(op.offset)}
            needles = self._needles(op.query) if op.query else None
            if needles is None:
                contains = containment(conditions)
                if contains is not None:
                    return _Read(index, "items.search_contained", {**params, "contains": contains},
                                 "search", bool(op.refresh_ttl))
                return _Read(index, "items.search", params, "search", bool(op.refresh_ttl))
            return _Read(index, "items.search_text", {**params, "needles": needles}, "search",
                         bool(op.refresh_ttl))
        if isinstance(op, ListNamespaces):
            max_depth = op.max_depth
            if max_depth is not None and (isinstance(max_depth, bool)
                                          or not isinstance(max_depth, int) or max_depth < 1):
                raise InvalidInput(f"max_depth must be a positive int, got {max_depth!r}")
            params = {**match_params(op.match), "now": now,
                      "limit": _limit(op.limit), "offset": _offset(op.offset)}
            if max_depth is None:
                return _Read(index, "items.list_namespaces", params, "list", False)
            return _Read(index, "items.list_namespace_prefixes",
                         {**params, "max_depth": max_depth}, "list", False)
        raise InvalidInput(f"unknown store operation {op!r}")

    def _needles(self, query: str) -> str | None:
        """The query's words for `items.search_text`, or None when it has no word (then the
        search is a plain listing)."""
        if not isinstance(query, str):
            raise InvalidInput(f"query must be a string, got {type(query).__name__}")
        needles = query_needles(query)
        if not needles:
            return None
        expression = fts5_expression if self.db.dialect == "sqlite" else tsquery_expression
        return json.dumps([{"text": n.text, "match": expression(n.terms), "whole": n.whole_pattern}
                           for n in needles], ensure_ascii=False)

    def _refresh(self, refreshes: list[_Refresh], now: datetime) -> None:
        """Give the items read their ttl anew, in one statement."""
        if not refreshes:
            return
        text = to_sqlite_text if self.db.dialect == "sqlite" else datetime.isoformat
        rows = [[ns, key, text(expires_at)] for ns, key, expires_at in refreshes]
        self.db.execute("items.refresh", {"refreshes": json.dumps(rows, ensure_ascii=False),
                                          "now": now})

    def _find(self, namespace: Namespace, where: dict[str, Any], refresh_ttl: bool
              ) -> tuple[StoredItem | None, _Refresh | None]:
        """The live item `where` names, and the TTL refresh to run if one is due."""
        found = self.db.fetch_value("items.find", where)
        if found is None:
            return None, None
        value, created_at, updated_at, ttl_minutes = _decode(found)[0]
        item = StoredItem(namespace, where["key"], value, datetime.fromisoformat(created_at),
                          datetime.fromisoformat(updated_at))
        if not refresh_ttl or ttl_minutes is None:
            return item, None
        return item, (where["ns"], where["key"], where["now"] + timedelta(minutes=ttl_minutes))

    def _run_read(self, read: _Read, results: list[ItemResult], now: datetime
                  ) -> list[_Refresh]:
        """Store the read's result; return the TTL refreshes it asks for."""
        if read.kind == "get":
            results[read.index], refresh = self._find(read.namespace, read.params, read.refresh)
            return [refresh] if refresh else []
        rows = self.db.fetch_all(read.query, read.params)
        if read.kind == "list":
            results[read.index] = [decode_namespace(r["ns"]) for r in rows]
            return []
        namespaces = {ns: decode_namespace(ns) for ns in {r["ns"] for r in rows}}
        results[read.index] = [_item(namespaces[r["ns"]], r["key"], r) for r in rows]
        if not read.refresh:
            return []
        return [(r["ns"], r["key"], now + timedelta(minutes=r["ttl_minutes"]))
                for r in rows if r["ttl_minutes"] is not None]


def _may_refresh(reads: list[_Read]) -> bool:
    return any(read.refresh for read in reads)


def _item(namespace: Namespace, key: str, row: Row) -> StoredItem:
    return StoredItem(namespace, key, json.loads(row["value"]), row["created_at"],
                      row["updated_at"], row.get("score"))


def _expiry(ttl_minutes: float | None, now: datetime) -> tuple[datetime | None, float | None]:
    if ttl_minutes is None:
        return None, None
    if isinstance(ttl_minutes, bool) or not isinstance(ttl_minutes, (int, float)) or not (
        0 < ttl_minutes <= MAX_TTL_MINUTES
    ):
        raise InvalidInput(f"ttl must be a positive number of minutes (at most "
                           f"{MAX_TTL_MINUTES:.0f}), got {ttl_minutes!r}")
    return now + timedelta(minutes=ttl_minutes), float(ttl_minutes)


def _limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise InvalidInput(f"limit must be a non-negative int, got {limit!r}")
    return limit


def _offset(offset: int) -> int:
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidInput(f"offset must be a non-negative int, got {offset!r}")
    return offset
