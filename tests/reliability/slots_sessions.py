"""Hostile-input slots of the session store: keys, state keys and values under every prefix,
event fields, summaries, and the keyed reads."""

from __future__ import annotations

from typing import Any

from genie_repo import Event, SessionKey, UserKey
from tests.reliability.hostile import Call, Slot, Stores, Verify, as_key

APP = "hostile-app"


def _session(stores: Stores) -> SessionKey:
    key = SessionKey(APP, "user", stores.fresh_id())
    stores.sessions.create_session(key)
    return key


def _state(stores: Stores, key: SessionKey) -> dict[str, Any]:
    session = stores.sessions.get_session(key)
    assert session is not None
    return session.state


def create_session(part: int) -> Slot:
    """The hostile value as the app name, user id or session id of a new session."""

    def slot(stores: Stores, value: Any) -> tuple[Call, Verify]:
        parts = [APP, "user", stores.fresh_id()]
        parts[part] = value

        def call() -> object:
            return stores.sessions.create_session(SessionKey(*parts))

        def verify(result: object) -> None:
            got = stores.sessions.get_session(SessionKey(*parts))
            assert got is not None and [got.app_name, got.user_id, got.session_id] == parts

        return call, verify

    return slot


def session_delta(prefix: str, key_slot: bool) -> Slot:
    """`update_session_state` with the hostile value as a (prefixed) key or as a value; the
    merged state of `get_session` must show it back under the same key, temp: never."""

    def slot(stores: Stores, value: Any) -> tuple[Call, Verify]:
        key = _session(stores)
        state_key = (prefix + value if isinstance(value, str) else as_key(value)) if key_slot else (
            prefix + "k")
        state_value = 1 if key_slot else value

        def verify(result: object) -> None:
            state = _state(stores, key)
            if prefix == "temp:":
                assert state_key not in state
            else:
                assert state[state_key] == state_value

        def call() -> object:
            stores.sessions.update_session_state(key, {state_key: state_value})
            return None

        return call, verify

    return slot


def scope_update(scope: str, key_slot: bool) -> Slot:
    """`update_app_state` / `update_user_state` with the value as a key or as a value."""

    def slot(stores: Stores, value: Any) -> tuple[Call, Verify]:
        key = _session(stores)
        state: dict[Any, Any] = {}

        def call() -> object:
            state.update({as_key(value): 1} if key_slot else {"k": value})
            if scope == "app":
                stores.sessions.update_app_state(APP, state)
            else:
                stores.sessions.update_user_state(key.user_key, state)
            return None

        def verify(result: object) -> None:
            listed = (stores.sessions.list_app_states(APP) if scope == "app"
                      else stores.sessions.list_user_states(key.user_key))
            ((k, v),) = state.items()
            bare = k[len(scope) + 1:] if k.startswith(scope + ":") else k
            assert listed[bare] == v and _state(stores, key)[f"{scope}:{bare}"] == v

        return call, verify

    return slot


def delete_state(scope: str) -> Slot:
    def slot(stores: Stores, value: Any) -> tuple[Call, Verify]:
        key = _session(stores)

        def call() -> object:
            if scope == "app":
                stores.sessions.delete_app_state(APP, value)
            elif scope == "user":
                stores.sessions.delete_user_state(key.user_key, value)
            else:
                stores.sessions.delete_session_state(key, value)
            return None

        def verify(result: object) -> None:
            assert value not in stores.sessions.list_session_states(key)

        return call, verify

    return slot


def append_event(field: str) -> Slot:
    """The hostile value in one field of an appended event (or as its state delta's key or
    value); the event must read back identical from get_session and list_events."""

    def slot(stores: Stores, value: Any) -> tuple[Call, Verify]:
        key = _session(stores)
        fields: dict[str, Any] = {"id": stores.fresh_id()}

        def call() -> object:
            if field == "delta-key":
                fields["state_delta"] = {as_key(value): 1}
            elif field == "delta-value":
                fields["state_delta"] = {"k": value}
            else:
                fields[field] = value
            return stores.sessions.append_event(key, Event(**fields))

        def verify(result: object) -> None:
            session = stores.sessions.get_session(key)
            assert session is not None and [e.seq for e in session.events] == [1]
            stored = session.events[0]
            assert stored == result == stores.sessions.list_events(key)[0]
            for name, expected in fields.items():
                if name != "id" or value:  # no id (None, ""): a uuid is assigned
                    assert getattr(stored, name) == expected, name

        return call, verify

    return slot


def put_summary(field: str) -> Slot:
    def slot(stores: Stores, value: Any) -> tuple[Call, Verify]:
        key = _session(stores)
        args: dict[str, Any] = {"filter_key": "f", "text": "summary", "topics": ["t"]}
        args[field] = [value] if field == "topics" else value

        def verify(result: object) -> None:
            text = stores.sessions.get_summary_text(key, args["filter_key"])
            assert text == args["text"]
            session = stores.sessions.get_session(key)
            assert session is not None
            assert session.summaries[args["filter_key"]].topics == list(args["topics"])

        return lambda: stores.sessions.put_summary(key, **args), verify

    return slot


def keyed_read(method: str) -> Slot:
    """Reads keyed by the hostile value: a missing key is None / empty, never an error."""

    def slot(stores: Stores, value: Any) -> tuple[Call, Verify]:
        key = _session(stores)

        def call() -> object:
            if method == "get_session":
                return stores.sessions.get_session(SessionKey(APP, "user", value))
            if method == "list_sessions":
                return stores.sessions.list_sessions(UserKey(APP, value)).sessions
            if method == "get_summary_text":
                return stores.sessions.get_summary_text(key, value)
            return stores.sessions.list_app_states(value)

        def verify(result: object) -> None:
            if method == "get_session":
                assert result is None or result.session_id == value  # type: ignore[attr-defined]
            elif method == "list_sessions":
                assert all(s.user_id == value for s in result)  # type: ignore[attr-defined]
            elif method == "get_summary_text":
                assert result is None
            else:
                assert isinstance(result, dict)

        return call, verify

    return slot


SESSION_SLOTS: dict[str, Slot] = {
    **{f"sessions.create_session(key[{p}])": create_session(p) for p in range(3)},
    **{f"sessions.update_session_state({prefix or 'plain'} {'key' if k else 'value'})":
       session_delta(prefix, k)
       for prefix in ("", "app:", "user:", "temp:") for k in (True, False)},
    **{f"sessions.update_{scope}_state({'key' if k else 'value'})": scope_update(scope, k)
       for scope in ("app", "user") for k in (True, False)},
    **{f"sessions.delete_{scope}_state": delete_state(scope)
       for scope in ("app", "user", "session")},
    **{f"sessions.append_event({f})": append_event(f)
       for f in ("id", "invocation_id", "author", "filter_key", "branch", "payload",
                 "delta-key", "delta-value")},
    **{f"sessions.put_summary({f})": put_summary(f) for f in ("filter_key", "text", "topics")},
    **{f"sessions.{m}": keyed_read(m)
       for m in ("get_session", "list_sessions", "get_summary_text", "list_app_states")},
}
