"""`make demo`: a small agent scenario through every store, on the default SQLite database.

Uses GENIE_DB_FILE (or GENIE_DB_DSN) when set, else ~/.genie/genie.db; migrates it first.
Each scene prints what it did, so a newcomer sees the API at work in a few seconds.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta

from genie_repo.cli import main as cli_main
from genie_repo.config import Config
from genie_repo.db import Database, open_database
from genie_repo.migrate import migrate
from genie_repo.models.checkpoints import Payload, Write
from genie_repo.models.sessions import Event, SessionKey, UserKey
from genie_repo.stores.approvals import ApprovalStore
from genie_repo.stores.checkpoints import CheckpointStore
from genie_repo.stores.clarifications import ClarificationStore
from genie_repo.stores.cron import CronStore
from genie_repo.stores.memories import MemoryStore
from genie_repo.stores.sessions import SessionStore
from genie_repo.stores.short_memory import ShortMemoryStore
from genie_repo.timestamps import utc_now

Scene = Callable[[Database, str], None]


def session_scene(db: Database, run: str) -> None:
    sessions = SessionStore(db)
    key = SessionKey("demo-assistant", "alice", f"chat-{run}")
    sessions.create_session(key, {"topic": "trip", "app:model": "small", "user:lang": "en"})
    turns: list[tuple[str, str, dict[str, object]]] = [
        ("user", "Plan a weekend in Lisbon", {"city": "Lisbon"}),
        ("assistant", "Day 1: Alfama. Day 2: Belem.", {"plan_ready": True}),
        ("user", "Add a food tour", {"user:likes_food": True, "temp:draft": "..."}),
    ]
    for author, text, delta in turns:
        sessions.append_event(key, Event(author=author, payload=json.dumps({"text": text}),
                                         state_delta=delta))
    sessions.put_summary(key, "", "Weekend in Lisbon with a food tour", ["travel"])
    session = sessions.get_session(key)
    assert session is not None
    print(f"  {len(session.events)} events in order: "
          + " / ".join(json.loads(e.payload)["text"][:22] for e in session.events))
    print(f"  merged state: {session.state}")
    sessions.close()


def checkpoint_scene(db: Database, run: str) -> None:
    checkpoints = CheckpointStore(db)
    lineage, parent = f"graph-{run}", None
    state: dict[str, list[str]] = {"steps": []}
    for n, step in enumerate(("plan", "act", "review")):  # a tiny graph, no framework needed
        state["steps"].append(step)
        checkpoints.put_full(  # ids that sort in step order: the newest is the greatest id
            lineage, f"{n}-{step}-{run}", Payload(type="json", data=json.dumps(state).encode()),
            parent_id=parent, metadata={"source": "loop", "node": step},
            writes=[Write(channel="log", value=Payload(type="json", data=b'"ok"'),
                          task_id=step)],
        )
        parent = f"{n}-{step}-{run}"
    latest = checkpoints.get_tuple(lineage)
    assert latest is not None
    resumed = json.loads(latest.checkpoint.data)
    print(f"  resumed from {latest.ref.checkpoint_id}: steps {resumed['steps']}, "
          f"{len(checkpoints.list(lineage))} checkpoints kept")


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


def memory_scene(db: Database, run: str) -> None:
    memories = MemoryStore(db)
    owner = UserKey("demo-assistant", f"alice-{run}")
    for text, topics in [("Alice is vegetarian", ["food"]),
                         ("Alice prefers window seats on flights", ["travel"]),
                         ("Alice's favourite city is Lisbon", ["travel"])]:
        memories.add_memory(owner, text, topics)
    best = memories.search_memories(owner, "which seat on a flight?", limit=1)[0]
    print(f"  search 'which seat on a flight?' -> {best.memory.content!r} "
          f"(score {best.score:.2f})")


def cron_scene(db: Database, run: str) -> None:
    cron = CronStore(db)
    task = cron.upsert_from_config(f"digest-{run}", "0 8 * * *", "Send the morning digest")
    due = task.next_run_at
    assert due is not None
    others = [t for t in cron.list_tasks() if t.id != task.id and t.enabled
              and t.next_run_at is not None and t.next_run_at <= due]
    if others:  # never steal a real scheduler's runs on a database in use
        print(f"  task {task.name!r} scheduled for {due:%Y-%m-%d %H:%M} UTC (claim skipped: "
              f"{len(others)} other task(s) due first)")
        return
    claims = cron.claim_due(due, worker_id="demo")
    for claim in claims:
        cron.finish(claim.history_id, "success")
    after = cron.get(task.id)
    print(f"  task {task.name!r} claimed {len(claims)}x at {due:%H:%M} UTC, "
          f"next run {after.next_run_at:%Y-%m-%d %H:%M} UTC")


def short_memory_scene(db: Database, run: str) -> None:
    short = ShortMemoryStore(db)
    first = short.set_if_absent("seen_messages", f"msg-{run}", "1", timedelta(seconds=60))
    again = short.set_if_absent("seen_messages", f"msg-{run}", "1", timedelta(seconds=60))
    print(f"  message delivered twice: handled={first}, duplicate handled={again}")


SCENES: list[tuple[str, Scene]] = [
    ("sessions: three turns, state in app, user and session scope", session_scene),
    ("checkpoints: a three-step graph run, resumed from the latest step", checkpoint_scene),
    ("approvals: a risky tool call waits for a human", approval_scene),
    ("clarifications: the agent asks, a person answers", clarification_scene),
    ("memories: remembered facts, ranked full-text recall", memory_scene),
    ("cron: a configured task claimed by exactly one worker", cron_scene),
    ("short memory: a redelivered message is handled once", short_memory_scene),
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
