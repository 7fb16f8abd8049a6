"""Sessions: events ordered by a per-session sequence, three state scopes, summaries.

The database is the only source of truth (no in-process cache to go stale across processes or
replicas). `append_event` is one transaction and idempotent by event id. State is one row per
key: `app:k` lives in app state, `user:k` in user state, `temp:k` is never persisted, the rest is
session state; `get_session` merges them back with their prefixes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import TYPE_CHECKING, Any

from genie_repo.db.protocol import Database
from genie_repo.errors import Conflict, InvalidInput, NotFound
from genie_repo.models.base import parse_input
from genie_repo.models.sessions import (
    Event,
    Session,
    SessionInfo,
    SessionKey,
    SessionPage,
    Summary,
    UserKey,
)
from genie_repo.stores.base import Clock, Store, runs_caller_code
from genie_repo.stores.limits import check_limit
from genie_repo.stores.sessions_state import (
    RoutedDelta,
    decode_cursor,
    decode_state,
    decode_summaries,
    encode_cursor,
    encode_delta,
    encode_event_delta,
    encode_list,
    event_from_row,
    loads_stored,
    matches_filter,
    placement,
    route_delta,
    scoped_key,
    scoped_state,
    with_seq,
)
from genie_repo.stores.sessions_summaries import SummaryPool
from genie_repo.timestamps import require_utc, to_sqlite_text, utc_now

if TYPE_CHECKING:  # only for the annotation: sessions never import the checkpoint store
    from genie_repo.stores.checkpoints import CheckpointStore

Summarizer = Callable[[list[Event]], tuple[str, Sequence[str]]]
"""Turns a session's events into (summary text, topics)."""


class SessionStore(Store):
    """Create, read, list and delete sessions; append events; app, user and session state;
    summaries. Every method is safe to call from several threads and processes at once."""

    QUERIES = (
        "sessions.insert_session",
        "sessions.delete_session",
        "sessions.touch_session",
        "sessions.get_session",
        "sessions.list_sessions_first",
        "sessions.list_sessions_after",
        "sessions.list_events",
        "sessions.append_event",
        "sessions.insert_event",
        "sessions.find_event_seq",
        "sessions.prune_events",
        "sessions.lock_session",
        "sessions.reserve_seqs",
        "sessions.find_seq_before",
        "sessions.shift_events_out",
        "sessions.shift_events_back",
        "sessions.insert_event_at",
        "sessions.update_event_payload",
        "sessions.delete_events",
        "sessions.delete_stale_sessions",
        "sessions.upsert_session_states",
        "sessions.upsert_app_states",
        "sessions.upsert_user_states",
        "sessions.delete_session_state",
        "sessions.delete_app_state",
        "sessions.delete_user_state",
        "sessions.list_session_states",
        "sessions.list_app_states",
        "sessions.list_user_states",
        "sessions.upsert_summary",
        "sessions.find_summary_text",
        "sessions.list_app_sessions",
        "sessions.list_app_user_states",
        "sessions.append_events",
        "sessions.get_event_payloads",
        "sessions.pop_event",
    )
    # create_session with a UserKey mints a new id, so it is not retried; appends are
    # idempotent by event id, state writes are upserts of the same values.
    IDEMPOTENT_METHODS = frozenset({
        "get_session", "list_events", "list_sessions", "delete_session",
        "append_event", "update_session_state", "list_session_states", "delete_session_state",
        "update_app_state", "delete_app_state", "list_app_states", "update_user_state",
        "delete_user_state", "list_user_states", "put_summary", "get_summary_text",
        "lock_session", "replace_event_payloads", "delete_events", "delete_stale_sessions",
        "append_event_at_seq", "list_app_sessions",
        "append_events", "get_event_payloads",
    })

    def __init__(
        self,
        db: Database,
        *,
        max_events: int | None = None,
        summary_workers: int = 3,
        summary_queue: int = 100,
        checkpointer: CheckpointStore | None = None,
        clock: Clock = utc_now,
    ) -> None:
        """`max_events` caps the events kept per session (oldest pruned on append; None keeps
        all). Summary jobs run on `summary_workers` threads with at most `summary_queue` waiting.
        `checkpointer` is the checkpoint store to hand out, if any."""
        super().__init__(db, clock=clock)
        if max_events is not None:
            check_limit(max_events, maximum=2**31)
        self.max_events = max_events
        # How append_event runs (both are exact on both dialects, and tested on both): one
        # statement is one round trip on PostgreSQL; on SQLite a statement is a function call,
        # so plain statements running only the writes an event needs are cheaper.
        self._append_in_one_statement = db.dialect == "postgres"
        self._checkpointer = checkpointer
        self._summaries = SummaryPool(check_limit(summary_workers, maximum=64),
                                      check_limit(summary_queue))

    @property
    def checkpointer(self) -> CheckpointStore | None:
        """The checkpoint store configured with this session store, or None."""
        return self._checkpointer

    # -- sessions -----------------------------------------------------------------------------

    def create_session(
        self,
        key: SessionKey | UserKey,
        state: Mapping[str, Any] | None = None,
        *,
        replace: bool = False,
    ) -> Session:
        """Create a session (a uuid4 id when `key` is a UserKey) with initial state routed like
        an event delta. An existing session is returned unchanged (idempotent) unless
        `replace=True`, which starts it afresh: events, session state and summaries dropped."""
        if isinstance(key, UserKey):
            key = SessionKey(key.app_name, key.user_id, str(uuid.uuid4()))
        params = _key_params(key)
        routed = route_delta(state or {})
        now = self.now()
        with self.db.transaction():
            if replace:
                self.db.execute("sessions.delete_session", params)
            created = self.db.execute("sessions.insert_session", {**params, "now": now})
            if created:
                self._apply(params, routed, now)
            session = self.get_session(key)
        if session is None:  # pragma: no cover - the row was written in this transaction
            raise NotFound(f"session {key} vanished while being created")
        return session

    def get_session(
        self,
        key: SessionKey,
        *,
        event_limit: int | None = None,
        since: datetime | None = None,
    ) -> Session | None:
        """The session with merged state, summaries and its events in sequence order (only the
        newest `event_limit`, only those with `timestamp >= since`), or None when missing.
        One statement, so events, state and summaries are one consistent snapshot."""
        params = _key_params(key)
        if event_limit is not None:
            check_limit(event_limit, maximum=2**31)
        rows = self.db.fetch_all("sessions.get_session", {
            **params,
            "event_limit": event_limit,
            "since": None if since is None else require_utc(since, "since"),
        })
        head = next((row for row in rows if row["part"] == 0), None)
        if head is None:
            return None
        events = [event_from_row(row) for row in rows if row["part"] == 1]
        events.sort(key=_by_seq)  # SQL order across UNION ALL branches is not promised
        return Session.model_construct(
            app_name=key.app_name,
            user_id=key.user_id,
            session_id=key.session_id,
            created_at=head["created_at"],
            updated_at=head["updated_at"],
            last_seq=head["last_seq"],
            state=decode_state(head["state"]),
            events=events,
            summaries=decode_summaries(head["summaries"]),
        )

    def list_events(
        self, key: SessionKey, *, after_seq: int | None = None, limit: int = 1000
    ) -> list[Event]:
        """Up to `limit` events with seq > `after_seq`, oldest first; page on with the last seq.
        Empty for a missing session."""
        return [event_from_row(row) for row in self.db.fetch_all("sessions.list_events", {
            **_key_params(key),
            "after_seq": _seq(after_seq),
            "limit": check_limit(limit),
        })]

    def list_sessions(
        self, user_key: UserKey, *, limit: int = 100, cursor: str | None = None
    ) -> SessionPage:
        """A page of the user's sessions (metadata only), most recently updated first. Keyset
        pagination: pages never repeat or skip a session that was not updated meanwhile."""
        params: dict[str, Any] = {**_user_params(user_key), "limit": check_limit(limit)}
        if cursor is None:
            rows = self.db.fetch_all("sessions.list_sessions_first", params)
        else:
            if not isinstance(cursor, str):
                raise InvalidInput("cursor must be a string from a previous page")
            after_updated_at, after_session_id = decode_cursor(cursor)
            rows = self.db.fetch_all("sessions.list_sessions_after", {
                **params,
                "after_updated_at": after_updated_at,
                "after_session_id": after_session_id,
            })
        sessions = [SessionInfo.model_construct(**row) for row in rows]
        next_cursor = None
        if len(sessions) == limit:
            last = sessions[-1]
            next_cursor = encode_cursor(last.updated_at, last.session_id)
        return SessionPage.model_construct(sessions=sessions, next_cursor=next_cursor)

    def delete_session(self, key: SessionKey) -> bool:
        """Delete the session with its events, session state and summaries (one statement,
        cascading). App and user state stay. Returns whether it existed."""
        return self.db.execute("sessions.delete_session", _key_params(key)) > 0

    # -- events -------------------------------------------------------------------------------

    def append_event(self, key: SessionKey | Session, event: Event) -> Event:
        """Store an event and apply its state delta, in one transaction: the event row with the
        next sequence number, the routed delta, the session's `updated_at`, pruning to
        `max_events`. Idempotent by event id while the event is stored: a repeat stores nothing
        and applies nothing (an id already pruned by `max_events` is stored anew).
        Returns the event with its `seq`. Partial events are returned as they are, unstored.
        NotFound (and nothing written) when the session is missing."""
        if not isinstance(event, Event):
            raise InvalidInput(f"append_event needs an Event, got {type(event).__name__}")
        if event.partial:
            return event
        params = _key_params(key.key if isinstance(key, Session) else key)
        routed = route_delta(event.state_delta) if event.state_delta else RoutedDelta()
        # A payload the driver cannot encode (NUL, lone surrogates) is InvalidInput from the
        # adapter, raised before anything is committed.
        params.update(
            event_id=event.id,
            invocation_id=event.invocation_id,
            author=event.author,
            filter_key=event.filter_key,
            branch=event.branch,
            timestamp=event.timestamp,
            state_delta=encode_event_delta(event.state_delta) if event.state_delta else "{}",
            event_data=event.payload,
            now=self.now(),
        )
        if self._append_in_one_statement:
            seq = self._append_in_one(params, routed)
        else:
            with self.db.transaction():
                seq = self._append_in_steps(params, routed)
        if seq is None:
            raise NotFound(f"session {_describe(params)} not found")
        return with_seq(event, seq)

    def insert_events_before(
        self, key: SessionKey, events: Sequence[Event], *, before: str | None = None
    ) -> list[Event]:
        """Store events right before the stored event with id `before` (after every stored
        event when None), in their order, in one transaction: they get the seqs in between,
        and when there is no room the events from `before` on move up (order kept, last_seq
        too). Their state deltas are stored, not applied; nothing is pruned. Returns them with
        their seqs. NotFound when the session or `before` is missing, Conflict when an id is
        stored already (nothing written either way)."""
        params = _key_params(key)
        for event in events:
            if not isinstance(event, Event):
                raise InvalidInput(f"insert_events_before needs Events, got {type(event).__name__}")
        if not events:
            return []
        now = self.now()
        count = len(events)
        with self.db.transaction():
            if self.lock_session(key) is None:
                raise NotFound(f"session {_describe(params)} not found")
            if before is None:
                first = self._reserve_seqs(params, count, now) - count + 1
            else:
                stored = self.db.fetch_one("sessions.find_event_seq",
                                           {**params, "event_id": before})
                if stored is None:
                    raise NotFound(f"event {before!r} of session {_describe(params)} not found")
                upper = int(stored["seq"])
                lower = int(self.db.fetch_value("sessions.find_seq_before",
                                                {**params, "seq": upper}))
                first, shift = placement(count, lower, upper)
                if shift:
                    self.db.execute("sessions.shift_events_out",
                                    {**params, "from_seq": upper, "gap": shift})
                    self.db.execute("sessions.shift_events_back", params)
                self._reserve_seqs(params, shift, now)
            self.db.execute_many("sessions.insert_event_at", [{
                **params, "seq": first + offset, "event_id": event.id,
                "invocation_id": event.invocation_id, "author": event.author,
                "filter_key": event.filter_key, "branch": event.branch,
                "timestamp": event.timestamp, "state_delta": encode_event_delta(event.state_delta),
                "event_data": event.payload, "now": now,
            } for offset, event in enumerate(events)])
        return [with_seq(event, first + offset) for offset, event in enumerate(events)]

    def replace_event_payloads(self, key: SessionKey, payloads: Mapping[str, str]) -> int:
        """Replace the stored payload of events, by id (ids not stored are skipped), in one
        transaction; their seqs stay. Returns how many were stored."""
        params = _key_params(key)
        return self.db.execute_many("sessions.update_event_payload", [
            {**params, "event_id": event_id, "event_data": payload}
            for event_id, payload in payloads.items()
        ])

    def delete_events(self, key: SessionKey, event_ids: Sequence[str]) -> int:
        """Delete stored events by id (unknown ids are fine), in one statement; the others
        keep their seqs and last_seq stays, so a seq is never reused. Returns how many."""
        params = _key_params(key)
        if not event_ids:
            return 0
        return self.db.execute("sessions.delete_events",
                               {**params, "event_ids": encode_list(event_ids)})

    def lock_session(self, key: SessionKey) -> int | None:
        """The session's last_seq, or None when missing, with the session locked against other
        writers until the caller's `db.transaction()` ends (PostgreSQL: the row, FOR UPDATE;
        SQLite: the write transaction holds the database). For integrations that read, decide
        and write one session in one transaction."""
        row = self.db.fetch_one("sessions.lock_session", _key_params(key))
        return None if row is None else int(row["last_seq"])

    def delete_stale_sessions(self, keys: Sequence[SessionKey], cutoff: datetime) -> int:
        """Delete those of `keys` not updated since `cutoff` (events, state and summaries with
        them; a session updated meanwhile stays), in one statement. Returns how many."""
        stamp = require_utc(cutoff, "cutoff")
        triples = [list(_key_params(key).values()) for key in keys]
        if not triples:
            return 0
        return self.db.execute("sessions.delete_stale_sessions",
                               {"cutoff": stamp, "session_keys": encode_list(triples)})

    # -- state --------------------------------------------------------------------------------

    def update_session_state(self, key: SessionKey, delta: Mapping[str, Any]) -> None:
        """Apply a state delta routed like an event's (`app:`/`user:` to their scopes, `temp:`
        dropped) and bump `updated_at`, in one transaction; NotFound when the session is
        missing, InvalidInput (nothing written) for a value that is not JSON."""
        params = _key_params(key)
        routed = route_delta(delta)
        now = self.now()
        with self.db.transaction():
            if not self.db.execute("sessions.touch_session", {**params, "now": now}):
                raise NotFound(f"session {_describe(params)} not found")
            self._apply(params, routed, now)

    def list_session_states(self, key: SessionKey) -> dict[str, Any]:
        """The session's own state (no `app:`/`user:` keys)."""
        rows = self.db.fetch_all("sessions.list_session_states", _key_params(key))
        return {row["key"]: json.loads(row["value"]) for row in rows}

    def delete_session_state(self, key: SessionKey, state_key: str) -> None:
        """Delete one session-state key (a missing one is fine). `app:`/`user:`/`temp:` keys
        are InvalidInput: those belong to delete_app_state / delete_user_state."""
        self.db.execute("sessions.delete_session_state",
                        {**_key_params(key), "key": scoped_key("session", state_key)})

    def update_app_state(self, app_name: str, state: Mapping[str, Any]) -> None:
        """Upsert app-wide keys (an `app:` prefix is stripped; `user:`/`temp:` keys are
        InvalidInput), one row per key, in one statement."""
        encoded = scoped_state("app", state)
        if encoded:
            self.db.execute("sessions.upsert_app_states", {
                "app_name": _app(app_name), "delta": encode_delta(encoded), "now": self.now(),
            })

    def delete_app_state(self, app_name: str, state_key: str) -> None:
        self.db.execute("sessions.delete_app_state",
                        {"app_name": _app(app_name), "key": scoped_key("app", state_key)})

    def list_app_states(self, app_name: str) -> dict[str, Any]:
        """App state, keys without the `app:` prefix."""
        rows = self.db.fetch_all("sessions.list_app_states", {"app_name": _app(app_name)})
        return {row["key"]: json.loads(row["value"]) for row in rows}

    def update_user_state(self, user_key: UserKey, state: Mapping[str, Any]) -> None:
        """Upsert the user's keys (a `user:` prefix is stripped; `app:`/`temp:` keys are
        InvalidInput), one row per key, in one statement."""
        encoded = scoped_state("user", state)
        if encoded:
            self.db.execute("sessions.upsert_user_states", {
                **_user_params(user_key), "delta": encode_delta(encoded), "now": self.now(),
            })

    def delete_user_state(self, user_key: UserKey, state_key: str) -> None:
        self.db.execute("sessions.delete_user_state",
                        {**_user_params(user_key), "key": scoped_key("user", state_key)})

    def list_user_states(self, user_key: UserKey) -> dict[str, Any]:
        """User state, keys without the `user:` prefix."""
        rows = self.db.fetch_all("sessions.list_user_states", _user_params(user_key))
        return {row["key"]: json.loads(row["value"]) for row in rows}

    # -- summaries ----------------------------------------------------------------------------

    def put_summary(
        self, key: SessionKey, filter_key: str, text: str, topics: Sequence[str] = ()
    ) -> Summary:
        """Store (replace) the summary of one filter key; NotFound when the session is missing."""
        summary = parse_input(Summary, filter_key=filter_key, text=text, topics=list(topics),
                              updated_at=self.now())
        self.db.execute("sessions.upsert_summary", {
            **_key_params(key),
            "filter_key": summary.filter_key,
            "summary": summary.text,
            "topics": json.dumps(summary.topics, ensure_ascii=False),
            "now": summary.updated_at,
        })
        return summary

    def get_summary_text(self, key: SessionKey, filter_key: str = "") -> str | None:
        """The stored summary text for the filter key, or None."""
        if not isinstance(filter_key, str):
            raise InvalidInput("filter_key must be a string")
        text = self.db.fetch_value("sessions.find_summary_text",
                                   {**_key_params(key), "filter_key": filter_key})
        return None if text is None else str(text)

    @runs_caller_code
    def create_session_summary(
        self, key: SessionKey, summarizer: Summarizer, filter_key: str = ""
    ) -> Summary:
        """Summarise the session's events of `filter_key` (all events for "") with `summarizer`
        and store the result. NotFound when the session is missing."""
        session = self.get_session(key)
        if session is None:
            raise NotFound(f"session {_describe(_key_params(key))} not found")
        events = [e for e in session.events if matches_filter(e.filter_key, filter_key)]
        text, topics = summarizer(events)
        return self.put_summary(key, filter_key, text, topics)

    def enqueue_summary_job(
        self, key: SessionKey, summarizer: Summarizer, filter_key: str = ""
    ) -> Future[Summary]:
        """Run create_session_summary on the bounded background pool; its result is stored.
        When the pool and its queue are full the job runs now, in the caller's thread, so none
        is lost. The future holds the stored Summary or the error."""
        _key_params(key)
        return self._summaries.submit(
            lambda: self.create_session_summary(key, summarizer, filter_key),
            f"summary job for {_describe(_key_params(key))}",
        )

    def close(self) -> None:
        """Wait for queued summary jobs to finish; later enqueues raise. The database and the
        checkpointer belong to the caller and stay open."""
        self._summaries.close()

    # -- internals ----------------------------------------------------------------------------

    def _append_transaction(self) -> AbstractContextManager[object]:
        """A one-statement append is atomic by itself on PostgreSQL (BEGIN/COMMIT would only add
        round trips); on SQLite it is a multi-statement script, which needs BEGIN IMMEDIATE."""
        return self.db.transaction() if self.db.dialect == "sqlite" else nullcontext()

    def _append_in_one(self, params: dict[str, Any], routed: RoutedDelta) -> int | None:
        """The event, its routed delta, the session bump and the pruning as one statement.
        None: no such session."""
        with self._append_transaction():
            row = self.db.fetch_one("sessions.append_event", {
                **params, **routed.as_params(), "max_events": self.max_events or 0,
                "expected_seq": None, "updated_at": params["now"],
            })
        if row is None or not row["session_exists"]:
            return None
        return int(row["seq"])

    def _append_in_steps(self, params: dict[str, Any], routed: RoutedDelta) -> int | None:
        """The same append as plain statements inside the caller's write transaction, each
        run only when needed: the event at last_seq + 1 with the seq bump and session state,
        then (only if it was new) the other non-empty state scopes and the pruning.
        None: no such session."""
        row = self.db.fetch_one("sessions.insert_event", {
            **params, "session_delta": encode_delta(routed.session)})
        if row is None:  # a stored id (its seq), else a missing session
            stored = self.db.fetch_one("sessions.find_event_seq", params)
            return None if stored is None else int(stored["seq"])
        seq = int(row["seq"])
        self._apply(params, RoutedDelta(app=routed.app, user=routed.user), params["now"])
        if self.max_events:
            self.db.execute("sessions.prune_events",
                            {**params, "through_seq": seq - self.max_events})
        return seq

    def _reserve_seqs(self, params: dict[str, Any], count: int, now: datetime) -> int:
        row = self.db.fetch_one("sessions.reserve_seqs", {**params, "count": count, "now": now})
        if row is None:  # pragma: no cover - locked in this transaction
            raise NotFound(f"session {_describe(params)} vanished")
        return int(row["last_seq"])

    def _apply(self, params: dict[str, Any], routed: RoutedDelta, now: datetime) -> None:
        """Upsert each non-empty scope of a routed delta (the caller holds the transaction)."""
        if routed.session:
            self.db.execute("sessions.upsert_session_states",
                            {**params, "delta": encode_delta(routed.session), "now": now})
        if routed.app:
            self.db.execute("sessions.upsert_app_states", {
                "app_name": params["app_name"], "delta": encode_delta(routed.app), "now": now})
        if routed.user:
            self.db.execute("sessions.upsert_user_states", {
                "app_name": params["app_name"], "user_id": params["user_id"],
                "delta": encode_delta(routed.user), "now": now})

    # -- revision-checked access (frameworks with optimistic concurrency, e.g. Google ADK) -----

    def create_new_session(
        self, key: SessionKey, state: Mapping[str, Any] | None = None
    ) -> Session:
        """Create a session that must not exist yet, with initial state routed like an event
        delta, in one transaction. Conflict (and nothing written) when the id is taken."""
        params = _key_params(key)
        routed = route_delta(state or {})
        now = self.now()
        with self.db.transaction():
            if not self.db.execute("sessions.insert_session", {**params, "now": now}):
                raise Conflict(f"session {_describe(params)} already exists")
            self._apply(params, routed, now)
            session = self.get_session(key)
        if session is None:  # pragma: no cover - the row was written in this transaction
            raise NotFound(f"session {_describe(params)} vanished while being created")
        return session

    def append_event_at_seq(
        self,
        key: SessionKey,
        event: Event,
        *,
        expected_seq: int,
        updated_at: datetime | None = None,
    ) -> Event:
        """append_event, only while the session's `last_seq` is still `expected_seq`: checked
        and written in one transaction, so of two writers holding the same revision exactly one
        wins. The session's `updated_at` becomes `updated_at` (default: now). Returns the event
        with its seq; an event id already stored returns its stored seq and writes nothing.
        Conflict when the revision moved on, NotFound when the session is missing; nothing is
        written in either case."""
        if not isinstance(event, Event):
            raise InvalidInput(f"append_event_at_seq needs an Event, got {type(event).__name__}")
        if event.partial:
            return event
        params = _key_params(key)
        now = self.now()
        params.update(
            event_id=event.id,
            invocation_id=event.invocation_id,
            author=event.author,
            filter_key=event.filter_key,
            branch=event.branch,
            timestamp=event.timestamp,
            event_data=event.payload,
            now=now,
            updated_at=now if updated_at is None else require_utc(updated_at, "updated_at"),
            expected_seq=_seq(expected_seq),
            max_events=self.max_events or 0,
            state_delta=encode_event_delta(event.state_delta),
            **route_delta(event.state_delta).as_params(),
        )
        with self._append_transaction():
            row = self.db.fetch_one("sessions.append_event", params)
        if row is None or not row["session_exists"]:
            raise NotFound(f"session {_describe(params)} not found")
        if row["seq"] is None:
            raise Conflict(f"session {_describe(params)} moved past revision {expected_seq}")
        return with_seq(event, row["seq"])

    def list_app_sessions(self, app_name: str, *, user_id: str | None = None) -> list[Session]:
        """Every session of the app, or of one user of it, least recently updated first (ties
        by user_id, session_id), each with merged state and no events. Three statements,
        however many sessions."""
        params = {"app_name": _app(app_name), "user_id": None}
        if user_id is not None:
            params.update(_user_params(UserKey(app_name, user_id)))
        rows = self.db.fetch_all("sessions.list_app_sessions", params)
        app_state = {"app:" + key: value for key, value in self.list_app_states(app_name).items()}
        user_states: dict[str, dict[str, Any]] = {}
        for row in self.db.fetch_all("sessions.list_app_user_states", params):
            user_states.setdefault(row["user_id"], {})["user:" + row["key"]] = loads_stored(
                row["value"])
        return [
            _listed_session({
                "app_name": app_name,
                "user_id": row["user_id"],
                "session_id": row["session_id"],
                "created_at": row["created_at"],
                "updated_at": row["updated_at"],
                "last_seq": row["last_seq"],
                "state": {**(loads_stored(row["state"]) if row["state"] else {}), **app_state,
                          **user_states.get(row["user_id"], {})},
                "events": [],
                "summaries": {},
            })
            for row in rows
        ]

    # -- event batches (the OpenAI Agents SDK session's needs) --------------------------------

    def append_events(
        self, key: SessionKey, events: Sequence[Event], *, create_session: bool = False
    ) -> list[Event]:
        """Append `events` in order, in one transaction, creating the session first when
        `create_session` and it is missing (else NotFound, nothing written). Idempotent by
        event id like append_event: a stored or repeated id is not stored again and its event
        comes back with the stored seq. Events with a state delta are InvalidInput (use
        append_event); partial events come back unstored. Pruned to `max_events`."""
        params = _key_params(key)
        batch = _event_batch(events)
        firsts: dict[str, Event] = {}
        for event in batch:
            if not event.partial:
                firsts.setdefault(event.id, event)
        distinct = list(firsts.values())
        if not distinct and not create_session:
            return batch
        params.update(now=self.now(), max_events=self.max_events or 0,
                      create_session=create_session)
        with self._append_transaction():
            if self.db.dialect == "sqlite" and len(distinct) <= _APPEND_ONE_BY_ONE:
                rows = self._append_each(params, distinct)
            else:
                params["events"] = _encode_events(distinct)
                rows = self.db.fetch_all("sessions.append_events", params)
        if distinct and not rows[0]["session_exists"]:
            raise NotFound(f"session {_describe(params)} not found")
        seqs = {event.id: row["seq"] for event, row in zip(distinct, rows, strict=True)}
        return [event if event.partial else _with_stored_seq(event, seqs[event.id])
                for event in batch]

    def _append_each(self, params: dict[str, Any], events: list[Event]) -> list[dict[str, Any]]:
        """append_events as append_event's plain statements, in the caller's transaction: on
        SQLite a statement is a function call, and for a few events that beats the JSON script."""
        if params["create_session"]:
            self.db.execute("sessions.insert_session", params)
        rows = []
        for event in events:
            seq = self._append_in_steps({
                **params, "event_id": event.id, "invocation_id": event.invocation_id,
                "author": event.author, "filter_key": event.filter_key, "branch": event.branch,
                "timestamp": event.timestamp, "state_delta": "{}", "event_data": event.payload,
            }, RoutedDelta())
            rows.append({"session_exists": seq is not None, "seq": seq})
        return rows

    def get_event_payloads(self, key: SessionKey, *, limit: int | None = None) -> str:
        """The payloads of the session's newest `limit` events (all when None) as one JSON
        array text in sequence order, read in one statement, so a caller decodes a whole
        history with one `json.loads`. Payloads are spliced verbatim: they must be JSON texts.
        '[]' for an empty or missing session."""
        if limit is not None:
            check_limit(limit, maximum=2**31)
        row = self.db.fetch_one("sessions.get_event_payloads",
                                {**_key_params(key), "limit": limit})
        return "[]" if row is None else str(row["payloads"])

    def pop_event(self, key: SessionKey) -> Event | None:
        """Delete and return the session's newest event, atomically (two concurrent pops never
        return the same event); None when the session has no events or is missing."""
        row = self.db.fetch_one("sessions.pop_event", _key_params(key))
        return None if row is None else event_from_row(row)




_SESSION_FIELDS = frozenset(Session.model_fields)


def _listed_session(values: dict[str, Any]) -> Session:
    """A Session of values this store read, built without validation (what model_construct
    does minus its per-call bookkeeping, which dominated listing thousands of sessions)."""
    session = Session.__new__(Session)
    object.__setattr__(session, "__dict__", values)
    object.__setattr__(session, "__pydantic_fields_set__", set(_SESSION_FIELDS))
    object.__setattr__(session, "__pydantic_extra__", None)
    object.__setattr__(session, "__pydantic_private__", None)
    return session

def _by_seq(event: Event) -> int:
    return event.seq or 0


def _key_params(key: object) -> dict[str, Any]:
    if not isinstance(key, SessionKey):
        raise InvalidInput(f"expected a SessionKey, got {type(key).__name__}")
    return {"app_name": key.app_name, "user_id": key.user_id, "session_id": key.session_id}


def _user_params(key: object) -> dict[str, str]:
    if not isinstance(key, UserKey):
        raise InvalidInput(f"expected a UserKey, got {type(key).__name__}")
    return {"app_name": key.app_name, "user_id": key.user_id}


def _app(app_name: object) -> str:
    if not isinstance(app_name, str) or not app_name:
        raise InvalidInput("app_name must be a non-empty string")
    return app_name


def _seq(after_seq: object) -> int:
    if after_seq is None:
        return 0
    if not isinstance(after_seq, int) or isinstance(after_seq, bool) or after_seq < 0:
        raise InvalidInput(f"after_seq must be a non-negative integer, got {after_seq!r}")
    return after_seq


def _describe(params: Mapping[str, Any]) -> str:
    return f"({params['app_name']!r}, {params['user_id']!r}, {params['session_id']!r})"


_APPEND_ONE_BY_ONE = 8
"""Batches up to this size are appended statement by statement on SQLite (append_events)."""


def _event_batch(events: object) -> list[Event]:
    if isinstance(events, str | bytes) or not isinstance(events, Sequence):
        raise InvalidInput("append_events needs a sequence of Events")
    batch = list(events)
    for event in batch:
        if not isinstance(event, Event):
            raise InvalidInput(f"append_events needs Events, got {type(event).__name__}")
        if event.state_delta and not event.partial:
            raise InvalidInput("append_events stores no state deltas: use append_event")
    return batch


def _encode_events(events: Sequence[Event]) -> str:
    """The JSON array sessions.append_events reads. Timestamps go in the canonical UTC text,
    which SQLite stores as is and PostgreSQL casts; NUL is refused here, since inside JSON it
    would reach the database escaped, past the adapter's check."""
    rows = []
    for event in events:
        fields = (event.id, event.invocation_id, event.author, event.filter_key, event.branch,
                  event.payload)
        if any("\x00" in text for text in fields):
            raise InvalidInput("event text may not contain NUL characters")
        rows.append({"id": event.id, "invocation_id": event.invocation_id,
                     "author": event.author, "filter_key": event.filter_key,
                     "branch": event.branch, "timestamp": to_sqlite_text(event.timestamp),
                     "payload": event.payload})
    return json.dumps(rows, ensure_ascii=False)


def _with_stored_seq(event: Event, seq: int | None) -> Event:
    return event if seq is None else with_seq(event, seq)
