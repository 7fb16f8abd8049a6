"""`migrate` and `status`."""

from __future__ import annotations

import argparse
from typing import Any

from genie_repo.cli.context import migrated_database
from genie_repo.config import Config
from genie_repo.migrate import migrate, migration_status, rollback_migrations
from genie_repo.stores.stats import StatsStore


def register(commands: Any) -> None:
    cmd = commands.add_parser("migrate", help="apply pending migrations (or show / roll back)")
    mode = cmd.add_mutually_exclusive_group()
    mode.add_argument("--status", action="store_true", help="list migrations and whether applied")
    mode.add_argument("--rollback", type=int, metavar="N", help="roll back the newest N migrations")
    cmd.set_defaults(handler=cmd_migrate)

    cmd = commands.add_parser("status", help="which database, schema version, rows and size")
    cmd.set_defaults(handler=cmd_status)


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
    with migrated_database(config) as db:
        stats = StatsStore(db)
        states = migration_status(config)
        return {
            "database": config.display_path(),
            "dialect": config.dialect,
            "schema_version": states[-1].id if states else None,
            "size_bytes": stats.size_bytes(),
            "rows": stats.table_counts(),
        }
