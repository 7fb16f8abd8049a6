"""`genie-repo`: the operator's command line (also `python -m genie_repo`).

Reads `--dsn` / `--db-file` or GENIE_DB_DSN / GENIE_DB_FILE, defaulting to the embedded SQLite
file. Every command prints a readable table, or JSON with `--json`. Exit codes: 0 ok, 1 a
database error, 2 bad usage or input, 3 not found, 4 conflict, 5 database not migrated.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from genie_repo.cli import checkpoints, cleanup, hitl, memories, scheduling, schema, sessions
from genie_repo.cli.context import Unmigrated
from genie_repo.cli.render import render
from genie_repo.config import Config
from genie_repo.errors import Conflict, GenieRepoError, InvalidInput, NotFound

EXIT_ERROR, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_CONFLICT, EXIT_UNMIGRATED = 1, 2, 3, 4, 5


COMMAND_MODULES = (schema, sessions, checkpoints, memories, hitl, scheduling, cleanup)


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
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


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
