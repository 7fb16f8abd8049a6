"""`checkpoints list|prune`."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from genie_repo.cli.context import migrated_database
from genie_repo.config import Config
from genie_repo.errors import InvalidInput
from genie_repo.stores.checkpoints import CheckpointStore


def register(commands: Any) -> None:
    group = commands.add_parser("checkpoints", help="list or prune graph checkpoints")
    sub = group.add_subparsers(title="checkpoints commands", metavar="ACTION", required=True)

    cmd = sub.add_parser("list", help="a lineage's checkpoints, newest first")
    cmd.add_argument("lineage", help="lineage (LangGraph thread) id")
    cmd.add_argument("--ns", help="only this namespace ('' is the root); default: all")
    cmd.add_argument("--limit", type=int, default=20)
    cmd.set_defaults(handler=checkpoints_list)

    cmd = sub.add_parser("prune", help="keep the newest N of a lineage, or drop old ones")
    cmd.add_argument("lineage", nargs="?", help="the lineage to prune (with --keep-last)")
    cmd.add_argument("--keep-last", type=int, metavar="N")
    cmd.add_argument("--older-than-days", type=float, metavar="D",
                     help="every lineage: delete checkpoints older than D days")
    cmd.set_defaults(handler=checkpoints_prune)


def checkpoints_list(args: argparse.Namespace, config: Config) -> Any:
    with migrated_database(config) as db:
        page = CheckpointStore(db).list(args.lineage, ns=args.ns, limit=args.limit)
    return [
        {
            "checkpoint_id": t.ref.checkpoint_id,
            "ns": t.ref.checkpoint_ns,
            "ts": t.ts.isoformat(),
            "parent": t.parent.checkpoint_id if t.parent else "",
            "type": t.checkpoint.type,
            "bytes": len(t.checkpoint.data),
            "writes": len(t.pending_writes),
            "metadata": t.metadata,
        }
        for t in page
    ]


def checkpoints_prune(args: argparse.Namespace, config: Config) -> Any:
    with migrated_database(config) as db:
        store = CheckpointStore(db)
        if args.keep_last is not None and args.lineage:
            return {"deleted": store.prune(args.lineage, keep_last=args.keep_last)}
        if args.older_than_days is not None and not args.lineage:
            return {"deleted": store.prune_older_than(timedelta(days=args.older_than_days))}
    raise InvalidInput("give either LINEAGE --keep-last N, or --older-than-days D")
