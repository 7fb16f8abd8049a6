"""`GenieSession`: an OpenAI Agents SDK `Session` (conversation history) on genie_repo.

Each history item is one event of a genie_repo session (`app_name`, `user_id`, `session_id`),
its payload the item's JSON, so `genie-repo sessions show` lists the conversation. What the
SDK's own sessions leave to chance is the database's job here:

- `add_items` appends every item in one transaction, in order, creating the session on the
  first write; writers in any number of processes queue (SQLite `BEGIN IMMEDIATE`, PostgreSQL
  a row lock), so none gets "database is locked", a failed write leaves no lock behind, and
  concurrent first writes to a new session lose nothing.
- `get_items(limit)` reads the newest `limit` items (else `session_settings.limit`, else all),
  in chronological order, in one statement. A limit of 0 or less returns no items.
- `pop_item` deletes and returns the newest item in one statement: two concurrent pops never
  return the same item. `clear_session` deletes the items and the session.
- Items round-trip exactly as JSON: what `json.loads(json.dumps(item))` gives back.
- A write whose caller is cancelled still completes, and the cancellation reaches the caller
  only once the outcome is known (as in the SDK's sessions), so a retry never races it.

Database calls go through `genie_repo.aio.AsyncSessionStore`: natively async on PostgreSQL,
on the database's worker thread on SQLite; the event loop never waits on the database.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import Any, TypeVar

from agents.items import TResponseInputItem
from agents.memory.session_settings import (
    SessionSettings,
    coerce_session_settings,
    resolve_session_limit,
)

from genie_repo.aio import AsyncSessionStore
from genie_repo.db.protocol import Database
from genie_repo.errors import GenieRepoError, InvalidInput
from genie_repo.models.sessions import Event, SessionKey

T = TypeVar("T")

DEFAULT_APP_NAME = "openai-agents"
DEFAULT_USER_ID = "default"
_READ_ALL_FROM = 2**31  # a limit this large asks for every item


class GenieSession:
    """Conversation history for `Runner.run(agent, input, session=GenieSession(...))`,
    satisfying `agents.memory.session.Session`. The database belongs to the caller. Sessions
    may share one `store` (an `AsyncSessionStore` the caller closes); without one, the session
    makes its own and `close()` / `aclose()` releases it."""

    session_settings: SessionSettings | None

    def __init__(
        self,
        session_id: str,
        db: Database,
        *,
        app_name: str = DEFAULT_APP_NAME,
        user_id: str = DEFAULT_USER_ID,
        session_settings: SessionSettings | dict[str, Any] | None = None,
        store: AsyncSessionStore | None = None,
    ) -> None:
        """InvalidInput for an id the session store refuses (empty, too long, NUL)."""
        self.session_id = session_id
        self.key = SessionKey(app_name, user_id, session_id)
        self.session_settings = (SessionSettings() if session_settings is None
                                 else coerce_session_settings(session_settings))
        self._owns_store = store is None
        self._store = AsyncSessionStore(db) if store is None else store
        self._closed = False

    async def get_items(self, limit: int | None = None) -> list[TResponseInputItem]:
        """The newest `limit` items (None: `session_settings.limit`, and None there: all), in
        the order they were added; [] for a limit of 0 or less, or a session never written."""
        self._check_open()
        resolved = resolve_session_limit(limit, self.session_settings)
        if resolved is not None and resolved <= 0:
            return []
        if resolved is not None and resolved >= _READ_ALL_FROM:
            resolved = None
        items: list[TResponseInputItem] = json.loads(
            await self._store.get_event_payloads(self.key, limit=resolved))
        return items

    async def add_items(self, items: list[TResponseInputItem]) -> None:
        """Append `items` in order, in one transaction (the session is created on its first
        write). InvalidInput, and nothing stored, when an item is not JSON-encodable."""
        self._check_open()
        if not items:
            return
        await _outcome(self._store.append_events(self.key, [_event(item) for item in items],
                                                 create_session=True))

    async def pop_item(self) -> TResponseInputItem | None:
        """Remove and return the newest item, atomically; None when there is none."""
        self._check_open()
        event = await _outcome(self._store.pop_event(self.key))
        if event is None:
            return None
        item: TResponseInputItem = json.loads(event.payload)
        return item

    async def clear_session(self) -> None:
        """Delete every item and the session itself."""
        self._check_open()
        await _outcome(self._store.delete_session(self.key))

    async def aclose(self) -> None:
        """Refuse further calls and release the session's own store (not one passed in, nor
        the database). Idempotent."""
        self._closed = True
        if self._owns_store:
            await self._store.aclose()

    def close(self) -> None:
        """`aclose()` for synchronous callers (the SDK's sessions have `close()`): refuse
        further calls and close the session's own store. Idempotent."""
        self._closed = True
        if self._owns_store:
            self._store.store.close()

    def _check_open(self) -> None:
        if self._closed:
            raise GenieRepoError(f"GenieSession {self.session_id!r} is closed")

    def __repr__(self) -> str:
        return f"<GenieSession {self.key.app_name}/{self.key.user_id}/{self.session_id}>"


async def _outcome(write: Awaitable[T]) -> T:
    """Await `write` to its end even if the caller is cancelled meanwhile; then re-raise the
    (first) cancellation, or return the result."""
    task = asyncio.ensure_future(write)
    cancelled: asyncio.CancelledError | None = None
    while not task.done():
        try:
            await asyncio.wait({task})
        except asyncio.CancelledError as exc:
            cancelled = cancelled or exc
    if cancelled is not None:
        task.exception()  # retrieve a failure, so asyncio does not log it as never retrieved
        raise cancelled
    return task.result()


def _event(item: TResponseInputItem) -> Event:
    """The event that stores one item: its JSON (ASCII, so any string round-trips, lone
    surrogates included) as the payload, its role or type as the author."""
    try:
        payload = json.dumps(item)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"a session item must be JSON-encodable: {exc}") from exc
    if not isinstance(item, dict):
        raise InvalidInput(f"a session item must be a dict, got {type(item).__name__}")
    label = item.get("role") or item.get("type") or ""
    return Event(author=label if isinstance(label, str) else "", payload=payload)


__all__ = ["DEFAULT_APP_NAME", "DEFAULT_USER_ID", "GenieSession"]
