"""Fixtures of the reliability suite: a private PostgreSQL server the tests may restart."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

from genie_repo import Config, migrate
from tests.reliability.pgserver import PrivatePostgres

# Distinctive, so a grep of any captured text finds it if it ever leaks; with the characters
# that need quoting in a URL or a key=value DSN.
PRIVATE_PASSWORD = f"pw-{uuid.uuid4().hex} @:/?#%&=;'\\\""


@pytest.fixture(scope="session")
def private_pg() -> Iterator[PrivatePostgres]:
    """A throwaway cluster on its own port; stopped and deleted at teardown, even on failure."""
    server = PrivatePostgres(PRIVATE_PASSWORD)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def private_template(private_pg: PrivatePostgres) -> str:
    """A migrated database on the private server, cloned for each test that needs one."""
    migrate(Config(dsn=private_pg.create_database("genie_template")))
    return "genie_template"


@pytest.fixture
def private_config(private_pg: PrivatePostgres, private_template: str) -> Callable[[], Config]:
    """Factory: a fresh migrated database on the private server."""

    def make() -> Config:
        name = f"genie_{uuid.uuid4().hex[:12]}"
        return Config(dsn=private_pg.create_database(name, template=private_template))

    return make


@pytest.fixture
def fresh_config(
    request: pytest.FixtureRequest, make_config: Callable[[str], Config]
) -> Callable[[str], Config]:
    """Factory: a fresh migrated database. PostgreSQL ones live on the private server, so tests
    that open many connections or kill clients never crowd the shared server."""

    def make(dialect: str) -> Config:
        if dialect == "sqlite":
            return make_config("sqlite")
        factory: Callable[[], Config] = request.getfixturevalue("private_config")
        return factory()

    return make
