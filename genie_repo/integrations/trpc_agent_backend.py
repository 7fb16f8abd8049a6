"""The synchronous storage side of the trpc-agent-py session service.

Every method here is one transaction on the database; the async service
(`trpc_agent_sessions`) decides the SDK semantics and awaits these through the database's async
runner (the one bridge `genie_repo.aio` uses too). SDK events are stored as their own JSON
(`Event.model_dump_json()`) in the session store's opaque payload, ordered by the store's
per-session sequence. Events that leave the active window (max_events, event TTL, a summary)
are deleted from it, and kept in `trpc_historical_events` when historical events are on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trpc_agent_sdk.events import Event as SdkEvent
from trpc_agent_sdk.sessions import is_summary_anchor

from genie_repo.db.protocol import Database
from genie_repo.integrations.trpc_agent_views import View, plan_rewrite, to_store_event
from genie_repo.models.sessions import Session, SessionKey
from genie_repo.stores.base import Clock, Store
from genie_repo.stores.sessions import SessionStore
from genie_repo.stores.sessions_state import encode_list
from genie_repo.timestamps import utc_now


@dataclass
class Loaded:
    """A session read for the SDK: the store's row, its (not yet filtered) events, history."""

    row: Session
    events: list[SdkEvent]
    historical: list[SdkEvent]
    conversation_count: int


class TrpcSessionBackend(Store):
    """Sessions as trpc-agent-py needs them, on top of `SessionStore` plus two small tables
    (conversation count, historical events). Safe from several threads and processes."""

    QUERIES = (
        "trpc_sessions.get_extras",
        "trpc_sessions.latest_anchor",
        "trpc_sessions.active_events",
        "trpc_sessions.insert_history",
        "trpc_sessions.upsert_conversation_count",
        "trpc_sessions.list_sessions",
        "trpc_sessions.list_user_states",
        "trpc_sessions.list_expired",
    )

    def __init__(self, db: Database, *, clock: Clock = utc_now) -> None:
        super().__init__(db, clock=clock)
        self.sessions = SessionStore(db, clock=clock)

    # -- sessions -----------------------------------------------------------------------------

    def create(self, key: SessionKey, state: Mapping[str, Any]) -> Session:
        """Create the session afresh (an existing one with this id is replaced, as the SDK's
        in-memory service does), with its routed state and a conversation count of 0."""
        with self.db.transaction():
            row = self.sessions.create_session(key, state, replace=True)
            self.db.execute("trpc_sessions.upsert_conversation_count",
                            {**_params(key), "conversation_count": 0})
        return row

    def load(
        self,
        key: SessionKey,
        *,
        event_limit: int | None,
        since: datetime | None,
        expired_before: datetime | None,
    ) -> Loaded | None:
        """The session with its newest `event_limit` events stamped at or after `since`, or
        None when missing or not updated since `expired_before`. When those events hold no
        window anchor (a user or summary event), the newest anchor of the whole session is
        returned instead, exactly as the SDK's window rule wants. A TTL read refreshes the
        session's `updated_at` in the same transaction; other reads write nothing."""
        with self.db.transaction(readonly=expired_before is None):
            row = self.sessions.get_session(key, event_limit=event_limit, since=since)
            if row is None or (expired_before is not None and row.updated_at < expired_before):
                return None
            if expired_before is not None:
                self.sessions.update_session_state(key, {})
            extras = self.db.fetch_one("trpc_sessions.get_extras", _params(key)) or {}
            events = [SdkEvent.model_validate_json(e.payload) for e in row.events]
            if (event_limit or since) and not any(is_summary_anchor(e) for e in events):
                anchor = self.db.fetch_one("trpc_sessions.latest_anchor", _params(key))
                events = [] if anchor is None else [
                    SdkEvent.model_validate_json(anchor["event_data"])]
        historical = [SdkEvent.model_validate_json(text)
                      for text in json.loads(extras.get("historical") or "[]")]
        return Loaded(row=row, events=events, historical=historical,
                      conversation_count=extras.get("conversation_count") or 0)

    def list(
        self, app_name: str, user_id: str | None, expired_before: datetime | None
    ) -> list[tuple[str, str, datetime, int, dict[str, Any]]]:
        """(user_id, session_id, updated_at, conversation_count, merged state) of the app's
        sessions, newest first: three statements however many sessions there are."""
        params = {"app_name": app_name, "user_id": user_id}
        with self.db.transaction(readonly=True):
            rows = self.db.fetch_all("trpc_sessions.list_sessions",
                                     {**params, "cutoff": expired_before})
            app_state = self.sessions.list_app_states(app_name) if rows else {}
            user_rows = self.db.fetch_all("trpc_sessions.list_user_states", params) if rows else []
        user_states: dict[str, dict[str, Any]] = {}
        for user_row in user_rows:
            user_states.setdefault(user_row["user_id"], {})[user_row["key"]] = json.loads(
                user_row["value"])
        listed = []
        for row in rows:
            state = json.loads(row["state"]) if row["state"] else {}
            state.update({f"app:{k}": v for k, v in app_state.items()})
            state.update({f"user:{k}": v for k, v in user_states.get(row["user_id"], {}).items()})
            listed.append((row["user_id"], row["session_id"], row["updated_at"],
                           row["conversation_count"], state))
        return listed

    def delete_expired(self, expired_before: datetime) -> int:
        """Delete the integration's sessions not updated since `expired_before`."""
        with self.db.transaction():
            keys = [SessionKey(row["app_name"], row["user_id"], row["session_id"]) for row in
                    self.db.fetch_all("trpc_sessions.list_expired", {"cutoff": expired_before})]
            return self.sessions.delete_stale_sessions(keys, expired_before)

    # -- writes -------------------------------------------------------------------------------

    def append(
        self,
        key: SessionKey,
        event: SdkEvent,
        *,
        trimmed: Sequence[SdkEvent],
        keep_history: bool,
        conversation_count: int | None,
    ) -> int:
        """One transaction: append the event (idempotent by id; state delta routed), drop the
        events it pushed out of the active window (into the history when `keep_history`), and
        store the conversation count when it changed. Returns the event's seq; NotFound (and
        nothing written) when the session is missing."""
        stored = to_store_event(event)
        with self.db.transaction():
            seq = self.sessions.append_event(key, stored).seq or 0
            self._drop(key, trimmed, keep_history)
            if conversation_count is not None:
                self.db.execute("trpc_sessions.upsert_conversation_count",
                                {**_params(key), "conversation_count": conversation_count})
        return seq

    def rewrite(
        self,
        key: SessionKey,
        events: Sequence[SdkEvent],
        historical: Sequence[SdkEvent],
        *,
        view: View | None,
        keep_history: bool,
        state_changes: Mapping[str, Any],
        session_keys_removed: Sequence[str],
        conversation_count: int,
    ) -> View | None:
        """Persist a caller's Session object (`update_session`), in one locked transaction:
        stored events the caller holds in its view but no longer in its events are dropped
        (to history when kept); events it changed in place are rewritten; new ones are
        inserted where they stand in its list (a summary goes before the events it precedes);
        changed state keys and the conversation count are written. Events the caller never
        loaded, or appended by others since, are left alone. For an object this service did
        not load (no view), the view is the stored range its active and historical events
        span. Returns the caller's new view, or None when the session is missing (nothing
        written); InvalidInput (nothing written) if the caller reordered stored events."""
        with self.db.transaction():
            if self.sessions.lock_session(key) is None:
                return None
            stored = self.db.fetch_all("trpc_sessions.active_events", {
                **_params(key), "event_ids": encode_list([event.id for event in events])})
            plan = plan_rewrite(stored, events, historical, view)
            self.sessions.delete_events(key, plan.removed)
            history_ids = set(view.history_ids) if view else set()
            if keep_history:
                self._add_history(key, [e for e in historical if e.id not in history_ids])
                history_ids.update(e.id for e in historical)
            self.sessions.replace_event_payloads(key, plan.changed)
            for before, run in plan.runs:
                self.sessions.insert_events_before(
                    key, [to_store_event(event) for event in run], before=before)
            self.sessions.update_session_state(key, state_changes)
            for state_key in session_keys_removed:
                self.sessions.delete_session_state(key, state_key)
            self.db.execute("trpc_sessions.upsert_conversation_count",
                            {**_params(key), "conversation_count": conversation_count})
        return View(ids={event.id for event in events}, conversation_count=conversation_count,
                    history_ids=history_ids)

    # -- internals ----------------------------------------------------------------------------

    def _drop(self, key: SessionKey, trimmed: Sequence[SdkEvent], keep_history: bool) -> None:
        if not trimmed:
            return
        self.sessions.delete_events(key, [e.id for e in trimmed])
        if keep_history:
            self._add_history(key, trimmed)

    def _add_history(self, key: SessionKey, events: Sequence[SdkEvent]) -> None:
        if events:
            params = _params(key)
            self.db.execute_many("trpc_sessions.insert_history", [
                {**params, "event_id": e.id, "event_data": e.model_dump_json()} for e in events
            ])


def _params(key: SessionKey) -> dict[str, str]:
    return {"app_name": key.app_name, "user_id": key.user_id, "session_id": key.session_id}
