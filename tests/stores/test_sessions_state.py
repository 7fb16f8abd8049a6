"""The session store's pure logic (no database): routing, encoding, cursors, decoding."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from genie_repo.errors import InvalidInput
from genie_repo.stores.sessions_state import (
    decode_cursor,
    encode_cursor,
    encode_delta,
    encode_event_delta,
    encode_value,
    event_from_row,
    matches_filter,
    placement,
    route_delta,
    scoped_key,
    scoped_state,
)


def test_route_delta_splits_by_prefix_and_drops_temp() -> None:
    routed = route_delta({"s": 1, "app:a": "x", "user:u": [1], "temp:t": 2, "apps": 3})
    assert routed.session == {"s": "1", "apps": "3"}
    assert routed.app == {"a": '"x"'}
    assert routed.user == {"u": "[1]"}


@pytest.mark.parametrize("delta", [
    {"": 1}, {"app:": 1}, {"user:": 1}, {1: 1}, {"k\x00": 1},
    {"k": float("inf")}, {"k": {1}}, {"k": "\udfff"}, {"k": {2: object()}},
])
def test_route_delta_rejects_what_cannot_be_stored(delta: dict[object, object]) -> None:
    with pytest.raises(InvalidInput):
        route_delta(delta)  # type: ignore[arg-type]


def test_route_delta_needs_a_mapping() -> None:
    with pytest.raises(InvalidInput):
        route_delta([("k", 1)])  # type: ignore[arg-type]


def test_scoped_keys() -> None:
    assert scoped_key("app", "app:x") == "x"
    assert scoped_key("app", "x") == "x"
    assert scoped_key("user", "user:x") == "x"
    assert scoped_key("session", "x") == "x"
    for scope, key in [("app", "user:x"), ("app", "temp:x"), ("user", "app:x"),
                       ("user", "temp:x"), ("session", "app:x"), ("session", "user:x"),
                       ("session", "temp:x")]:
        with pytest.raises(InvalidInput):
            scoped_key(scope, key)  # type: ignore[arg-type]
    assert scoped_state("user", {"user:a": 1, "b": None}) == {"a": "1", "b": "null"}


def test_encoded_delta_is_sorted_json_of_json_texts() -> None:
    text = encode_delta({"b": "2", "a": '{"x":1}'})
    assert text == '{"a":"{\\"x\\":1}","b":"2"}'
    assert json.loads(text) == {"a": '{"x":1}', "b": "2"}
    assert encode_delta({}) == "{}"


def test_encode_value_is_compact_and_keeps_unicode() -> None:
    assert encode_value("k", {"a": [1, "é"]}) == '{"a":[1,"é"]}'


def test_event_delta_drops_temp_keys() -> None:
    assert json.loads(encode_event_delta({"temp:x": 1, "app:y": 2})) == {"app:y": 2}
    assert encode_event_delta({"temp:x": 1}) == "{}"


def test_cursor_round_trip_and_rejects_garbage() -> None:
    moment = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    assert decode_cursor(encode_cursor(moment, "s:1")) == (moment, "s:1")
    for bad in ("", "!!!", "bm90IGpzb24=", encode_cursor(moment, "x")[:-4] + "AAAA"):
        with pytest.raises(InvalidInput):
            decode_cursor(bad)


def test_event_rows_with_either_timestamp_type() -> None:
    row = {"seq": 1, "event_id": "e1", "invocation_id": "i", "author": "user", "filter_key": "",
           "branch": "", "state_delta": '{"k": 1}', "event_data": '{"a": 1}'}
    from_text = event_from_row({**row, "timestamp": "2026-01-01T00:00:00.000001Z"})
    from_datetime = event_from_row({**row, "timestamp": datetime(2026, 1, 1, tzinfo=UTC)})
    assert from_text.timestamp == datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC)
    assert from_datetime.timestamp == datetime(2026, 1, 1, tzinfo=UTC)
    assert (from_text.payload, from_text.state_delta, from_text.seq) == ('{"a": 1}', {"k": 1}, 1)


def test_filter_key_hierarchy() -> None:
    assert matches_filter("anything", "")
    assert matches_filter("a", "a") and matches_filter("a/b", "a")
    assert not matches_filter("ab", "a") and not matches_filter("", "a")


def test_stored_json_decodes_exactly_like_json_loads() -> None:
    from genie_repo.stores.sessions_state import loads_stored

    for text in ('{}', '{"a":[1,2.5,null,true]}', '{"big":123456789012345678901234567890}',
                 '"x"', '[1e16, -0.0]', '{"a": 1} '):
        assert loads_stored(text) == json.loads(text)


@pytest.mark.parametrize(("count", "lower", "upper", "expected"), [
    (1, 1, 3, (2, 0)),   # a free seq between: nothing moves
    (2, 1, 4, (2, 0)),   # exactly enough room
    (2, 1, 2, (2, 2)),   # no room: upper and later move up by 2
    (3, 1, 3, (2, 2)),   # one free seq, three events
    (1, 0, 1, (1, 1)),   # before the first event
])
def test_placement_uses_free_seqs_then_moves_later_events(
    count: int, lower: int, upper: int, expected: tuple[int, int]
) -> None:
    first, shift = placement(count, lower, upper)
    assert (first, shift) == expected
    assert lower < first and first + count - 1 < upper + shift  # in order, no collision
