"""`GenieSessionService`: a Google ADK `BaseSessionService` on genie_repo's session store.

Semantics are ADK's (its base class, `InMemorySessionService` and the persistent services'
contract tests), with the defects its users report in `DatabaseSessionService` avoided:

- Staleness is decided by the session's own revision, never by comparing clocks: every Session
  this service hands out carries the stored `last_seq` as its storage marker, and `append_event`
  stores the event only while the stored `last_seq` still equals it (checked and written in one
  transaction). A writer holding an older revision gets `StaleSessionError`; time zones, naive
  datetimes and clock skew cannot matter. Appends made through one Session object are
  serialised, so parallel agents sharing it (as ADK's parallel branches do) never see each
  other as stale.
- `append_event` is one transaction: the event, its state delta (`app:`/`user:` keys one row
  per key, so concurrent writers never lose each other's keys; `temp:` keys applied to the
  in-memory session only), the session's `last_update_time` (the event's own timestamp).
- `get_session` pushes `num_recent_events` and `after_timestamp` into SQL; `list_sessions`
  reads metadata and state in three statements however many sessions, never events.
- Events are stored as ADK's own JSON and reload with an identical `model_dump()`; they are
  ordered by a per-session sequence, never by timestamp.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from datetime import UTC, datetime
from typing import Any

from google.adk.errors import StaleSessionError
from google.adk.errors.already_exists_error import AlreadyExistsError
from google.adk.errors.session_not_found_error import SessionNotFoundError
from google.adk.events.event import Event
from google.adk.sessions import _session_util
from google.adk.sessions.base_session_service import (
    BaseSessionService,
    GetSessionConfig,
    ListSessionsResponse,
)
from google.adk.sessions.session import Session

from genie_repo.aio import AsyncSessionStore
from genie_repo.db.protocol import Database
from genie_repo.errors import Conflict, NotFound
from genie_repo.integrations.adk_events import construct, decode_event
from genie_repo.models.sessions import Event as StoredEvent
from genie_repo.models.sessions import Session as StoredSession
from genie_repo.models.sessions import SessionKey, UserKey

STALE_MESSAGE = (
    "The session has been modified in storage since it was loaded. "
    "Please reload the session before appending more events."
)


class GenieSessionService(BaseSessionService):
    """ADK session service over a genie_repo `Database` (SQLite or PostgreSQL). Pass it to
    `Runner(session_service=...)`. The database belongs to the caller: `close()` stops the
    service's workers, not the database."""

    def __init__(self, db: Database) -> None:
        self._store = AsyncSessionStore(db)
        self._append_locks: dict[int, asyncio.Lock] = {}

    # -- sessions -----------------------------------------------------------------------------

    async def create_session(
        self,
        *,
        app_name: str,
        user_id: str,
        state: dict[str, Any] | None = None,
        session_id: str | None = None,
    ) -> Session:
        """Create a session (a uuid4 id when none or a blank one is given; surrounding
        whitespace stripped) with `state` routed by prefix. AlreadyExistsError when the id is
        taken; nothing is written then."""
        session_id = (session_id or "").strip() or str(uuid.uuid4())
        initial = _session_util.make_json_safe_state(state or {})
        try:
            stored = await self._store.create_new_session(
                SessionKey(app_name, user_id, session_id), initial)
        except Conflict:
            raise AlreadyExistsError(f"Session with id {session_id} already exists.") from None
        return _session(stored, [])

    async def get_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        config: GetSessionConfig | None = None,
    ) -> Session | None:
        """The session with merged state and its events in append order, only the newest
        `num_recent_events` and those at or after `after_timestamp`; None when missing."""
        session_id = session_id.strip() if session_id else session_id
        if not session_id:
            return None
        recent = None if config is None else config.num_recent_events
        after = None if config is None else config.after_timestamp
        stored: StoredSession | None = await self._store.get_session(
            SessionKey(app_name, user_id, session_id),
            event_limit=None if recent is None else max(recent, 1),
            since=None if after is None else moment(after),
        )
        if stored is None:
            return None
        events = [] if recent == 0 else [decode_event(e.payload) for e in stored.events]
        return _session(stored, events)

    async def list_sessions(
        self, *, app_name: str, user_id: str | None = None
    ) -> ListSessionsResponse:
        """The sessions of one user, or of every user of the app when `user_id` is None, least
        recently updated first, with merged state and no events."""
        stored: list[StoredSession] = await self._store.list_app_sessions(
            app_name, user_id=user_id)
        return ListSessionsResponse(sessions=[_session(s, []) for s in stored])

    async def delete_session(self, *, app_name: str, user_id: str, session_id: str) -> None:
        """Delete the session with its events and session state (one cascading statement);
        app and user state stay. A missing session is fine."""
        session_id = session_id.strip() if session_id else session_id
        if session_id:
            await self._store.delete_session(SessionKey(app_name, user_id, session_id))

    async def get_user_state(self, *, app_name: str, user_id: str) -> dict[str, Any]:
        """The user's state, keys without the `user:` prefix; {} when none was written."""
        state: dict[str, Any] = await self._store.list_user_states(UserKey(app_name, user_id))
        return state

    # -- events -------------------------------------------------------------------------------

    async def append_event(self, session: Session, event: Event) -> Event:
        """Store `event` and apply it to `session` as ADK's base class does (see the module
        doc). SessionNotFoundError when the session is gone, StaleSessionError when storage
        moved past the revision `session` was loaded at; neither writes anything. An event id
        already stored is not stored or applied again."""
        if event.partial:
            return event
        async with self._append_lock(session):
            self._apply_temp_state(session, event)
            event = self._trim_temp_delta_state(event)
            key = SessionKey(session.app_name, session.user_id, session.id)
            expected = await self._revision(key, session)
            updated_at = moment(event.timestamp)
            try:
                stored = await self._store.append_event_at_seq(
                    key, _stored_event(event), expected_seq=expected, updated_at=updated_at)
            except NotFound:
                raise SessionNotFoundError(f"Session {session.id} not found.") from None
            except Conflict:
                raise StaleSessionError(STALE_MESSAGE) from None
            if stored.seq != expected + 1:  # stored before: a re-delivery changes nothing
                return event
            session._storage_update_marker = str(stored.seq)
            session.last_update_time = updated_at.timestamp()
            return self._commit_event_to_session(session, event)

    async def close(self) -> None:
        """Wait for running calls and stop the workers; the database stays open."""
        await self._store.aclose()

    async def __aenter__(self) -> GenieSessionService:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- internals ----------------------------------------------------------------------------

    def _append_lock(self, session: Session) -> asyncio.Lock:
        """Appends through one Session object run one at a time, in call order: they share one
        revision, so run together all but one would look stale. Other objects never wait."""
        lock = self._append_locks.get(id(session))
        if lock is None:
            lock = self._append_locks[id(session)] = asyncio.Lock()
            weakref.finalize(session, self._append_locks.pop, id(session), None)
        return lock

    async def _revision(self, key: SessionKey, session: Session) -> int:
        """The stored revision `session` was loaded at: its marker, or for a Session this
        service did not hand out, the stored revision when its newest event is the stored
        newest event (StaleSessionError otherwise)."""
        marker = session._storage_update_marker
        if marker is not None and marker.isdigit():
            return int(marker)
        stored: StoredSession | None = await self._store.get_session(key, event_limit=1)
        if stored is None:
            raise SessionNotFoundError(f"Session {session.id} not found.")
        newest_stored = stored.events[-1].id if stored.events else None
        newest_held = session.events[-1].id if session.events else None
        if newest_stored != newest_held:
            raise StaleSessionError(STALE_MESSAGE)
        return stored.last_seq


def moment(timestamp: float) -> datetime:
    """An ADK timestamp (seconds since the epoch) as the UTC datetime the store keeps."""
    return datetime.fromtimestamp(timestamp, UTC)


def _stored_event(event: Event) -> StoredEvent:
    """The store's view of an ADK event: routing fields, the JSON-safe state delta (a value
    JSON cannot hold is stored as its string, as ADK's own services do) and ADK's JSON."""
    delta = event.actions.state_delta if event.actions else {}
    return StoredEvent(
        id=event.id,
        invocation_id=event.invocation_id or "",
        author=event.author or "",
        timestamp=moment(event.timestamp),
        branch=event.branch or "",
        state_delta=_session_util.make_json_safe_state(delta) if delta else {},
        payload=event.model_dump_json(exclude_none=True, exclude_defaults=True),
    )


def _session(stored: StoredSession, events: list[Event]) -> Session:
    """An ADK Session of stored values (built directly: they were validated when written),
    marked with the stored revision."""
    return construct(Session, {
        "id": stored.session_id,
        "app_name": stored.app_name,
        "user_id": stored.user_id,
        "state": stored.state,
        "events": events,
        "last_update_time": stored.updated_at.timestamp(),
    }, set(_SESSION_FIELDS), {"_storage_update_marker": str(stored.last_seq)})


_SESSION_FIELDS = frozenset(Session.model_fields)
