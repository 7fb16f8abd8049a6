"""The synchronous storage side of the trpc-agent-py session service.

Every method here is one transaction on the database and runs on a worker thread; the async
service (`trpc_agent_sessions`) decides the SDK semantics and calls these. SDK events are stored
as their own JSON (`Event.model_dump_json()`) in the session store's opaque payload, ordered by
the store's per-session sequence. Events that leave the active window (max_events, event TTL, a
summary) are deleted from it, and kept in `trpc_historical_events` when historical events are on.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from trpc_agent_sdk.events import Event as SdkEvent
from trpc_agent_sdk.sessions import is_summary_anchor

from genie_repo.db.protocol import Database
from genie_repo.errors import InvalidInput
from genie_repo.models.sessions import Event, Session, SessionKey
from genie_repo.stores.base import Clock, Store
from genie_repo.stores.sessions import SessionStore
from genie_repo.timestamps import utc_now


@dataclass
class View:
    """What one caller's Session object holds from storage: the ids of the stored events it
    loaded or appended, its state (key -> canonical JSON) as last read or written, its
    conversation count, the ids of its historical events. `update_session` removes only
    stored events whose ids are here, and writes only the state keys that changed since."""

    ids: set[str] = field(default_factory=set)
    state: dict[str, str] = field(default_factory=dict)
    conversation_count: int = 0
    history_ids: set[str] = field(default_factory=set)


@dataclass
class Loaded:
    """A session read for the SDK: the store's row, its (not yet filtered) events, history."""

    row: Session
    events: list[SdkEvent]
    historical: list[SdkEvent]
    conversation_count: int


def fingerprint(value: Any) -> str:
    """A canonical text of a state value, to tell changed keys from unchanged ones."""
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return repr(value)


def to_store_event(event: SdkEvent) -> Event:
    """The session store's event for an SDK event: its JSON as payload, query columns copied."""
    delta = dict(event.actions.state_delta) if event.actions and event.actions.state_delta else {}
    return Event(
        id=event.id,
        invocation_id=event.invocation_id or "",
        author=event.author or "",
        timestamp=datetime.fromtimestamp(event.timestamp, UTC),
        filter_key=event.filter_key or "",
        branch=event.branch or "",
        state_delta=delta,
        payload=event.model_dump_json(),
    )


def _json_array(items: Sequence[str]) -> str:
    return json.dumps(list(items), ensure_ascii=False)


class TrpcSessionBackend(Store):
    """Sessions as trpc-agent-py needs them, on top of `SessionStore` plus two small tables
    (conversation count, historical events). Safe from several threads and processes."""

    QUERIES = (
        "trpc_sessions.lock_session",
        "trpc_sessions.get_extras",
        "trpc_sessions.latest_anchor",
        "trpc_sessions.active_events",
        "trpc_sessions.delete_events",
        "trpc_sessions.insert_history",
        "trpc_sessions.insert_event_at",
        "trpc_sessions.update_event_data",
        "trpc_sessions.shift_events_out",
        "trpc_sessions.shift_events_back",
        "trpc_sessions.bump_last_seq",
        "trpc_sessions.upsert_conversation_count",
        "trpc_sessions.list_sessions",
        "trpc_sessions.list_user_states",
        "trpc_sessions.delete_expired",
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
        return self.db.execute("trpc_sessions.delete_expired", {"cutoff": expired_before})

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

    def patch_state(self, key: SessionKey, delta: Mapping[str, Any]) -> None:
        """Apply a state delta routed by prefix (`temp:` dropped); NotFound when missing."""
        self.sessions.update_session_state(key, delta)

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
        params = _params(key)
        caller_ids = [event.id for event in events]
        with self.db.transaction():
            locked = self.db.fetch_one("trpc_sessions.lock_session", params)
            if locked is None:
                return None
            stored = self.db.fetch_all("trpc_sessions.active_events",
                                       {**params, "event_ids": _json_array(caller_ids)})
            covered = view.ids if view else _span(stored, events, historical)
            held = set(caller_ids)
            removed = [row["event_id"] for row in stored
                       if row["event_id"] in covered and row["event_id"] not in held]
            if removed:
                self.db.execute("trpc_sessions.delete_events",
                                {**params, "event_ids": _json_array(removed)})
            gone = set(removed)
            kept = [row for row in stored if row["event_id"] not in gone]
            history_ids = set(view.history_ids) if view else set()
            if keep_history:
                self._add_history(key, [e for e in historical if e.id not in history_ids])
                history_ids.update(e.id for e in historical)
            self._update_changed(key, events, kept)
            self._place_new(key, events, kept, int(locked["last_seq"]))
            self.sessions.update_session_state(key, state_changes)
            for state_key in session_keys_removed:
                self.sessions.delete_session_state(key, state_key)
            self.db.execute("trpc_sessions.upsert_conversation_count",
                            {**params, "conversation_count": conversation_count})
        return View(ids=held, conversation_count=conversation_count, history_ids=history_ids)

    # -- internals ----------------------------------------------------------------------------

    def _drop(self, key: SessionKey, trimmed: Sequence[SdkEvent], keep_history: bool) -> None:
        if not trimmed:
            return
        self.db.execute("trpc_sessions.delete_events",
                        {**_params(key), "event_ids": _json_array([e.id for e in trimmed])})
        if keep_history:
            self._add_history(key, trimmed)

    def _add_history(self, key: SessionKey, events: Sequence[SdkEvent]) -> None:
        if events:
            params = _params(key)
            self.db.execute_many("trpc_sessions.insert_history", [
                {**params, "event_id": e.id, "event_data": e.model_dump_json()} for e in events
            ])

    def _update_changed(
        self, key: SessionKey, events: Sequence[SdkEvent], kept: Sequence[Mapping[str, Any]]
    ) -> None:
        params = _params(key)
        stored = {row["event_id"]: row["event_data"] for row in kept}
        changed = []
        for event in events:
            if event.id in stored:
                text = event.model_dump_json()
                if text != stored[event.id]:
                    changed.append({**params, "event_id": event.id, "event_data": text})
        if changed:
            self.db.execute_many("trpc_sessions.update_event_data", changed)

    def _place_new(
        self,
        key: SessionKey,
        events: Sequence[SdkEvent],
        kept: Sequence[Mapping[str, Any]],
        last_seq: int,
    ) -> None:
        """Give every caller event not stored yet a seq right before the next stored event
        of the caller's list (after whatever is stored before that one), or at the end; when
        the gap is too small, the events from there on move up. Runs are placed from the last
        one back, so a move never disturbs a run still to be placed."""
        seqs = {row["event_id"]: int(row["seq"]) for row in kept}
        kept_seqs = sorted(seqs.values())
        previous = 0
        for event in events:
            if event.id in seqs:
                if seqs[event.id] <= previous:
                    raise InvalidInput("update_session cannot reorder stored events")
                previous = seqs[event.id]
        params = _params(key)
        now = self.now()
        for next_index, new_events in reversed(_new_runs(events, seqs)):
            count = len(new_events)
            if next_index == len(events):
                first, gap = last_seq + 1, count
            else:
                upper = seqs[events[next_index].id]
                below = bisect.bisect_left(kept_seqs, upper)
                before = kept_seqs[below - 1] if below else 0
                gap = max(0, count - (upper - before - 1))
                if gap:
                    self._shift(params, upper, gap)
                first = upper + gap - count
            if gap:
                self.db.execute("trpc_sessions.bump_last_seq", {**params, "gap": gap, "now": now})
                last_seq += gap
            rows = []
            for offset, event in enumerate(new_events):
                stored = to_store_event(event)
                rows.append({
                    **params, "seq": first + offset, "event_id": stored.id,
                    "invocation_id": stored.invocation_id, "author": stored.author,
                    "filter_key": stored.filter_key, "branch": stored.branch,
                    "timestamp": stored.timestamp,
                    "state_delta": json.dumps(stored.state_delta, ensure_ascii=False),
                    "event_data": stored.payload, "now": now,
                })
            self.db.execute_many("trpc_sessions.insert_event_at", rows)

    def _shift(self, params: Mapping[str, Any], from_seq: int, gap: int) -> None:
        self.db.execute("trpc_sessions.shift_events_out",
                        {**params, "from_seq": from_seq, "gap": gap})
        self.db.execute("trpc_sessions.shift_events_back", dict(params))


def _new_runs(
    events: Sequence[SdkEvent], stored: Mapping[str, int]
) -> list[tuple[int, list[SdkEvent]]]:
    """The maximal runs of not-yet-stored events, each with the index of the stored event
    that follows it (len(events) for a run at the end)."""
    runs: list[tuple[int, list[SdkEvent]]] = []
    run: list[SdkEvent] = []
    for index, event in enumerate(events):
        if event.id in stored:
            if run:
                runs.append((index, run))
                run = []
        else:
            run.append(event)
    if run:
        runs.append((len(events), run))
    return runs


def _span(
    stored: Sequence[Mapping[str, Any]],
    events: Sequence[SdkEvent],
    historical: Sequence[SdkEvent],
) -> set[str]:
    """For a Session object this service did not load: the ids of the stored events between
    the first and the last one its events (active or moved to history) name."""
    named = {e.id for e in (*events, *historical)}
    positions = [i for i, row in enumerate(stored) if row["event_id"] in named]
    if not positions:
        return set()
    return {row["event_id"] for row in stored[positions[0]:positions[-1] + 1]}


def _params(key: SessionKey) -> dict[str, str]:
    return {"app_name": key.app_name, "user_id": key.user_id, "session_id": key.session_id}
