"""`genie-repo`: the operator's command line (also `python -m genie_repo`).

Reads `--dsn` / `--db-file` or GENIE_DB_DSN / GENIE_DB_FILE, defaulting to the embedded SQLite
file. Every command prints a readable table, or JSON with `--json`. Exit codes: 0 ok, 1 a
database error, 2 bad usage or input, 3 not found, 4 conflict, 5 database not migrated.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from genie_repo.config import Config
from genie_repo.db import Database, open_database
from genie_repo.errors import Conflict, GenieRepoError, InvalidInput, NotFound
from genie_repo.migrate import migrate, migration_status, rollback_migrations
from genie_repo.stores.stats import StatsStore

EXIT_ERROR, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_CONFLICT, EXIT_UNMIGRATED = 1, 2, 3, 4, 5


class Unmigrated(GenieRepoError):
    """The database lacks migrations this version needs."""


Handler = Callable[[argparse.Namespace, Config], Any]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        config = _config(args)
        result = args.handler(args, config)
    except GenieRepoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return _exit_code(exc)
    if result is not None:
        print(json.dumps(result, indent=2, default=str) if args.json else render(result))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="genie-repo", description="Inspect and maintain a genie_repo database."
    )
    parser.add_argument("--dsn", help="PostgreSQL DSN (wins over --db-file; env GENIE_DB_DSN)")
    parser.add_argument(
        "--db-file", help="SQLite file (env GENIE_DB_FILE; default ~/.genie/genie.db)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    cmd = commands.add_parser("migrate", help="apply pending migrations (or show / roll back)")
    mode = cmd.add_mutually_exclusive_group()
    mode.add_argument("--status", action="store_true", help="list migrations and whether applied")
    mode.add_argument("--rollback", type=int, metavar="N", help="roll back the newest N migrations")
    cmd.set_defaults(handler=cmd_migrate)

    cmd = commands.add_parser("status", help="which database, schema version, rows and size")
    cmd.set_defaults(handler=cmd_status)
    return parser


def cmd_migrate(args: argparse.Namespace, config: Config) -> Any:
    if args.status:
        return [{"migration": s.id, "applied": s.applied} for s in migration_status(config)]
    if args.rollback is not None:
        done = rollback_migrations(config, args.rollback)
        verb = "rolled back"
    else:
        done = migrate(config)
        verb = "applied"
    if not args.json:
        for migration_id in done:
            print(f"{verb} {migration_id}")
        return f"{len(done)} migration(s) {verb} on {config.display_path()}"
    return {verb.replace(" ", "_"): done}


def cmd_status(args: argparse.Namespace, config: Config) -> Any:
    db = open_migrated(config)
    try:
        stats = StatsStore(db)
        states = migration_status(config)
        return {
            "database": config.display_path(),
            "dialect": config.dialect,
            "schema_version": states[-1].id if states else None,
            "size_bytes": stats.size_bytes(),
            "rows": stats.table_counts(),
        }
    finally:
        db.close()


def open_migrated(config: Config) -> Database:
    """Open the database, refusing one that lacks migrations (clear error, exit code 5)."""
    pending = [s.id for s in migration_status(config) if not s.applied]
    if pending:
        raise Unmigrated(
            f"{config.display_path()} is not migrated ({len(pending)} pending, first "
            f"{pending[0]}); run `genie-repo migrate`"
        )
    return open_database(config)


def render(result: Any, indent: str = "") -> str:
    """A readable rendering: tables for lists of dicts, aligned keys for dicts."""
    if isinstance(result, str):
        return result
    if isinstance(result, list):
        if not result:
            return f"{indent}(none)"
        if all(isinstance(r, dict) for r in result):
            return _table(result, indent)
        return "\n".join(f"{indent}{item}" for item in result)
    if isinstance(result, dict):
        width = max((len(str(k)) for k in result), default=0)
        lines = []
        for key, value in result.items():
            if isinstance(value, dict | list):
                lines.append(f"{indent}{key}:")
                lines.append(render(value, indent + "  "))
            else:
                lines.append(f"{indent}{str(key).ljust(width)}  {value}")
        return "\n".join(lines)
    return f"{indent}{result}"


def _table(rows: list[dict[str, Any]], indent: str) -> str:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return indent + "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True))

    return "\n".join([line(columns), line(["-" * w for w in widths]), *map(line, cells)]).rstrip()


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _config(args: argparse.Namespace) -> Config:
    env = Config.from_env()
    dsn = args.dsn or (None if args.db_file else env.dsn)
    return Config(db_file=args.db_file or env.db_file, dsn=dsn)


def _exit_code(exc: GenieRepoError) -> int:
    for kind, code in ((Unmigrated, EXIT_UNMIGRATED), (NotFound, EXIT_NOT_FOUND),
                       (Conflict, EXIT_CONFLICT), (InvalidInput, EXIT_USAGE)):
        if isinstance(exc, kind):
            return code
    return EXIT_ERROR
