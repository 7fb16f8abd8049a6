"""`make demo`: a small agent scenario through every store, on the default SQLite database.

Uses GENIE_DB_FILE (or GENIE_DB_DSN) when set, else ~/.genie/genie.db; migrates it first.
Each scene prints what it did, so a newcomer sees the API at work in a few seconds.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

from genie_repo.cli import main as cli_main
from genie_repo.config import Config
from genie_repo.db import Database, open_database
from genie_repo.migrate import migrate
from genie_repo.stores.approvals import ApprovalStore
from genie_repo.stores.clarifications import ClarificationStore
from genie_repo.timestamps import utc_now

Scene = Callable[[Database, str], None]


def approval_scene(db: Database, run: str) -> None:
    approvals = ApprovalStore(db)
    asked = approvals.create(
        thread_id=f"thread-{run}", run_id=run, tool_name="shell",
        args='{"cmd": "rm -rf build/"}', created_by="agent", question="clean the build?",
        expires_at=utc_now() + timedelta(minutes=30),
    )
    done = approvals.resolve(asked.id, status="approved", resolved_by="alice", feedback="go")
    print(f"  approval {asked.tool_name!r} -> {done.status.value} by {done.resolved_by}")


def clarification_scene(db: Database, run: str) -> None:
    clarifications = ClarificationStore(db)
    asked = clarifications.create("Which environment should I deploy to?",
                                  sender_context=f"cli:{run}")
    answered = clarifications.answer(asked.id, "staging")
    print(f"  clarification {asked.question!r} -> {answered.answer!r}")


SCENES: list[tuple[str, Scene]] = [
    ("approvals: a risky tool call waits for a human", approval_scene),
    ("clarifications: the agent asks, a person answers", clarification_scene),
]


def main() -> None:
    config = Config.from_env()
    print(f"database: {config.display_path()}")
    applied = migrate(config)
    print(f"migrations applied: {len(applied)} ({', '.join(applied) or 'up to date'})")
    db = open_database(config)
    run = uuid.uuid4().hex[:8]
    try:
        for title, scene in SCENES:
            print(f"- {title}")
            scene(db, run)
    finally:
        db.close()
    print()
    cli_main(["status"] if not config.dsn else ["--dsn", config.dsn, "status"])


if __name__ == "__main__":
    main()
