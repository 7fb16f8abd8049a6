"""LangGraph long-term memory (`BaseStore`) on genie_repo's ItemStore, next to the checkpointer.

`GenieStore(db, ttl=...)` implements batch/abatch and so every method BaseStore builds on them
(get, put, delete, search, list_namespaces and their async twins), plus LangGraph's TTL API
(sweep_ttl, start_ttl_sweeper, stop_ttl_sweeper). Filters, namespace matching and expiry are
evaluated in SQL; an expired item is never returned, swept or not. `query` ranks by full-text
search over each item's indexed text (every string in the value, or the `index` fields of its
put, or the `fields` of the index config). An index config with `embed` is refused: vector
search is not offered, and a query that silently ignored its embeddings would mislead.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from langgraph.store.base import (
    BaseStore,
    GetOp,
    IndexConfig,
    InvalidNamespaceError,
    Item,
    ListNamespacesOp,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
    TTLConfig,
    validate_op_namespace,
)

from genie_repo.aio import AsyncItemStore
from genie_repo.db.protocol import Database
from genie_repo.errors import InvalidInput
from genie_repo.migrate import migrate
from genie_repo.models.items import (
    GetItem,
    ItemOp,
    ItemResult,
    ListNamespaces,
    NamespaceMatch,
    PutItem,
    SearchItems,
    StoredItem,
)
from genie_repo.stores.base import Clock
from genie_repo.stores.items import ItemStore
from genie_repo.stores.items_params import InvalidNamespace
from genie_repo.timestamps import utc_now

log = logging.getLogger(__name__)

DEFAULT_SWEEP_MINUTES = 5.0
_TTL_KEYS = frozenset({"default_ttl", "refresh_on_read", "sweep_interval_minutes",
                       "omit_expired"})


class GenieStore(BaseStore):
    """A LangGraph `BaseStore` storing into genie_repo's item tables (SQLite or PostgreSQL).

    `ttl`: LangGraph's TTLConfig (`default_ttl` minutes for puts that give none,
    `refresh_on_read`, `sweep_interval_minutes`). `index`: only `fields` (or `text_fields`),
    the dotted paths full-text search reads; `embed` raises InvalidInput.
    """

    supports_ttl = True

    def __init__(
        self,
        db: Database,
        *,
        ttl: TTLConfig | None = None,
        index: IndexConfig | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.ttl_config = _check_ttl_config(ttl)
        self.index_config = index
        fields = _index_fields(index)
        self.store = ItemStore(db, clock=clock, index_fields=fields)
        self.async_store = AsyncItemStore(db, clock=clock, index_fields=fields)
        self._sweeper: threading.Thread | None = None
        self._stop_sweeping = threading.Event()

    def setup(self) -> None:
        """Apply pending genie_repo migrations (the item tables come with them). Idempotent."""
        migrate(self.store.db)

    # -- BaseStore ------------------------------------------------------------------------------

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        """Run the ops as one batch: reads see the state before the batch's writes, writes are
        one transaction (last write per item wins), reads share one snapshot."""
        converted = [_convert(op) for op in ops]
        return [_result(r) for r in self.store.apply(converted)]

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        """`batch` on the async item store: the event loop never waits on the database."""
        converted = [_convert(op) for op in ops]
        return [_result(r) for r in await self.async_store.apply(converted)]

    def get(
        self, namespace: tuple[str, ...], key: str, *, refresh_ttl: bool | None = None
    ) -> Item | None:
        """BaseStore.get without building a batch (the hot path); same checks, same result."""
        try:
            found = self.store.get(namespace, str(key), refresh_ttl=self._refresh(refresh_ttl))
        except InvalidNamespace as exc:
            raise InvalidNamespaceError(str(exc)) from exc
        return None if found is None else _item(found)

    async def aget(
        self, namespace: tuple[str, ...], key: str, *, refresh_ttl: bool | None = None
    ) -> Item | None:
        try:
            found = await self.async_store.get(namespace, str(key),
                                               refresh_ttl=self._refresh(refresh_ttl))
        except InvalidNamespace as exc:
            raise InvalidNamespaceError(str(exc)) from exc
        return None if found is None else _item(found)

    def _refresh(self, refresh_ttl: bool | None) -> bool:
        """LangGraph's rule: the call's choice, else the config's refresh_on_read, else True."""
        if refresh_ttl is not None:
            return refresh_ttl
        return self.ttl_config.get("refresh_on_read", True) if self.ttl_config else True

    # -- TTL ------------------------------------------------------------------------------------

    def sweep_ttl(self) -> int:
        """Delete expired items now; returns how many. Reads never needed it to hide them."""
        return self.store.sweep_expired()

    async def asweep_ttl(self) -> int:
        return int(await self.async_store.sweep_expired())

    def start_ttl_sweeper(
        self, sweep_interval_minutes: float | None = None
    ) -> concurrent.futures.Future[None]:
        """Sweep every `sweep_interval_minutes` (argument, else ttl_config, else 5) on a daemon
        thread until stop_ttl_sweeper(); the future completes when it stops (cancelling it
        stops it). Without a ttl config nothing runs and the future is already done."""
        future: concurrent.futures.Future[None] = concurrent.futures.Future()
        if not self.ttl_config:
            future.set_result(None)
            return future
        future.add_done_callback(lambda f: self._stop_sweeping.set() if f.cancelled() else None)
        if self._sweeper is not None and self._sweeper.is_alive():
            return future
        minutes = float(sweep_interval_minutes
                        or self.ttl_config.get("sweep_interval_minutes")
                        or DEFAULT_SWEEP_MINUTES)
        if minutes <= 0:
            raise InvalidInput(f"sweep_interval_minutes must be positive, got {minutes}")
        self._stop_sweeping.clear()
        self._sweeper = threading.Thread(target=self._sweep_until_stopped,
                                         args=(minutes * 60, future), daemon=True,
                                         name="genie-store-ttl-sweeper")
        self._sweeper.start()
        return future

    def stop_ttl_sweeper(self, timeout: float | None = None) -> bool:
        """Stop the sweeper; True once it has stopped (or was not running)."""
        sweeper = self._sweeper
        if sweeper is None or not sweeper.is_alive():
            return True
        self._stop_sweeping.set()
        sweeper.join(timeout)
        if sweeper.is_alive():
            return False
        self._sweeper = None
        return True

    def _sweep_until_stopped(self, seconds: float, future: concurrent.futures.Future[None]
                             ) -> None:
        while not self._stop_sweeping.wait(seconds):
            try:
                swept = self.sweep_ttl()
            except Exception:  # a failed sweep is retried next interval, not fatal
                log.exception("store TTL sweep failed")
            else:
                if swept:
                    log.info("store TTL sweep deleted %d expired items", swept)
        if not future.done():
            future.set_result(None)


def _check_ttl_config(ttl: TTLConfig | None) -> TTLConfig | None:
    if ttl is None:
        return None
    unknown = set(ttl) - _TTL_KEYS
    if unknown:
        raise InvalidInput(f"unknown ttl config keys: {sorted(unknown)}")
    default = ttl.get("default_ttl")
    if default is not None and (isinstance(default, bool)
                                or not isinstance(default, (int, float)) or default <= 0):
        raise InvalidInput(f"default_ttl must be a positive number of minutes, got {default!r}")
    return ttl


def _index_fields(index: IndexConfig | None) -> list[str] | None:
    if index is None:
        return None
    if index.get("embed") is not None:
        raise InvalidInput(
            "GenieStore does not do vector search: an index config with 'embed' is refused "
            "rather than ignored. Leave out 'embed' (and 'dims'); `query` then ranks by "
            "full-text search over the index 'fields'."
        )
    fields: Any = index.get("fields") or index.get("text_fields")
    if fields is None:
        return None
    return [fields] if isinstance(fields, str) else list(fields)


def _convert(op: Op) -> ItemOp:
    validate_op_namespace(op)
    if isinstance(op, GetOp):
        return GetItem(tuple(op.namespace), op.key, op.refresh_ttl)
    if isinstance(op, SearchOp):
        return SearchItems(tuple(op.namespace_prefix), op.filter, op.query, op.limit,
                           op.offset, op.refresh_ttl)
    if isinstance(op, PutOp):
        return PutItem(tuple(op.namespace), op.key, op.value, op.index, op.ttl)
    if isinstance(op, ListNamespacesOp):
        match = tuple(NamespaceMatch(c.match_type, _path(c.path))
                      for c in op.match_conditions or ())
        return ListNamespaces(match, op.max_depth, op.limit, op.offset)
    raise InvalidInput(f"unknown store operation: {op!r}")


def _path(path: Sequence[str] | str) -> tuple[str, ...]:
    return (path,) if isinstance(path, str) else tuple(path)


def _item(found: StoredItem) -> Item:
    return Item(value=found.value, key=found.key, namespace=found.namespace,
                created_at=found.created_at, updated_at=found.updated_at)


def _result(result: ItemResult) -> Result:
    if isinstance(result, StoredItem):
        return _item(result)
    if not isinstance(result, list):
        return None
    return [
        SearchItem(r.namespace, r.key, r.value, r.created_at, r.updated_at, r.score)
        if isinstance(r, StoredItem) else r
        for r in result
    ]  # type: ignore[return-value]
