"""The trpc backend's pure diffing (no database): what update_session drops, rewrites and
inserts, and where."""

from __future__ import annotations

from typing import Any

import pytest
from google.genai import types
from trpc_agent_sdk.events import Event

from genie_repo.errors import InvalidInput
from genie_repo.integrations.trpc_agent_views import View, plan_rewrite


def event(name: str, text: str | None = None) -> Event:
    return Event(id=name, author="user", timestamp=1.0,
                 content=types.Content(role="user", parts=[types.Part(text=text or name)]))


def rows(*names: str, held: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Stored rows as active_events returns them: JSON only for the ids the caller holds."""
    return [{"seq": i + 1, "event_id": name,
             "event_data": event(name).model_dump_json() if name in held else None}
            for i, name in enumerate(names)]


def test_drops_only_what_the_view_covers_and_the_caller_let_go() -> None:
    stored = rows("a", "b", "c", "other", held=("a", "c"))
    plan = plan_rewrite(stored, [event("a"), event("c")], [], View(ids={"a", "b", "c"}))
    assert plan.removed == ["b"]  # "other" was appended by someone else since: kept
    assert plan.changed == {} and plan.runs == []


def test_without_a_view_the_span_of_the_callers_events_is_covered() -> None:
    stored = rows("x", "a", "b", "c", "y", held=("a", "c"))
    plan = plan_rewrite(stored, [event("a"), event("c")], [], None)
    assert plan.removed == ["b"]


def test_changed_in_place_and_new_runs_last_first() -> None:
    stored = rows("a", "b", held=("a", "b"))
    events = [event("s"), event("a", "edited"), event("n1"), event("n2"), event("b"),
              event("tail")]
    plan = plan_rewrite(stored, events, [], View(ids={"a", "b"}))
    assert list(plan.changed) == ["a"]
    assert [(before, [e.id for e in run]) for before, run in plan.runs] == [
        (None, ["tail"]), ("b", ["n1", "n2"]), ("a", ["s"])]


def test_reordering_stored_events_is_invalid_input() -> None:
    stored = rows("a", "b", held=("a", "b"))
    with pytest.raises(InvalidInput):
        plan_rewrite(stored, [event("b"), event("a")], [], View(ids={"a", "b"}))
