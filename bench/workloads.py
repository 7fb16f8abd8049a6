"""The data the checkpoint benches write, the same for our saver and LangGraph's.

A step is a LangGraph checkpoint with five channels (a `messages` list of about 4 KB, like a
short conversation, and four small ones), all five bumped to a new version (every channel
written this step: the worst case for per-channel blob storage, the usual case for full
snapshots), plus three pending writes of one task.
"""

from __future__ import annotations

import itertools
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import Checkpoint, CheckpointMetadata, empty_checkpoint

CHANNELS = ("messages", "step", "plan", "files", "todo")
_TEXT = "The quick brown fox jumps over the lazy dog while the agent plans its next move. " * 12


def message(i: int) -> dict[str, Any]:
    return {"type": "ai" if i % 2 else "human", "id": f"msg-{i}", "content": _TEXT[: 900 + i % 50]}


def checkpoint(step: int, history: int = 4) -> Checkpoint:
    """Step `step`'s checkpoint; `history` messages in the messages channel."""
    cp = empty_checkpoint()
    cp["channel_values"] = {
        "messages": [message(i) for i in range(step, step + history)],
        "step": step,
        "plan": f"step {step}: read the file, then edit it",
        "files": {"main.py": f"version {step}", "README.md": "unchanged"},
        "todo": ["read", "edit", "test"],
    }
    version = f"{step + 1:032}.0"
    cp["channel_versions"] = dict.fromkeys(CHANNELS, version)
    cp["versions_seen"] = {"agent": dict.fromkeys(CHANNELS, version)}
    return cp


def metadata(step: int) -> CheckpointMetadata:
    return {"source": "loop", "step": step, "parents": {}, "run_id": "run-1"}


def new_versions(cp: Checkpoint) -> dict[str, str | int | float]:
    return dict(cp["channel_versions"])


def writes(step: int) -> list[tuple[str, Any]]:
    return [("messages", [message(step)]), ("step", step + 1), ("plan", "next: run the tests")]


def config(thread_id: str, checkpoint_id: str | None = None) -> RunnableConfig:
    configurable: dict[str, Any] = {"thread_id": thread_id, "checkpoint_ns": ""}
    if checkpoint_id is not None:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


class Steps:
    """An endless supply of successive steps for one thread (checkpoint, metadata, writes)."""

    def __init__(self, thread_id: str) -> None:
        self.thread_id = thread_id
        self._step = itertools.count()

    def next(self) -> tuple[Checkpoint, CheckpointMetadata, list[tuple[str, Any]]]:
        step = next(self._step)
        return checkpoint(step), metadata(step), writes(step)
