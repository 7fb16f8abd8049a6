"""The query registry: loading, cross-dialect checks, and unknown names."""

from __future__ import annotations

from pathlib import Path

import pytest

from genie_repo.errors import QueryRegistryError
from genie_repo.queries import DIALECTS, QueryRegistry


def write(root: Path, dialect: str, name: str, text: str) -> None:
    (root / dialect).mkdir(parents=True, exist_ok=True)
    (root / dialect / name).write_text(text)


def test_real_registry_loads_both_dialects() -> None:
    names = {d: QueryRegistry(d).names() for d in DIALECTS}
    assert names["sqlite"] == names["postgres"]
    assert "approvals.resolve" in names["sqlite"]


def test_query_parts_are_parsed(tmp_path: Path) -> None:
    write(tmp_path, "sqlite", "things.sql",
          "-- name: get :one\n-- The thing.\nSELECT * FROM t WHERE id = :id AND x = ':no';\n")
    write(tmp_path, "postgres", "things.sql",
          "-- name: get :one\n-- The thing.\nSELECT * FROM t WHERE id = %(id)s::text;\n")
    query = QueryRegistry("sqlite", tmp_path)["things.get"]
    assert (query.kind, query.params, query.doc) == ("one", frozenset({"id"}), "The thing.")
    assert query.sql.endswith("':no'")
    assert QueryRegistry("postgres", tmp_path)["things.get"].params == {"id"}


def test_every_problem_is_reported_at_once_with_locations(tmp_path: Path) -> None:
    write(tmp_path, "sqlite", "a.sql",
          "-- name: one :one\nSELECT :x;\n-- name: two :many\nSELECT 1;\n"
          "-- name: two :many\nSELECT 2;\n-- name: bad\nSELECT 3;\n")
    write(tmp_path, "postgres", "a.sql",
          "-- name: one :many\nSELECT %(y)s;\n-- name: three :exec\nDELETE FROM t;\n")
    with pytest.raises(QueryRegistryError) as info:
        QueryRegistry("sqlite", tmp_path)
    text = str(info.value)
    assert "a.sql:5: duplicate query 'a.two'" in text
    assert "a.sql:7: query 'bad' needs a kind" in text
    assert "'a.two' has no postgres twin" in text
    assert "'a.three' has no sqlite twin" in text
    assert "'a.one' is :many here but :one in sqlite" in text
    assert "parameters differ" in text


def test_unknown_query_fails_with_a_hint() -> None:
    registry = QueryRegistry("sqlite")
    with pytest.raises(QueryRegistryError, match="did you mean 'approvals.resolve'"):
        registry["approvals.reslove"]
    with pytest.raises(QueryRegistryError):
        registry.require(["approvals.find", "nope.nothing"])


def test_sql_outside_a_block_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "sqlite", "a.sql", "SELECT 1;\n")
    write(tmp_path, "postgres", "a.sql", "")
    with pytest.raises(QueryRegistryError, match="outside a '-- name:' block"):
        QueryRegistry("sqlite", tmp_path)
