"""`cleanup`: the housekeeping a deployment schedules (cron, a timer, a sidecar)."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from genie_repo.cli.context import migrated_database
from genie_repo.config import Config
from genie_repo.errors import InvalidInput
from genie_repo.stores.approvals import ApprovalStore
from genie_repo.stores.checkpoints import CheckpointStore
from genie_repo.stores.cron import CronStore
from genie_repo.stores.items import ItemStore
from genie_repo.stores.short_memory import ShortMemoryStore


def register(commands: Any) -> None:
    cmd = commands.add_parser(
        "cleanup",
        help="expire stale approvals, purge expired short memories and store items, prune old "
        "checkpoints and cron history",
    )
    cmd.add_argument("--checkpoint-days", type=float, default=30.0,
                     help="delete checkpoints older than this many days (default 30)")
    cmd.add_argument("--keep-last", type=int, metavar="N",
                     help="also keep only the newest N checkpoints of --lineage")
    cmd.add_argument("--lineage", help="the lineage --keep-last applies to")
    cmd.add_argument("--history-days", type=float, default=30.0,
                     help="delete cron runs older than this many days (default 30)")
    cmd.set_defaults(handler=cleanup)


def cleanup(args: argparse.Namespace, config: Config) -> Any:
    if (args.keep_last is None) != (args.lineage is None):
        raise InvalidInput("--keep-last and --lineage go together")
    with migrated_database(config) as db:
        done = {
            "approvals_expired": ApprovalStore(db).expire_stale(),
            "short_memories_purged": ShortMemoryStore(db).cleanup(),
            "store_items_purged": ItemStore(db).sweep_expired(),
            "checkpoints_pruned": CheckpointStore(db).prune_older_than(
                timedelta(days=args.checkpoint_days)),
            "cron_runs_pruned": CronStore(db).prune_history(timedelta(days=args.history_days)),
        }
        if args.lineage:
            done["checkpoints_pruned"] += CheckpointStore(db).prune(
                args.lineage, keep_last=args.keep_last)
        return done
