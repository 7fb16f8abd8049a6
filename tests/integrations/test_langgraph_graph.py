"""A real LangGraph graph on our saver: it stops at an interrupt, and a new process resumes it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from genie_repo.config import Config
from genie_repo.db import open_database
from genie_repo.integrations.langgraph import GenieCheckpointSaver

GRAPH = """
import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt


class State(TypedDict):
    text: str
    trail: Annotated[list[str], operator.add]


def draft(state: State) -> dict:
    return {"text": state["text"] + " drafted", "trail": ["draft"]}


def review(state: State) -> dict:
    verdict = interrupt({"question": "approve?", "text": state["text"]})
    return {"text": state["text"] + f" {verdict}", "trail": ["review"]}


def publish(state: State) -> dict:
    return {"text": state["text"] + " published", "trail": ["publish"]}


def build(saver):
    graph = StateGraph(State)
    graph.add_node("draft", draft)
    graph.add_node("review", review)
    graph.add_node("publish", publish)
    graph.add_edge(START, "draft")
    graph.add_edge("draft", "review")
    graph.add_edge("review", "publish")
    graph.add_edge("publish", END)
    return graph.compile(checkpointer=saver)
"""

RESUME = GRAPH + """
import asyncio, json, sys
from langgraph.types import Command
from genie_repo.config import Config
from genie_repo.db import open_database
from genie_repo.integrations.langgraph import GenieCheckpointSaver

dialect, target = sys.argv[1], sys.argv[2]
config = Config(dsn=target) if dialect == "postgres" else Config(db_file=target)
db = open_database(config)
app = build(GenieCheckpointSaver(db))
thread = {"configurable": {"thread_id": "story-1"}}
pending = app.get_state(thread)
result = asyncio.run(app.ainvoke(Command(resume="approved"), thread))
print(json.dumps({"next_before": list(pending.next), "result": result}))
db.close()
"""


def test_interrupted_graph_resumes_in_a_new_process(config: Config) -> None:
    namespace: dict[str, Any] = {}
    # The child's graph definition, compiled without this module's `annotations` future so
    # LangGraph can read the State type hints.
    exec(compile(GRAPH, "<graph>", "exec", dont_inherit=True), namespace)
    db = open_database(config)
    try:
        app = namespace["build"](GenieCheckpointSaver(db))
        thread = {"configurable": {"thread_id": "story-1"}}
        first = app.invoke({"text": "post", "trail": []}, thread)
        assert first["text"] == "post drafted"
        assert first["__interrupt__"][0].value == {"question": "approve?", "text": "post drafted"}
        assert app.get_state(thread).next == ("review",)
    finally:
        db.close()

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    done = subprocess.run(
        [sys.executable, "-c", RESUME, config.dialect, config.dsn or str(config.sqlite_path)],
        capture_output=True, text=True, cwd=root, env={**os.environ, "PYTHONPATH": root},
        timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["next_before"] == ["review"]
    assert report["result"] == {
        "text": "post drafted approved published",
        "trail": ["draft", "review", "publish"],
    }

    db = open_database(config)
    try:
        app = namespace["build"](GenieCheckpointSaver(db))
        final = app.get_state(thread)
        assert final.next == ()
        assert final.values["text"] == "post drafted approved published"
        history = list(app.get_state_history(thread))
        assert [h.metadata["step"] for h in history] == sorted(
            (h.metadata["step"] for h in history), reverse=True
        )
        assert history[-1].metadata["source"] == "input"
    finally:
        db.close()
