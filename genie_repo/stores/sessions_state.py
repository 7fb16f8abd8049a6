"""Pure logic of the session store, apart from I/O: state-key routing, JSON encoding of values,
list cursors and decoding of the rows `get_session` reads.

State keys: `app:k` is app state key `k`, `user:k` is user state key `k`, `temp:k` is never
persisted, anything else is session state. Every value must JSON-encode, checked before any
write; an encoded delta is a JSON object `{key: "<value JSON text>"}` with sorted keys, so
concurrent writers lock rows in the same order.
"""

from __future__ import annotations

import base64
import binascii
import json
import json.scanner
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from genie_repo.errors import InvalidInput
from genie_repo.models.sessions import Event, Summary

APP_PREFIX = "app:"
USER_PREFIX = "user:"
TEMP_PREFIX = "temp:"
Scope = Literal["app", "user", "session"]

_encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def encode_value(key: str, value: Any) -> str:
    """The JSON text of a state value; InvalidInput when it has none (NaN, sets, objects,
    lone surrogates...)."""
    try:
        text = _encoder.encode(value)
        text.encode("utf-8")
    except (TypeError, ValueError, RecursionError) as exc:
        raise InvalidInput(f"state value of {key!r} cannot be stored as JSON: {exc}") from None
    return text


def _check_key(key: object) -> str:
    if not isinstance(key, str):
        raise InvalidInput(f"state keys must be strings, got {type(key).__name__}")
    if not key:
        raise InvalidInput("state keys must not be empty")
    if "\x00" in key:
        raise InvalidInput(f"state key {key!r} contains a NUL character")
    return key


def _strip(key: str, prefix: str) -> str:
    bare = key[len(prefix):]
    if not bare:
        raise InvalidInput(f"state key {key!r} has nothing after its prefix")
    return bare


@dataclass
class RoutedDelta:
    """A state delta split by scope, prefixes stripped, values encoded as JSON text."""

    session: dict[str, str] = field(default_factory=dict)
    app: dict[str, str] = field(default_factory=dict)
    user: dict[str, str] = field(default_factory=dict)

    def as_params(self) -> dict[str, str]:
        return {
            "session_delta": encode_delta(self.session),
            "app_delta": encode_delta(self.app),
            "user_delta": encode_delta(self.user),
        }


def route_delta(delta: Mapping[str, Any]) -> RoutedDelta:
    """Split an event's (or create_session's) state delta by prefix; `temp:` keys are dropped."""
    if not isinstance(delta, Mapping):
        raise InvalidInput(f"state must be a mapping, got {type(delta).__name__}")
    routed = RoutedDelta()
    for key, value in delta.items():
        _check_key(key)
        if key.startswith(TEMP_PREFIX):
            continue
        if key.startswith(APP_PREFIX):
            routed.app[_strip(key, APP_PREFIX)] = encode_value(key, value)
        elif key.startswith(USER_PREFIX):
            routed.user[_strip(key, USER_PREFIX)] = encode_value(key, value)
        else:
            routed.session[key] = encode_value(key, value)
    return routed


_FORBIDDEN: dict[Scope, tuple[str, ...]] = {
    "app": (USER_PREFIX, TEMP_PREFIX),
    "user": (APP_PREFIX, TEMP_PREFIX),
    "session": (APP_PREFIX, USER_PREFIX, TEMP_PREFIX),
}
_OWN_PREFIX: dict[Scope, str] = {"app": APP_PREFIX, "user": USER_PREFIX, "session": ""}


def scoped_key(scope: Scope, key: object) -> str:
    """A key of one scope, its own prefix stripped; another scope's prefix is InvalidInput."""
    name = _check_key(key)
    for prefix in _FORBIDDEN[scope]:
        if name.startswith(prefix):
            raise InvalidInput(f"{scope} state cannot hold {prefix!r} key {name!r}")
    own = _OWN_PREFIX[scope]
    return _strip(name, own) if own and name.startswith(own) else name


def scoped_state(scope: Scope, state: Mapping[str, Any]) -> dict[str, str]:
    """An app or user state update: keys checked and stripped, values encoded."""
    if not isinstance(state, Mapping):
        raise InvalidInput(f"state must be a mapping, got {type(state).__name__}")
    return {scoped_key(scope, key): encode_value(key, value) for key, value in state.items()}


def encode_delta(encoded: Mapping[str, str]) -> str:
    """The parameter form of an encoded delta: a JSON object, keys sorted (lock order)."""
    return _encoder.encode({k: encoded[k] for k in sorted(encoded)}) if encoded else "{}"


def encode_list(items: Sequence[Any]) -> str:
    """A list (event ids, session key triples) as the JSON array parameter queries expand."""
    return _encoder.encode(list(items))


def encode_event_delta(delta: Mapping[str, Any]) -> str:
    """The delta stored with an event (for replay): everything except `temp:` keys."""
    kept = {k: v for k, v in delta.items() if not k.startswith(TEMP_PREFIX)}
    return _encoder.encode(kept) if kept else "{}"


# -- list_sessions cursor ---------------------------------------------------------------------


def encode_cursor(updated_at: datetime, session_id: str) -> str:
    """An opaque keyset cursor: the (updated_at, session_id) of the last row of a page."""
    raw = json.dumps([updated_at.isoformat(), session_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        stamp, session_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        moment = datetime.fromisoformat(stamp)
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        raise InvalidInput(f"not a list_sessions cursor: {cursor!r}") from None
    if moment.tzinfo is None or not isinstance(session_id, str):
        raise InvalidInput(f"not a list_sessions cursor: {cursor!r}")
    return moment, session_id


# -- rows read by get_session -----------------------------------------------------------------

_EVENT_FIELDS = frozenset(Event.model_fields)


def _trusted_event(values: dict[str, Any]) -> Event:
    """An Event from values this store wrote itself, without validation: what
    `Event.model_construct` does, minus its per-call bookkeeping, which dominated reading a
    long session. `values` must hold every field. The fields-set is complete, so sharing one
    frozen copy is safe."""
    event = Event.__new__(Event)
    object.__setattr__(event, "__dict__", values)
    object.__setattr__(event, "__pydantic_fields_set__", _EVENT_FIELDS)
    object.__setattr__(event, "__pydantic_extra__", None)
    object.__setattr__(event, "__pydantic_private__", None)
    return event


_scan_json = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]  # typeshed


def loads_stored(text: str) -> Any:
    """JSON this store wrote itself, decoded by json's C scanner directly: the same result as
    json.loads (big integers included) without its Python layers, 3x faster for the small
    state deltas every event carries."""
    if text == "{}":
        return {}
    value, end = _scan_json(text, 0)
    return value if end == len(text) else json.loads(text)


def placement(count: int, lower: int, upper: int) -> tuple[int, int]:
    """Where `count` events go between stored seqs `lower` and `upper` (lower < upper):
    (the first one's seq, how far the events from `upper` on must move up to make room)."""
    shift = max(0, count - (upper - lower - 1))
    return upper + shift - count, shift


def with_seq(event: Event, seq: int) -> Event:
    """A copy of a validated event carrying its stored sequence number (cheaper than
    `model_copy`, which append_event would pay on every call)."""
    return _trusted_event({**event.__dict__, "seq": seq})


def event_from_row(row: Mapping[str, Any]) -> Event:
    """An event from a `session_events` row (list_events, get_session). Rows written by this
    store are trusted, so they are not re-validated. (A SQLite UNION reports the declared type
    of its first branch only, so get_session's event timestamps may arrive as text.)"""
    stamp = row["timestamp"]
    return _trusted_event({
        "id": row["event_id"], "invocation_id": row["invocation_id"], "author": row["author"],
        "timestamp": stamp if isinstance(stamp, datetime) else datetime.fromisoformat(stamp),
        "filter_key": row["filter_key"], "branch": row["branch"],
        "partial": False, "state_delta": loads_stored(row["state_delta"]),
        "payload": row["event_data"], "seq": row["seq"],
    })


def decode_summaries(text: str | None) -> dict[str, Summary]:
    """Summaries from `[[filter_key, text, topics, updated_at], ...]`."""
    if not text:
        return {}
    return {
        filter_key: Summary.model_construct(
            filter_key=filter_key, text=summary, topics=topics,
            updated_at=datetime.fromisoformat(stamp),
        )
        for filter_key, summary, topics, stamp in json.loads(text)
    }


def decode_state(text: str | None) -> dict[str, Any]:
    return json.loads(text) if text else {}


def matches_filter(event_filter_key: str, filter_key: str) -> bool:
    """Whether an event belongs to a summary branch: `""` is every event; otherwise the key
    itself and its `/`-delimited descendants."""
    return (
        not filter_key
        or event_filter_key == filter_key
        or event_filter_key.startswith(filter_key + "/")
    )
