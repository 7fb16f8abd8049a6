"""`GenieSessionService`: a trpc-agent-py `BaseSessionService` on genie_repo's session store.

Semantics are the SDK's (those of its `InMemorySessionService` and the base class), with the
defects of its SQL service avoided:

- Events are ordered by a per-session sequence, never by timestamp, so a summary stays first.
  Each event is stored as its own JSON and reads back with an identical `model_dump()`.
- `append_event` is one transaction: the event, its routed state delta (`app:`, `user:` keys
  are one row per key, so concurrent writers never lose each other's keys; `temp:` is never
  stored), the events `max_events` / event TTL push out of the active window (deleted, or
  moved to the historical events), the conversation count. Partial events are not stored. On
  an unknown session nothing is written and the caller's Session object is left as it was.
- `get_session` pushes `num_recent_events` and the event TTL down into SQL, then applies the
  SDK's `filter_events`; a constant number of statements, however long the session.
- `update_session` never deletes events the caller did not load (a `num_recent_events` read)
  nor events appended by others since; it writes only state keys the caller changed and
  splits prefixes (`app:`/`user:` to their scopes, `temp:` dropped). To know what a caller
  loaded, the service remembers, for as long as each Session object it handed out lives,
  which stored events and state that object holds (a `View`). For a Session object it did not
  hand out, the view is the stored range the object's events span.
- Session TTL (`session_config.ttl`) compares the database's `updated_at` with the service's
  UTC clock, so no time zone can make a session look stale. Expired sessions are invisible to
  `get_session` / `list_sessions`; `cleanup_expired()` deletes them (no background task).
- Summary text is persisted with the session, so `get_session_summary` survives a restart.

Database calls go through `genie_repo.aio`: `AsyncSessionStore` for plain session calls, and
the database's async runner for the backend's multi-statement transactions (natively async on
PostgreSQL, the database's worker thread on SQLite). The event loop never waits on them.
"""

from __future__ import annotations

import threading
import uuid
import weakref
from datetime import datetime, timedelta
from typing import Any

from trpc_agent_sdk.abc import CompactSummarizerManagerABC, ListSessionsResponse
from trpc_agent_sdk.context import AgentContext, InvocationContext
from trpc_agent_sdk.events import Event as SdkEvent
from trpc_agent_sdk.log import logger
from trpc_agent_sdk.sessions import BaseSessionService, Session, SessionServiceConfig
from trpc_agent_sdk.types import State
from trpc_agent_sdk.utils import user_key

from genie_repo.aio import AsyncSessionStore
from genie_repo.db.protocol import Database
from genie_repo.errors import NotFound
from genie_repo.integrations.trpc_agent_backend import Loaded, TrpcSessionBackend
from genie_repo.integrations.trpc_agent_views import View, fingerprint
from genie_repo.models.sessions import SessionKey
from genie_repo.stores.base import Clock
from genie_repo.timestamps import utc_now


class GenieSessionService(BaseSessionService):
    """trpc-agent-py session service over a genie_repo `Database` (SQLite or PostgreSQL).
    Pass it to `Runner(session_service=...)`. The database belongs to the caller: `close()`
    stops the service's async stores and the summarizer manager, not the database."""

    def __init__(
        self,
        db: Database,
        *,
        summarizer_manager: CompactSummarizerManagerABC | None = None,
        session_config: SessionServiceConfig | None = None,
        clock: Clock = utc_now,
    ) -> None:
        """`session_config` is the SDK's (max_events, event_ttl_seconds, num_recent_events,
        store_historical_events, ttl); None means the SDK default with session TTL off.
        `clock` is the UTC clock session TTL is measured with (tests inject one)."""
        super().__init__(summarizer_manager=summarizer_manager, session_config=session_config)
        self._runner = db.async_runner()
        self._backend = TrpcSessionBackend(self._runner.database, clock=clock)
        self._sessions = AsyncSessionStore(db, clock=clock)
        self._clock = clock
        self._views: dict[int, View] = {}
        self._views_lock = threading.Lock()

    # -- sessions -----------------------------------------------------------------------------

    async def create_session(
        self,
        *,
        app_name: str,
        user_id: str,
        state: dict[str, Any] | None = None,
        session_id: str | None = None,
        agent_context: AgentContext | None = None,
    ) -> Session:
        """Create a session (a uuid4 id unless one is given; surrounding blanks stripped). An
        existing session with the same id is replaced, as in the SDK's in-memory service."""
        session_id = session_id.strip() if session_id and session_id.strip() else str(
            uuid.uuid4())
        key = SessionKey(app_name, user_id, session_id)
        row = await self._runner.run(self._backend.create, key, state or {})
        session = Session(
            id=session_id, app_name=app_name, user_id=user_id, state=row.state,
            last_update_time=row.updated_at.timestamp(), save_key=user_key(app_name, user_id),
        )
        self._remember(session, View(state=_fingerprints(session.state)))
        return session

    async def get_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        agent_context: AgentContext | None = None,
    ) -> Session | None:
        """The session with merged state, its active events filtered by `num_recent_events`
        and the event TTL (`filter_events`), and its historical events when they are kept;
        None when missing or expired."""
        config = self.session_config
        key = SessionKey(app_name, user_id, session_id)
        ttl = config.event_ttl_seconds
        loaded = await self._runner.run(
            self._backend.load, key,
            event_limit=config.num_recent_events if config.num_recent_events > 0 else None,
            # Event TTL is wall-clock time, as the SDK's filter_events measures it.
            since=utc_now() - timedelta(seconds=ttl) if ttl > 0 else None,
            expired_before=self._expired_before(),
        )
        if loaded is None:
            return None
        return self._session_from(key, loaded)

    async def list_sessions(
        self, *, app_name: str, user_id: str | None = None
    ) -> ListSessionsResponse:
        """The app's sessions (one user's when given), newest first, with merged state and no
        events; three statements however many sessions."""
        rows = await self._runner.run(self._backend.list, app_name, user_id,
                                      self._expired_before())
        return ListSessionsResponse(sessions=[
            Session(id=session_id, app_name=app_name, user_id=owner, state=state,
                    last_update_time=updated_at.timestamp(), conversation_count=count,
                    save_key=user_key(app_name, owner))
            for owner, session_id, updated_at, count, state in rows
        ])

    async def delete_session(self, *, app_name: str, user_id: str, session_id: str) -> None:
        """Delete the session with its events, state, history and summary (one cascading
        statement); a missing session is fine."""
        await self._sessions.delete_session(SessionKey(app_name, user_id, session_id))

    async def cleanup_expired(self) -> int:
        """Delete the sessions this service created whose TTL ran out; returns how many.
        A no-op (0) when session TTL is off."""
        expired_before = self._expired_before()
        if expired_before is None:
            return 0
        return await self._runner.run(self._backend.delete_expired, expired_before)

    # -- events and state ---------------------------------------------------------------------

    async def append_event(self, session: Session, event: SdkEvent) -> SdkEvent:
        """Apply the event to `session` as the SDK does and store it (see the module doc).
        When nothing could be stored (unknown session: logged; any error: raised), `session`
        and `event` are left as they were."""
        if event.partial:
            return event
        saved = (list(session.events), list(session.historical_events), dict(session.state),
                 session.last_update_time, dict(event.actions.state_delta))
        event, trimmed = self._append_event_to_session(session, event)
        view = self._view(session)
        count = session.conversation_count
        try:
            await self._runner.run(
                self._backend.append, _key(session), event, trimmed=trimmed,
                keep_history=self.session_config.store_historical_events,
                conversation_count=None if view and view.conversation_count == count else count,
            )
        except BaseException as exc:  # nothing stored: the caller's object is left as it was
            (session.events, session.historical_events, session.state,
             session.last_update_time, event.actions.state_delta) = saved
            if not isinstance(exc, NotFound):
                raise
            logger.warning("Failed to append event to session %s: session not found", session.id)
            return event
        if view is not None:
            view.ids.difference_update(e.id for e in trimmed)
            if session.events and session.events[-1] is event:
                view.ids.add(event.id)
            view.conversation_count = count
            view.state.update(_fingerprints(_persisted(event.actions.state_delta)))
        return event

    async def update_session_state(
        self, session: Session, state_delta: dict[str, Any]
    ) -> None:
        """Patch the state without touching events: `session.state` is updated as given;
        storage gets `app:`/`user:` keys in their scopes and drops `temp:` keys."""
        if not state_delta:
            return
        session.state.update(state_delta)
        try:
            await self._sessions.update_session_state(_key(session), state_delta)
        except NotFound:
            logger.warning("Session %s not found while updating state", session.id)
            return
        view = self._view(session)
        if view is not None:
            view.state.update(_fingerprints(_persisted(state_delta)))

    async def update_session(self, session: Session) -> None:
        """Persist the caller's Session object (after a summary, a compaction, a cancel): see
        `TrpcSessionBackend.rewrite` for exactly what is written. A missing session is only
        logged, as in the SDK."""
        view = self._view(session)
        state = _persisted(session.state)
        loaded_state = view.state if view else {}
        changes = {k: v for k, v in state.items() if loaded_state.get(k) != fingerprint(v)}
        removed = [k for k in loaded_state
                   if k not in state and not k.startswith((State.APP_PREFIX, State.USER_PREFIX))]
        keep_history = self.session_config.store_historical_events
        new_view = await self._runner.run(
            self._backend.rewrite, _key(session), list(session.events),
            list(session.historical_events) if keep_history else [],
            view=view, keep_history=keep_history, state_changes=changes,
            session_keys_removed=removed, conversation_count=session.conversation_count,
        )
        if new_view is None:
            logger.warning("Session %s not found while updating it", session.id)
            return
        new_view.state = _fingerprints(state)
        self._remember(session, new_view)

    # -- summaries ----------------------------------------------------------------------------

    async def create_session_summary(
        self, session: Session, ctx: InvocationContext | None = None
    ) -> None:
        """Run the summarizer manager (which compacts `session` and calls `update_session`),
        then store the summary text with the session so it outlives the process."""
        await super().create_session_summary(session, ctx)
        text = await super().get_session_summary(session)
        if text:
            try:
                await self._sessions.put_summary(_key(session), "", text)
            except NotFound:
                logger.warning("Session %s not found while storing its summary", session.id)

    async def get_session_summary(self, session: Session) -> str | None:
        """The manager's summary text, else the stored one (e.g. after a restart), else None."""
        text = await super().get_session_summary(session)
        if text:
            return str(text)
        return await self._sessions.get_summary_text(_key(session))

    async def close(self) -> None:
        """Close the summarizer manager and the async session store; the database stays open."""
        try:
            await super().close()
        finally:
            await self._sessions.aclose()

    # -- internals ----------------------------------------------------------------------------

    def _expired_before(self) -> datetime | None:
        ttl = self.session_config.ttl
        if not ttl.need_ttl_expire():
            return None
        return self._clock() - timedelta(seconds=ttl.ttl_seconds)

    def _session_from(self, key: SessionKey, loaded: Loaded) -> Session:
        row = loaded.row
        session = Session(
            id=key.session_id, app_name=key.app_name, user_id=key.user_id, state=row.state,
            last_update_time=row.updated_at.timestamp(),
            save_key=user_key(key.app_name, key.user_id),
            conversation_count=loaded.conversation_count, events=loaded.events,
            historical_events=loaded.historical if self.session_config.store_historical_events
            else [],
        )
        self.filter_events(session)
        self._remember(session, View(
            ids={e.id for e in session.events}, state=_fingerprints(_persisted(row.state)),
            conversation_count=loaded.conversation_count,
            history_ids={e.id for e in session.historical_events},
        ))
        return session

    def _remember(self, session: Session, view: View) -> None:
        """Keep what `session` was loaded from for as long as the object lives."""
        ident = id(session)
        with self._views_lock:
            known = ident in self._views
            self._views[ident] = view
        if not known:
            weakref.finalize(session, self._forget, ident)

    def _forget(self, ident: int) -> None:
        with self._views_lock:
            self._views.pop(ident, None)

    def _view(self, session: Session) -> View | None:
        with self._views_lock:
            return self._views.get(id(session))


def _key(session: Session) -> SessionKey:
    return SessionKey(session.app_name, session.user_id, session.id)


def _persisted(state: dict[str, Any]) -> dict[str, Any]:
    """The keys storage keeps: everything but `temp:` keys."""
    return {k: v for k, v in state.items() if not k.startswith(State.TEMP_PREFIX)}


def _fingerprints(state: dict[str, Any]) -> dict[str, str]:
    return {k: fingerprint(v) for k, v in state.items()}


__all__ = ["GenieSessionService"]
