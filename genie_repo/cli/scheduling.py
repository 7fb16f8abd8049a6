"""`cron list|enable|disable|history`."""

from __future__ import annotations

import argparse
from typing import Any

from genie_repo.cli.context import dump, migrated_database
from genie_repo.config import Config
from genie_repo.stores.cron import CronStore

TASK_COLUMNS = ("id", "name", "expression", "enabled", "source", "next_run_at",
                "last_triggered_at")
RUN_COLUMNS = ("id", "task_name", "status", "started_at", "finished_at", "error")


def register(commands: Any) -> None:
    group = commands.add_parser("cron", help="list, enable, disable cron tasks; run history")
    sub = group.add_subparsers(title="cron commands", metavar="ACTION", required=True)
    cmd = sub.add_parser("list", help="every task, oldest first")
    cmd.add_argument("--limit", type=int, default=1000)
    cmd.set_defaults(handler=cron_list)
    for action, enabled in (("enable", True), ("disable", False)):
        cmd = sub.add_parser(action, help=f"{action} a task (by id)")
        cmd.add_argument("id")
        cmd.set_defaults(handler=cron_set_enabled, enabled=enabled)
    cmd = sub.add_parser("history", help="recent runs, newest first (of one task with --task)")
    cmd.add_argument("--task", help="task id")
    cmd.add_argument("--limit", type=int, default=20)
    cmd.set_defaults(handler=cron_history)


def cron_list(args: argparse.Namespace, config: Config) -> Any:
    with migrated_database(config) as db:
        tasks = [dump(t) for t in CronStore(db).list_tasks(limit=args.limit)]
    return tasks if args.json else [{c: t[c] for c in TASK_COLUMNS} for t in tasks]


def cron_set_enabled(args: argparse.Namespace, config: Config) -> Any:
    with migrated_database(config) as db:
        return dump(CronStore(db).set_enabled(args.id, args.enabled))


def cron_history(args: argparse.Namespace, config: Config) -> Any:
    with migrated_database(config) as db:
        runs = [dump(r) for r in CronStore(db).list_history(args.task, limit=args.limit)]
    return runs if args.json else [{c: r[c] for c in RUN_COLUMNS} for r in runs]
