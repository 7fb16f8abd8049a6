"""GenieStore against LangGraph's InMemoryStore, on both dialects: random batches of put, delete,
get, search with filters (no query) and list_namespaces answer alike.

Known, deliberate differences the strategies steer around: InMemoryStore lists a namespace
after its last item is gone (and even one only read from), and orders search results by
insertion where we order newest first; so namespaces are compared among those holding items,
and search results as sets.
"""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langgraph.store.base import GetOp, ListNamespacesOp, MatchCondition, Op, PutOp, SearchOp
from langgraph.store.memory import InMemoryStore

from genie_repo.db import Database
from genie_repo.integrations.langgraph_store import GenieStore

SETTINGS = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40, deadline=None
)
LABELS = st.sampled_from(["a", "b", "a-b", "A", "é", "x\x01", "b c"])
KEYS = st.sampled_from(["k1", "k2", "k3", "ключ"])
VALUES = st.fixed_dictionaries(
    {"n": st.integers(-3, 3), "s": st.sampled_from(["x", "y", "Z", "x y"])},
    optional={"m": st.fixed_dictionaries({"a": st.integers(0, 2)}), "t": st.booleans()},
)
FILTERS = st.one_of(
    st.none(),
    st.fixed_dictionaries({}, optional={
        "n": st.one_of(
            st.integers(-3, 3),
            st.dictionaries(st.sampled_from(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte"]),
                            st.integers(-3, 3), min_size=1, max_size=2)),
        "s": st.one_of(st.sampled_from(["x", "y", "Z"]),
                       st.fixed_dictionaries({"$ne": st.sampled_from(["x", "y"])})),
        "m": st.fixed_dictionaries({"a": st.integers(0, 2)}),
        "t": st.booleans(),
    }),
)
PATTERN = st.lists(st.one_of(LABELS, st.just("*")), max_size=2)


@st.composite
def operations(draw: st.DrawFn, root: str) -> Op:
    namespace = (root, *draw(st.lists(LABELS, max_size=2)))
    kind = draw(st.sampled_from(["put", "put", "delete", "get", "search", "list"]))
    if kind == "put":
        return PutOp(namespace, draw(KEYS), draw(VALUES))
    if kind == "delete":
        return PutOp(namespace, draw(KEYS), None)
    if kind == "get":
        return GetOp(namespace, draw(KEYS))
    if kind == "search":
        prefix = namespace[: draw(st.integers(1, len(namespace)))]
        return SearchOp(prefix, draw(FILTERS), limit=1000)
    conditions = [MatchCondition("prefix", (root, *draw(PATTERN)))]
    suffix = draw(PATTERN)
    if suffix:
        conditions.append(MatchCondition("suffix", tuple(suffix)))
    return ListNamespacesOp(tuple(conditions), draw(st.none() | st.integers(1, 3)),
                            limit=draw(st.integers(1, 5)), offset=draw(st.integers(0, 3)))


def comparable(result: Any) -> Any:
    if result is None:
        return None
    if isinstance(result, list) and result and not isinstance(result[0], tuple):
        return sorted((i.namespace, i.key, sorted(i.value.items())) for i in result)
    if isinstance(result, list):
        return result
    return (result.namespace, result.key, result.value)


@SETTINGS
@given(data=st.data())
def test_batches_answer_as_the_in_memory_store(db: Database, data: st.DataObject) -> None:
    root = uuid.uuid4().hex
    ours, reference = GenieStore(db), InMemoryStore()
    batches = data.draw(st.lists(st.lists(operations(root), min_size=1, max_size=4),
                                 min_size=1, max_size=8))
    for batch in batches:
        for namespace in [ns for ns, items in reference._data.items() if not items]:
            del reference._data[namespace]  # the reference keeps emptied namespaces
        listed = {i: reference.batch([op])[0] for i, op in enumerate(batch)
                  if isinstance(op, ListNamespacesOp)}
        expected = reference.batch(batch)
        expected = [listed.get(i, result) for i, result in enumerate(expected)]
        assert [comparable(r) for r in ours.batch(batch)] == [comparable(r) for r in expected]
