"""`sessions list|show|delete`."""

from __future__ import annotations

import argparse
from typing import Any

from genie_repo.cli.context import dump, migrated_database
from genie_repo.config import Config
from genie_repo.errors import NotFound
from genie_repo.models.sessions import SessionKey, UserKey
from genie_repo.stores.sessions import SessionStore


def register(commands: Any) -> None:
    group = commands.add_parser("sessions", help="list, show or delete sessions")
    sub = group.add_subparsers(title="sessions commands", metavar="ACTION", required=True)

    cmd = sub.add_parser("list", help="a user's sessions, most recently updated first")
    _user_args(cmd)
    cmd.add_argument("--limit", type=int, default=50)
    cmd.add_argument("--cursor", help="the next_cursor printed by the previous page")
    cmd.set_defaults(handler=sessions_list)

    cmd = sub.add_parser("show", help="state by scope, the last events, the summary")
    _session_args(cmd)
    cmd.add_argument("--events", type=int, default=10, help="how many of the newest events")
    cmd.set_defaults(handler=sessions_show)

    cmd = sub.add_parser("delete", help="delete a session with its events, state and summaries")
    _session_args(cmd)
    cmd.set_defaults(handler=sessions_delete)


def sessions_list(args: argparse.Namespace, config: Config) -> Any:
    with migrated_database(config) as db:
        page = SessionStore(db).list_sessions(
            UserKey(args.app, args.user), limit=args.limit, cursor=args.cursor
        )
    rows = [dump(s) for s in page.sessions]
    if args.json:
        return {"sessions": rows, "next_cursor": page.next_cursor}
    table = [{k: r[k] for k in ("session_id", "updated_at", "created_at", "last_seq")}
             for r in rows]
    return table if page.next_cursor is None else {"sessions": table,
                                                   "next_cursor": page.next_cursor}


def sessions_show(args: argparse.Namespace, config: Config) -> Any:
    key = SessionKey(args.app, args.user, args.session)
    with migrated_database(config) as db:
        store = SessionStore(db)
        session = store.get_session(key, event_limit=args.events)
        if session is None:
            raise NotFound(f"session {args.app}/{args.user}/{args.session} not found")
        state = {
            "session": store.list_session_states(key),
            "user": store.list_user_states(UserKey(args.app, args.user)),
            "app": store.list_app_states(args.app),
        }
    events = [{"seq": e.seq, "author": e.author, "timestamp": e.timestamp.isoformat(),
               "payload": e.payload} for e in session.events]
    return {
        "session": f"{args.app}/{args.user}/{args.session}",
        "created_at": session.created_at.isoformat(),
        "updated_at": session.updated_at.isoformat(),
        "events_total": session.last_seq,
        "state": state,
        "summaries": {k: s.text for k, s in session.summaries.items()} or "(none)",
        "events": events,
    }


def sessions_delete(args: argparse.Namespace, config: Config) -> Any:
    with migrated_database(config) as db:
        deleted = SessionStore(db).delete_session(SessionKey(args.app, args.user, args.session))
    if not deleted:
        raise NotFound(f"session {args.app}/{args.user}/{args.session} not found")
    return {"deleted": f"{args.app}/{args.user}/{args.session}"}


def _user_args(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--app", required=True, help="app name")
    cmd.add_argument("--user", required=True, help="user id")


def _session_args(cmd: argparse.ArgumentParser) -> None:
    _user_args(cmd)
    cmd.add_argument("--session", required=True, help="session id")
