"""The `genie-repo` command: migrate, status, exit codes, JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from genie_repo import Config
from genie_repo.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def target(config: Config) -> list[str]:
    return ["--dsn", config.dsn] if config.dsn else ["--db-file", str(config.sqlite_path)]


def test_migrate_status_and_no_op(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db_file = str(tmp_path / "g.db")
    code, out, _ = run(capsys, "--db-file", db_file, "migrate")
    assert code == 0 and "applied 0001_approvals_clarifications" in out
    code, out, _ = run(capsys, "--db-file", db_file, "migrate")
    assert code == 0 and out.startswith("0 migration(s) applied")
    code, out, _ = run(capsys, "--db-file", db_file, "--json", "migrate", "--status")
    assert code == 0 and all(row["applied"] for row in json.loads(out))


def test_status_reports_rows_and_size(
    config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, *target(config), "--json", "status")
    assert code == 0
    status = json.loads(out)
    assert status["dialect"] == config.dialect
    assert status["rows"]["approvals"] == 0 and len(status["rows"]) == 14
    assert status["size_bytes"] > 0
    code, out, _ = run(capsys, *target(config), "status")
    assert code == 0 and "schema_version" in out and "session_events" in out


def test_unmigrated_database_is_exit_5(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--db-file", str(tmp_path / "new.db"), "status")
    assert code == 5 and "genie-repo migrate" in err


def test_unreachable_server_is_exit_1_without_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    dsn = "postgresql://postgres:hunter2@127.0.0.1:1/x?connect_timeout=2"
    code, out, err = run(capsys, "--dsn", dsn, "status")
    assert code == 1 and "hunter2" not in out + err and "127.0.0.1" in err


def test_bad_dsn_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--dsn", "host='unterminated", "status")
    assert code == 2 and "malformed" in err


def test_help_everywhere() -> None:
    for argv in (["--help"], ["migrate", "--help"], ["status", "--help"],
                 ["approvals", "--help"], ["approvals", "resolve", "--help"],
                 ["clarifications", "expire", "--help"], ["sessions", "show", "--help"],
                 ["checkpoints", "prune", "--help"], ["memories", "search", "--help"],
                 ["cron", "history", "--help"], ["cleanup", "--help"]):
        out = subprocess.run([sys.executable, "-m", "genie_repo", *argv],
                             capture_output=True, text=True, check=True).stdout
        assert "usage: genie-repo" in out


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "genie_repo.demo"], capture_output=True, text=True, check=True,
        env={"GENIE_DB_FILE": str(tmp_path / "demo.db"), "PATH": "/usr/bin:/bin"},
    ).stdout
    assert "approval 'shell' -> approved" in out
    assert "3 events in order" in out and "handled=True, duplicate handled=False" in out
    assert "schema_version" in out


def test_approvals_commands(config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    from genie_repo import ApprovalStore, open_database

    db = open_database(config)
    made = ApprovalStore(db).create(thread_id="t9", run_id="r", tool_name="deploy")
    db.close()
    code, out, _ = run(capsys, *target(config), "approvals", "list")
    assert code == 0 and made.id in out and "deploy" in out
    code, out, _ = run(capsys, *target(config), "--json", "approvals", "list", "--thread", "t9")
    assert code == 0 and json.loads(out)[0]["id"] == made.id
    code, out, _ = run(capsys, *target(config), "--json", "approvals", "resolve", made.id,
                       "approved", "--by", "ops")
    assert code == 0 and json.loads(out)["status"] == "approved"
    code, _, err = run(capsys, *target(config), "approvals", "resolve", made.id, "rejected",
                       "--by", "ops")
    assert code == 4 and "cannot be resolved" in err
    code, _, err = run(capsys, *target(config), "approvals", "resolve", "nope", "approved",
                       "--by", "ops")
    assert code == 3
    code, out, _ = run(capsys, *target(config), "--json", "approvals", "expire")
    assert code == 0 and json.loads(out) == {"expired": 0}


def test_clarifications_commands(config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    from genie_repo import ClarificationStore, open_database

    db = open_database(config)
    asked = ClarificationStore(db).create("Which region?")
    db.close()
    code, out, _ = run(capsys, *target(config), "clarifications", "list")
    assert code == 0 and "Which region?" in out
    code, out, _ = run(capsys, *target(config), "--json", "clarifications", "expire",
                       "--id", asked.id)
    assert code == 0 and json.loads(out)["status"] == "expired"
    code, out, _ = run(capsys, *target(config), "--json", "clarifications", "expire",
                       "--minutes", "10")
    assert code == 0 and json.loads(out) == {"expired": 0}
    code, out, _ = run(capsys, *target(config), "clarifications", "list")
    assert code == 0 and "(none)" in out


def test_sessions_commands(config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    from genie_repo import Event, SessionKey, SessionStore, open_database

    db = open_database(config)
    store = SessionStore(db)
    key = SessionKey("bot", "ann", "s1")
    store.create_session(key, {"topic": "x", "user:lang": "en", "app:model": "m"})
    store.append_event(key, Event(author="user", payload='{"text": "hello"}'))
    store.put_summary(key, "", "said hello")
    db.close()
    who = ["--app", "bot", "--user", "ann"]
    code, out, _ = run(capsys, *target(config), "sessions", "list", *who)
    assert code == 0 and "s1" in out
    code, out, _ = run(capsys, *target(config), "--json", "sessions", "show", *who,
                       "--session", "s1")
    shown = json.loads(out)
    assert code == 0 and shown["state"] == {"session": {"topic": "x"}, "user": {"lang": "en"},
                                            "app": {"model": "m"}}
    assert shown["events"][0]["payload"] == '{"text": "hello"}'
    assert shown["summaries"] == {"": "said hello"}
    code, out, _ = run(capsys, *target(config), "sessions", "show", *who, "--session", "s1")
    assert code == 0 and "said hello" in out
    code, _, _ = run(capsys, *target(config), "sessions", "delete", *who, "--session", "s1")
    assert code == 0
    code, _, err = run(capsys, *target(config), "sessions", "show", *who, "--session", "s1")
    assert code == 3 and "not found" in err
    code, _, _ = run(capsys, *target(config), "sessions", "delete", *who, "--session", "s1")
    assert code == 3


def test_checkpoints_commands(config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    from genie_repo import CheckpointStore, Payload, open_database

    db = open_database(config)
    store = CheckpointStore(db)
    for i in range(3):
        store.put("run-1", f"c{i}", Payload(type="json", data=b"{}"), metadata={"step": i})
    db.close()
    code, out, _ = run(capsys, *target(config), "--json", "checkpoints", "list", "run-1")
    assert code == 0 and [c["checkpoint_id"] for c in json.loads(out)] == ["c2", "c1", "c0"]
    code, out, _ = run(capsys, *target(config), "--json", "checkpoints", "prune", "run-1",
                       "--keep-last", "1")
    assert code == 0 and json.loads(out) == {"deleted": 2}
    code, out, _ = run(capsys, *target(config), "--json", "checkpoints", "prune",
                       "--older-than-days", "30")
    assert code == 0 and json.loads(out) == {"deleted": 0}
    code, _, err = run(capsys, *target(config), "checkpoints", "prune", "run-1")
    assert code == 2 and "--keep-last" in err


def test_memories_cron_and_cleanup_commands(
    config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import timedelta

    from genie_repo import (
        ApprovalStore,
        CronStore,
        MemoryStore,
        ShortMemoryStore,
        UserKey,
        open_database,
    )
    from genie_repo.timestamps import utc_now

    db = open_database(config)
    MemoryStore(db).add_memory(UserKey("bot", "ann"), "Prefers tea over coffee", ["drinks"])
    task = CronStore(db).create_task("nightly", "0 3 * * *", "compact the logs")
    ApprovalStore(db).create(thread_id="t", run_id="r", tool_name="x",
                             expires_at=utc_now() - timedelta(minutes=1))
    ShortMemoryStore(db, clock=lambda: utc_now() - timedelta(hours=1)).set(
        "seen", "m1", "1", timedelta(minutes=1))
    db.close()
    code, out, _ = run(capsys, *target(config), "memories", "search", "TEA", "--app", "bot",
                       "--user", "ann")
    assert code == 0 and "Prefers tea over coffee" in out
    code, out, _ = run(capsys, *target(config), "--json", "cron", "list")
    assert code == 0 and json.loads(out)[0]["name"] == "nightly"
    code, out, _ = run(capsys, *target(config), "--json", "cron", "disable", task.id)
    assert code == 0 and json.loads(out)["enabled"] is False
    code, out, _ = run(capsys, *target(config), "--json", "cron", "enable", task.id)
    assert code == 0 and json.loads(out)["enabled"] is True
    code, out, _ = run(capsys, *target(config), "cron", "history", "--task", task.id)
    assert code == 0 and "(none)" in out
    code, out, _ = run(capsys, *target(config), "--json", "cleanup")
    assert code == 0 and json.loads(out) == {
        "approvals_expired": 1, "short_memories_purged": 1, "store_items_purged": 0,
        "checkpoints_pruned": 0, "cron_runs_pruned": 0}
    code, _, err = run(capsys, *target(config), "cleanup", "--keep-last", "3")
    assert code == 2 and "go together" in err
