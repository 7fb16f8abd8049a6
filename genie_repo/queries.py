"""The query registry: named SQL blocks loaded from `sql/<dialect>/<store>.sql`.

A block starts with `-- name: <name> :<kind>`, may carry `--` docstring lines, then SQL in the
dialect's native placeholder style (`:param` for SQLite, `%(param)s` for PostgreSQL). The full
name is `<file stem>.<name>`. Both dialects must define the same names, kinds and parameters;
every inconsistency is reported at load, in one error, each with `file:line`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from genie_repo._paths import data_dir
from genie_repo.errors import QueryRegistryError

Kind = Literal["one", "opt", "many", "scalar", "exec", "batch"]
KINDS: tuple[Kind, ...] = ("one", "opt", "many", "scalar", "exec", "batch")
DIALECTS = ("sqlite", "postgres")

_HEADER = re.compile(r"^--\s*name:\s*(?P<name>[A-Za-z_]\w*)\s*(?::(?P<kind>\w+))?\s*$")
_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")
_LINE_COMMENT = re.compile(r"--[^\n]*")
_PARAM = {
    "sqlite": re.compile(r"(?<![:\w]):([A-Za-z_]\w*)"),
    "postgres": re.compile(r"%\(([A-Za-z_]\w*)\)s"),
}


@dataclass(frozen=True)
class Query:
    name: str  # "<store>.<query>"
    kind: Kind
    sql: str
    params: frozenset[str]
    doc: str
    location: str  # "path:line", for error messages


def parse_file(path: Path, dialect: str) -> tuple[list[Query], list[str]]:
    """Parse one .sql file into queries, plus the problems found (never raises on bad SQL)."""
    queries: list[Query] = []
    problems: list[str] = []
    stem = path.stem
    current: dict[str, object] | None = None
    body: list[str] = []

    def flush() -> None:
        if current is None:
            return
        doc_lines: list[str] = []
        sql_lines = list(body)
        while sql_lines and (sql_lines[0].startswith("--") or not sql_lines[0].strip()):
            line = sql_lines.pop(0)
            if line.startswith("--"):
                doc_lines.append(line[2:].strip())
        sql = "\n".join(sql_lines).strip().rstrip(";").strip()
        where = f"{path}:{current['line']}"
        if not sql:
            problems.append(f"{where}: query {current['name']!r} has no SQL")
            return
        scan = _LINE_COMMENT.sub(" ", _STRING_LITERAL.sub("''", sql))
        queries.append(
            Query(
                name=f"{stem}.{current['name']}",
                kind=current["kind"],  # type: ignore[arg-type]
                sql=sql,
                params=frozenset(_PARAM[dialect].findall(scan)),
                doc=" ".join(doc_lines),
                location=where,
            )
        )

    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _HEADER.match(line)
        if match:
            flush()
            kind = match["kind"]
            if kind not in KINDS:
                problems.append(
                    f"{path}:{lineno}: query {match['name']!r} needs a kind, one of "
                    + ", ".join(f":{k}" for k in KINDS)
                )
                current, body = None, []
                continue
            current, body = {"name": match["name"], "kind": kind, "line": lineno}, []
        elif current is not None:
            body.append(line)
        elif line.strip() and not line.startswith("--"):
            problems.append(f"{path}:{lineno}: SQL outside a '-- name:' block")
    flush()
    return queries, problems


class QueryRegistry:
    """All queries of one dialect, checked against the other dialect at load."""

    def __init__(self, dialect: str, root: Path | None = None) -> None:
        if dialect not in DIALECTS:
            raise QueryRegistryError(f"unknown dialect {dialect!r}")
        self.dialect = dialect
        root = root or data_dir("sql")
        loaded = {d: _load_dialect(root / d, d) for d in DIALECTS}
        problems = [p for _, found in loaded.values() for p in found]
        problems += _cross_check(loaded["sqlite"][0], loaded["postgres"][0])
        if problems:
            raise QueryRegistryError(
                f"{len(problems)} problem(s) in the SQL files:\n  " + "\n  ".join(problems)
            )
        self._queries = loaded[dialect][0]

    def __getitem__(self, name: str) -> Query:
        try:
            return self._queries[name]
        except KeyError:
            raise self._unknown(name) from None

    def __contains__(self, name: object) -> bool:
        return name in self._queries

    def names(self) -> list[str]:
        return sorted(self._queries)

    def require(self, names: Iterable[str]) -> None:
        """Fail now (when a store is built) if any of these queries is missing."""
        for name in names:
            if name not in self._queries:
                raise self._unknown(name)

    def _unknown(self, name: str) -> QueryRegistryError:
        hint = difflib.get_close_matches(name, self._queries, n=1)
        suffix = f"; did you mean {hint[0]!r}?" if hint else ""
        return QueryRegistryError(f"unknown query {name!r}{suffix}", dialect=self.dialect)


def _load_dialect(folder: Path, dialect: str) -> tuple[dict[str, Query], list[str]]:
    queries: dict[str, Query] = {}
    problems: list[str] = []
    if not folder.is_dir():
        return queries, [f"{folder}: missing SQL folder"]
    for path in sorted(folder.glob("*.sql")):
        found, file_problems = parse_file(path, dialect)
        problems += file_problems
        for query in found:
            if query.name in queries:
                problems.append(
                    f"{query.location}: duplicate query {query.name!r} "
                    f"(first at {queries[query.name].location})"
                )
            else:
                queries[query.name] = query
    return queries, problems


def _cross_check(sqlite: dict[str, Query], postgres: dict[str, Query]) -> list[str]:
    problems = []
    for name in sorted(sqlite.keys() - postgres.keys()):
        problems.append(f"{sqlite[name].location}: {name!r} has no postgres twin")
    for name in sorted(postgres.keys() - sqlite.keys()):
        problems.append(f"{postgres[name].location}: {name!r} has no sqlite twin")
    for name in sorted(sqlite.keys() & postgres.keys()):
        a, b = sqlite[name], postgres[name]
        if a.kind != b.kind:
            problems.append(f"{b.location}: {name!r} is :{b.kind} here but :{a.kind} in sqlite")
        if a.params != b.params:
            problems.append(
                f"{b.location}: {name!r} parameters differ from sqlite "
                f"(sqlite {sorted(a.params)}, postgres {sorted(b.params)})"
            )
    return problems
