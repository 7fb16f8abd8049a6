"""House rules that keep the registry and the stores honest."""

from __future__ import annotations

import importlib
import pkgutil

import genie_repo
import genie_repo.stores
from genie_repo.queries import QueryRegistry
from genie_repo.stores.base import Store


def store_classes() -> list[type[Store]]:
    for module in pkgutil.iter_modules(genie_repo.stores.__path__):
        importlib.import_module(f"genie_repo.stores.{module.name}")
    importlib.import_module("genie_repo.integrations.trpc_agent")  # extra `trpc`: its own Stores
    importlib.import_module("genie_repo.integrations.adk")  # extra `adk`: its own Store
    found: list[type[Store]] = []
    pending = list(Store.__subclasses__())
    while pending:
        cls = pending.pop()
        if cls.__module__.startswith(("genie_repo.stores.", "genie_repo.integrations.")):
            found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_query_is_used_by_a_store() -> None:
    used = {name for cls in store_classes() for name in cls.QUERIES}
    registry = set(QueryRegistry("sqlite").names())
    assert registry - used == set(), "queries no store declares in QUERIES"
    assert used - registry == set(), "QUERIES naming queries that do not exist"


def test_public_names_are_exported() -> None:
    for name in genie_repo.__all__:
        assert hasattr(genie_repo, name), name
    for cls in store_classes():
        if cls.__module__.startswith("genie_repo.stores.") and not cls.__name__.startswith("_"):
            assert cls.__name__ in genie_repo.__all__, f"{cls.__name__} is not exported"
