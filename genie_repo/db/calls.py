"""What both adapters check before a query reaches a driver: the verb fits the query's kind,
every parameter is given, and every value is one the database can store exactly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from genie_repo.db.protocol import VERB_KINDS, Params, Row
from genie_repo.errors import InvalidInput, NotFound, QueryRegistryError
from genie_repo.queries import Query

_INT64 = range(-(2**63), 2**63)


def check_verb(query: Query, verb: str) -> None:
    if query.kind not in VERB_KINDS[verb]:
        raise QueryRegistryError(
            f"{query.name} is a :{query.kind} query and cannot run through {verb}()"
        )


def prepare(
    query: Query, verb: str, params: Params | None, on_datetime: Callable[[datetime], Any]
) -> dict[str, Any]:
    """The driver's parameters for one call: the verb must fit the query's kind, every
    parameter must be given, and every value must be one the database stores exactly.
    This runs on every call, so the common types are dispatched on `type()` first."""
    if query.kind not in VERB_KINDS[verb]:
        check_verb(query, verb)
    if params is None:
        params = {}
    out: dict[str, Any] = {}
    try:
        for key in query.params:
            value = params[key]
            kind = type(value)
            if kind is str:
                if "\x00" in value:
                    raise InvalidInput(f"{key}: text may not contain NUL characters",
                                       query=query.name)
            elif kind is int:
                if value not in _INT64:
                    raise InvalidInput(f"{key}: integer out of 64-bit range", query=query.name)
            elif kind is datetime:
                value = on_datetime(value)
            elif value is not None and kind not in (float, bool, bytes):
                value = _unusual(query, key, value, on_datetime)
            out[key] = value
    except KeyError:
        missing = sorted(query.params - params.keys())
        raise QueryRegistryError(f"{query.name} is missing parameter(s) {missing}") from None
    return out


def _unusual(query: Query, key: str, value: Any, on_datetime: Callable[[datetime], Any]) -> Any:
    """Subclasses and buffers: accepted when they are plainly one of the storable types."""
    if isinstance(value, str):
        return prepare_text(query, key, str(value))
    if isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        if int(value) not in _INT64:
            raise InvalidInput(f"{key}: integer out of 64-bit range", query=query.name)
        return int(value)
    if isinstance(value, datetime):
        return on_datetime(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise InvalidInput(
        f"{key}: cannot store a {type(value).__name__} (encode it first)", query=query.name
    )


def prepare_text(query: Query, key: str, value: str) -> str:
    if "\x00" in value:
        raise InvalidInput(f"{key}: text may not contain NUL characters", query=query.name)
    return value


def single_row(query: Query, rows: list[Row], dialect: str) -> Row | None:
    """The one row of a `:one`/`:opt` query; more than one is a bug in the query."""
    if len(rows) > 1:
        raise QueryRegistryError(f"{query.name} returned {len(rows)} rows, expected at most one")
    if not rows:
        if query.kind == "one":
            raise NotFound(f"no row for {query.name}", query=query.name, dialect=dialect)
        return None
    return rows[0]


def first_value(rows: list[Row]) -> Any:
    return next(iter(rows[0].values())) if rows else None
