"""Entry points of the child processes the reliability tests start and kill.

Run as `python -m tests.reliability.children <command> <json arguments>` from the project root.
Children print one JSON line of results on stdout; errors are reported, never swallowed.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from genie_repo import Config, migrate, open_database
from tests.reliability.workloads import crash_unit, mixed_step

MAX_UNITS = 100_000  # a crash writer is always killed long before this; the loop stays bounded


def _config(args: dict[str, Any]) -> Config:
    return Config(db_file=args.get("db_file"), dsn=args.get("dsn"))


def _wait_for(path: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear")
        time.sleep(0.005)


def crash_writer(args: dict[str, Any]) -> None:
    """Write crash units forever; append each id to the ack file only after it returned."""
    db = open_database(_config(args))
    ack = os.open(args["ack_file"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    for n in range(MAX_UNITS):
        uid = f"{args['prefix']}-{n}"
        crash_unit(db, uid)
        os.write(ack, f"{uid}\n".encode())


def mixed_writer(args: dict[str, Any]) -> None:
    """`steps` mixed writes after all workers are ready; reports every error it met."""
    db = open_database(_config(args))
    Path(args["ready_dir"], str(args["worker"])).touch()
    _wait_for(Path(args["go_file"]), 60)
    errors: list[str] = []
    tokens: list[str] = []
    done = 0
    for i in range(args["steps"]):
        try:
            tokens += mixed_step(db, args["worker"], i)
            done += 1
        except Exception as exc:  # every error is a failure the parent reports
            errors.append(f"step {i}: {type(exc).__name__}: {exc}")
    db.close()
    print(json.dumps({"done": done, "errors": errors[:20], "error_count": len(errors),
                      "tokens": tokens}))


def migrator(args: dict[str, Any]) -> None:
    _wait_for(Path(args["go_file"]), 60)
    try:
        applied = migrate(_config(args))
    except Exception:
        print(json.dumps({"error": traceback.format_exc()}))
        raise
    print(json.dumps({"applied": applied}))


COMMANDS = {"crash-writer": crash_writer, "mixed-writer": mixed_writer, "migrate": migrator}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](json.loads(sys.argv[2]))
