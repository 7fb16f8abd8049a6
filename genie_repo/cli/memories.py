"""`memories search`."""

from __future__ import annotations

import argparse
from typing import Any

from genie_repo.cli.context import dump, migrated_database
from genie_repo.config import Config
from genie_repo.models.sessions import UserKey
from genie_repo.stores.memories import MemoryStore


def register(commands: Any) -> None:
    group = commands.add_parser("memories", help="search an owner's memories")
    sub = group.add_subparsers(title="memories commands", metavar="ACTION", required=True)
    cmd = sub.add_parser("search", help="ranked full-text search, best first")
    cmd.add_argument("query")
    cmd.add_argument("--app", required=True, help="app name")
    cmd.add_argument("--user", required=True, help="user id")
    cmd.add_argument("--limit", type=int, default=10)
    cmd.add_argument("--topic", action="append", dest="topics", help="keep only this topic")
    cmd.set_defaults(handler=memories_search)


def memories_search(args: argparse.Namespace, config: Config) -> Any:
    with migrated_database(config) as db:
        hits = MemoryStore(db).search_memories(
            UserKey(args.app, args.user), args.query, limit=args.limit, topics=args.topics
        )
    if args.json:
        return [dump(h) for h in hits]
    return [{"score": round(h.score or 0.0, 4), "content": h.memory.content,
             "topics": ", ".join(h.memory.topics), "updated_at": h.updated_at.isoformat(),
             "id": h.id} for h in hits]
