"""`approvals` and `clarifications`: the human-in-the-loop queues."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from genie_repo.cli.context import dump, migrated_database
from genie_repo.config import Config
from genie_repo.stores.approvals import ApprovalStore
from genie_repo.stores.clarifications import ClarificationStore

APPROVAL_COLUMNS = ("id", "status", "tool_name", "thread_id", "created_at", "expires_at",
                    "resolved_by")
CLARIFICATION_COLUMNS = ("id", "status", "question", "created_at", "answered_at")


def register(commands: Any) -> None:
    group = commands.add_parser("approvals", help="list, resolve or expire approvals")
    sub = group.add_subparsers(title="approvals commands", metavar="ACTION", required=True)
    cmd = sub.add_parser("list", help="newest first; pending by default")
    scope = cmd.add_mutually_exclusive_group()
    scope.add_argument("--status", default="pending",
                       help="pending|approved|rejected|expired (default pending)")
    scope.add_argument("--thread", help="every approval of this thread")
    scope.add_argument("--tenant", help="every approval of this tenant")
    cmd.add_argument("--limit", type=int, default=50)
    cmd.set_defaults(handler=approvals_list)
    cmd = sub.add_parser("resolve", help="approve or reject a pending approval")
    cmd.add_argument("id")
    cmd.add_argument("decision", choices=["approved", "rejected"])
    cmd.add_argument("--by", required=True, help="who decides (recorded as resolved_by)")
    cmd.add_argument("--feedback", default="")
    cmd.set_defaults(handler=approvals_resolve)
    cmd = sub.add_parser("expire", help="expire pending approvals past their expiry")
    cmd.set_defaults(handler=approvals_expire)

    group = commands.add_parser("clarifications", help="list or expire clarifications")
    sub = group.add_subparsers(title="clarifications commands", metavar="ACTION", required=True)
    cmd = sub.add_parser("list", help="pending clarifications, oldest first")
    cmd.add_argument("--limit", type=int, default=50)
    cmd.set_defaults(handler=clarifications_list)
    cmd = sub.add_parser("expire", help="expire one clarification, or all older than --minutes")
    target = cmd.add_mutually_exclusive_group(required=True)
    target.add_argument("--id")
    target.add_argument("--minutes", type=float, help="expire pending ones asked this long ago")
    cmd.set_defaults(handler=clarifications_expire)


def approvals_list(args: argparse.Namespace, config: Config) -> Any:
    with migrated_database(config) as db:
        store = ApprovalStore(db)
        if args.thread:
            found = store.list_by_thread(args.thread, limit=args.limit)
        elif args.tenant is not None:
            found = store.list_by_tenant(args.tenant, limit=args.limit)
        else:
            found = store.list_by_status(args.status, limit=args.limit)
        return _rows(found, args.json, APPROVAL_COLUMNS)


def approvals_resolve(args: argparse.Namespace, config: Config) -> Any:
    with migrated_database(config) as db:
        resolved = ApprovalStore(db).resolve(
            args.id, status=args.decision, resolved_by=args.by, feedback=args.feedback
        )
        return dump(resolved)


def approvals_expire(args: argparse.Namespace, config: Config) -> Any:
    with migrated_database(config) as db:
        return {"expired": ApprovalStore(db).expire_stale()}


def clarifications_list(args: argparse.Namespace, config: Config) -> Any:
    with migrated_database(config) as db:
        found = ClarificationStore(db).list_pending(limit=args.limit)
        return _rows(found, args.json, CLARIFICATION_COLUMNS)


def clarifications_expire(args: argparse.Namespace, config: Config) -> Any:
    with migrated_database(config) as db:
        store = ClarificationStore(db)
        if args.id:
            return dump(store.expire(args.id))
        return {"expired": store.expire_older_than(timedelta(minutes=args.minutes))}


def _rows(models: list[Any], full: bool, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = [dump(m) for m in models]
    return rows if full else [{c: r[c] for c in columns} for r in rows]
