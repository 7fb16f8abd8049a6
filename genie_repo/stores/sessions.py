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
from genie_repo.errors import InvalidInput, NotFound
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
from genie_repo.stores.base import Clock, Store
from genie_repo.stores.limits import check_limit
from genie_repo.stores.sessions_state import (
    RoutedDelta,
    decode_cursor,
    decode_state,
    decode_summaries,
    encode_cursor,
    encode_delta,
    encode_event_delta,
    event_from_row,
    matches_filter,
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
        "sessions.append_plain_event",
        "sessions.apply_state_delta",
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
        # A payload the driver cannot encode (NUL, lone surrogates) is InvalidInput from the
        # adapter, raised before anything is committed.
        params.update(
            event_id=event.id,
            invocation_id=event.invocation_id,
            author=event.author,
            filter_key=event.filter_key,
            branch=event.branch,
            timestamp=event.timestamp,
            event_data=event.payload,
            now=self.now(),
            max_events=self.max_events or 0,
        )
        if event.state_delta:
            params.update(route_delta(event.state_delta).as_params(),
                          state_delta=encode_event_delta(event.state_delta))
            query = "sessions.append_event"
        else:
            query = "sessions.append_plain_event"
        with self._append_transaction():
            row = self.db.fetch_one(query, params)
        if row is None or not row["session_exists"]:
            raise NotFound(f"session {_describe(params)} not found")
        return with_seq(event, row["seq"])

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
        """SQLite runs append_event as a multi-statement script: it needs BEGIN IMMEDIATE.
        On PostgreSQL it is one statement, atomic by itself: BEGIN/COMMIT would only add round
        trips."""
        return self.db.transaction() if self.db.dialect == "sqlite" else nullcontext()

    def _apply(self, params: dict[str, Any], routed: RoutedDelta, now: datetime) -> None:
        if routed.session or routed.app or routed.user:
            self.db.execute("sessions.apply_state_delta",
                            {**params, **routed.as_params(), "now": now})

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
        by_statement = self.db.dialect == "sqlite" and len(distinct) <= _STATEMENT_BY_STATEMENT
        if not by_statement:
            params["events"] = _encode_events(distinct)
        with self._append_transaction():
            if by_statement:
                rows = self._append_one_by_one(params, distinct)
            else:
                rows = self.db.fetch_all("sessions.append_events", params)
        if distinct and not rows[0]["session_exists"]:
            raise NotFound(f"session {_describe(params)} not found")
        seqs = {event.id: row["seq"] for event, row in zip(distinct, rows, strict=True)}
        return [event if event.partial else _with_stored_seq(event, seqs[event.id])
                for event in batch]

    def _append_one_by_one(self, params: dict[str, Any], events: list[Event]) -> list[Any]:
        """append_events as plain statements in the caller's transaction: on SQLite a
        statement is a function call, and for a few events this beats parsing a JSON batch."""
        if params["create_session"]:
            self.db.execute("sessions.insert_session", params)
        return [self.db.fetch_one("sessions.append_plain_event", {
            **params, "event_id": event.id, "invocation_id": event.invocation_id,
            "author": event.author, "filter_key": event.filter_key, "branch": event.branch,
            "timestamp": event.timestamp, "event_data": event.payload,
        }) for event in events]

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


_STATEMENT_BY_STATEMENT = 8
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
