"""A StateGraph whose nodes read and write the store, compiled with GenieCheckpointSaver and
GenieStore on one database; a new process resumes it: memories and checkpoints both survive."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from genie_repo.config import Config
from genie_repo.db import open_database
from genie_repo.integrations.langgraph import GenieCheckpointSaver
from genie_repo.integrations.langgraph_store import GenieStore

GRAPH = """
import operator
from typing import Annotated, TypedDict

from langgraph.config import get_store
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt


class State(TypedDict):
    user: str
    said: str
    recalled: Annotated[list[str], operator.add]


def remember(state: State) -> dict:
    get_store().put(("memories", state["user"]), "likes", {"text": state["said"]})
    return {"recalled": []}


def ask(state: State) -> dict:
    more = interrupt({"question": "anything else?"})
    get_store().put(("memories", state["user"]), "also", {"text": more})
    return {}


def recall(state: State) -> dict:
    found = get_store().search(("memories", state["user"]), query="tea")
    return {"recalled": sorted(item.value["text"] for item in found)}


def build(saver, store):
    graph = StateGraph(State)
    graph.add_node("remember", remember)
    graph.add_node("ask", ask)
    graph.add_node("recall", recall)
    graph.add_edge(START, "remember")
    graph.add_edge("remember", "ask")
    graph.add_edge("ask", "recall")
    graph.add_edge("recall", END)
    return graph.compile(checkpointer=saver, store=store)
"""

RESUME = GRAPH + """
import asyncio, json, sys
from langgraph.types import Command
from genie_repo.config import Config
from genie_repo.db import open_database
from genie_repo.integrations.langgraph import GenieCheckpointSaver
from genie_repo.integrations.langgraph_store import GenieStore

dialect, target = sys.argv[1], sys.argv[2]
config = Config(dsn=target) if dialect == "postgres" else Config(db_file=target)
db = open_database(config)
app = build(GenieCheckpointSaver(db), GenieStore(db))
thread = {"configurable": {"thread_id": "chat-1"}}
pending = app.get_state(thread)
result = asyncio.run(app.ainvoke(Command(resume="iced tea in summer"), thread))
print(json.dumps({"next_before": list(pending.next), "result": result}))
db.close()
"""


def test_graph_memories_and_checkpoints_survive_a_new_process(config: Config) -> None:
    namespace: dict[str, Any] = {}
    # Compiled without this module's `annotations` future so LangGraph can read State's hints.
    exec(compile(GRAPH, "<graph>", "exec", dont_inherit=True), namespace)
    db = open_database(config)
    try:
        app = namespace["build"](GenieCheckpointSaver(db), GenieStore(db))
        thread = {"configurable": {"thread_id": "chat-1"}}
        first = app.invoke({"user": "ana", "said": "green tea", "recalled": []}, thread)
        assert first["__interrupt__"][0].value == {"question": "anything else?"}
        assert app.get_state(thread).next == ("ask",)
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
    assert report["next_before"] == ["ask"]
    assert report["result"]["recalled"] == ["green tea", "iced tea in summer"]

    db = open_database(config)
    try:
        store = GenieStore(db)
        assert store.list_namespaces() == [("memories", "ana")]
        assert store.get(("memories", "ana"), "likes").value == {"text": "green tea"}  # type: ignore[union-attr]
        app = namespace["build"](GenieCheckpointSaver(db), store)
        final = app.get_state({"configurable": {"thread_id": "chat-1"}})
        assert final.next == () and final.values["recalled"] == report["result"]["recalled"]
    finally:
        db.close()
