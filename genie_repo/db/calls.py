"""What both adapters check before a query reaches a driver: the verb fits the query's kind,
every parameter is given, and every value is one the database can store exactly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from genie_repo.db.protocol import VERB_KINDS, Params, Row
from genie_repo.errors import InvalidInput, NotFound, QueryRegistryError
from genie_repo.queries import Query
from genie_repo.timestamps import require_utc

_PLAIN = (int, float, bytes, bool, type(None))


def check_verb(query: Query, verb: str) -> None:
    if query.kind not in VERB_KINDS[verb]:
        raise QueryRegistryError(
            f"{query.name} is a :{query.kind} query and cannot run through {verb}()"
        )


def check_call(query: Query, verb: str, params: Params | None) -> Params:
    """Validate a call against its query; programming errors and bad values raise here."""
    check_verb(query, verb)
    params = params or {}
    missing = query.params - params.keys()
    if missing:
        raise QueryRegistryError(f"{query.name} is missing parameter(s) {sorted(missing)}")
    return params


def convert_params(
    query: Query, params: Params, on_datetime: Callable[[datetime], Any]
) -> dict[str, Any]:
    """Copy the parameters the query uses, rejecting text a database would mangle or refuse."""
    out: dict[str, Any] = {}
    for key in query.params:
        value = params[key]
        if isinstance(value, str):
            if "\x00" in value:
                raise InvalidInput(f"{key}: text may not contain NUL characters", query=query.name)
        elif isinstance(value, datetime):
            value = on_datetime(require_utc(value, key))
        elif isinstance(value, bytearray | memoryview):
            value = bytes(value)
        elif not isinstance(value, _PLAIN):
            raise InvalidInput(
                f"{key}: cannot store a {type(value).__name__} (encode it first)", query=query.name
            )
        if isinstance(value, int) and not isinstance(value, bool) and not (
            -(2**63) <= value < 2**63
        ):
            raise InvalidInput(f"{key}: integer out of 64-bit range", query=query.name)
        out[key] = value
    return out


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
