"""Starting child processes (`children.py`) and waiting for conditions without timing asserts."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def start_child(command: str, args: dict[str, Any]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.children", command, json.dumps(args)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def finish_child(child: subprocess.Popen[str], timeout: float = 120) -> dict[str, Any]:
    """Wait for a child; its JSON report, or an AssertionError carrying its stderr."""
    out, err = child.communicate(timeout=timeout)
    assert child.returncode == 0, f"child failed ({child.returncode}):\n{err[-3000:]}"
    return dict(json.loads(out.strip().splitlines()[-1]))


def wait_until(condition: Callable[[], bool], *, seconds: float, what: str) -> None:
    """Poll `condition` until true; a bounded wait, failing with `what` if it never holds."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {seconds:.0f} s waiting for {what}")
        time.sleep(0.005)


def read_acks(path: Path) -> list[str]:
    """Complete lines only: a line without its newline was never acknowledged."""
    if not path.exists():
        return []
    text = path.read_text()
    lines = text.split("\n")
    return [line for line in lines[:-1] if line]


def wait_for_acks(child: subprocess.Popen[str], acks: Path, prefix: str, count: int) -> None:
    """Until a live child has acknowledged `count` writes whose ids start with `prefix-`."""

    def written() -> bool:
        if child.poll() is not None:
            raise AssertionError(f"writer died on its own: {child.communicate()[1][-2000:]}")
        return sum(a.startswith(prefix + "-") for a in read_acks(acks)) >= count

    wait_until(written, seconds=60, what=f"{count} acknowledged writes")
