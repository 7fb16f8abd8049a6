"""Pure logic of the trpc-agent-py session backend, apart from I/O: what a caller's Session
object holds from storage (its `View`), and how `update_session` turns that object into
writes (which stored events go, which changed in place, where new ones go). No database here;
the sequence numbers themselves are `SessionStore`'s to give."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from trpc_agent_sdk.events import Event as SdkEvent

from genie_repo.errors import InvalidInput
from genie_repo.models.sessions import Event


@dataclass
class View:
    """What one caller's Session object holds from storage: the ids of the stored events it
    loaded or appended, its state (key -> canonical JSON) as last read or written, its
    conversation count, the ids of its historical events. `update_session` removes only
    stored events whose ids are here, and writes only the state keys that changed since."""

    ids: set[str] = field(default_factory=set)
    state: dict[str, str] = field(default_factory=dict)
    conversation_count: int = 0
    history_ids: set[str] = field(default_factory=set)


@dataclass
class Rewrite:
    """The event writes of one `update_session`: stored ids to drop, new JSON of stored events
    the caller changed in place, and runs of new events, each with the id of the stored event
    it goes right before (None: after all), the last run first so that placing one never
    moves a run still to be placed."""

    removed: list[str]
    changed: dict[str, str]
    runs: list[tuple[str | None, list[SdkEvent]]]


def fingerprint(value: Any) -> str:
    """A canonical text of a state value, to tell changed keys from unchanged ones."""
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return repr(value)


def to_store_event(event: SdkEvent) -> Event:
    """The session store's event for an SDK event: its JSON as payload, query columns copied."""
    delta = dict(event.actions.state_delta) if event.actions and event.actions.state_delta else {}
    return Event(
        id=event.id,
        invocation_id=event.invocation_id or "",
        author=event.author or "",
        timestamp=datetime.fromtimestamp(event.timestamp, UTC),
        filter_key=event.filter_key or "",
        branch=event.branch or "",
        state_delta=delta,
        payload=event.model_dump_json(),
    )


def plan_rewrite(
    stored: Sequence[Mapping[str, Any]],
    events: Sequence[SdkEvent],
    historical: Sequence[SdkEvent],
    view: View | None,
) -> Rewrite:
    """Diff a caller's events against the stored ones (`seq`, `event_id`, and `event_data`
    for the ids the caller holds, oldest first). Stored events the caller's view covers but
    its list no longer holds are dropped; for an object without a view, the view is the stored
    range its events span. InvalidInput if the caller reordered stored events."""
    covered = view.ids if view else _span(stored, events, historical)
    held = {event.id for event in events}
    removed = [row["event_id"] for row in stored
               if row["event_id"] in covered and row["event_id"] not in held]
    gone = set(removed)
    kept = [row for row in stored if row["event_id"] not in gone]
    seqs = {row["event_id"]: int(row["seq"]) for row in kept}
    _check_order(events, seqs)
    texts = {row["event_id"]: row["event_data"] for row in kept}
    changed = {}
    for event in events:
        if event.id in texts:
            text = event.model_dump_json()
            if text != texts[event.id]:
                changed[event.id] = text
    runs = [(None if index == len(events) else events[index].id, run)
            for index, run in reversed(_new_runs(events, seqs))]
    return Rewrite(removed=removed, changed=changed, runs=runs)


def _check_order(events: Sequence[SdkEvent], seqs: Mapping[str, int]) -> None:
    previous = 0
    for event in events:
        if event.id in seqs:
            if seqs[event.id] <= previous:
                raise InvalidInput("update_session cannot reorder stored events")
            previous = seqs[event.id]


def _new_runs(
    events: Sequence[SdkEvent], stored: Mapping[str, int]
) -> list[tuple[int, list[SdkEvent]]]:
    """The maximal runs of not-yet-stored events, each with the index of the stored event
    that follows it (len(events) for a run at the end)."""
    runs: list[tuple[int, list[SdkEvent]]] = []
    run: list[SdkEvent] = []
    for index, event in enumerate(events):
        if event.id in stored:
            if run:
                runs.append((index, run))
                run = []
        else:
            run.append(event)
    if run:
        runs.append((len(events), run))
    return runs


def _span(
    stored: Sequence[Mapping[str, Any]],
    events: Sequence[SdkEvent],
    historical: Sequence[SdkEvent],
) -> set[str]:
    """For a Session object this service did not load: the ids of the stored events between
    the first and the last one its events (active or moved to history) name."""
    named = {e.id for e in (*events, *historical)}
    positions = [i for i, row in enumerate(stored) if row["event_id"] in named]
    if not positions:
        return set()
    return {row["event_id"] for row in stored[positions[0]:positions[-1] + 1]}
