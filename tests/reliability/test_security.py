"""Secrets stay secret, files stay private, and scoped queries never cross a scope.

The password test runs against the private server, where the role really authenticates with
scram-sha-256 (so the password really travels), and greps everything the library can emit:
exception text with its whole chain, reprs, display strings, every log record of every logger
at DEBUG (psycopg and psycopg.pool included), and the CLI's stdout and stderr.
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genie_repo import (
    ApprovalStore,
    Config,
    Database,
    GenieRepoError,
    MemoryStore,
    PoolOptions,
    SessionKey,
    SessionStore,
    ShortMemoryStore,
    UserKey,
    migrate,
    open_database,
)
from tests.reliability.conftest import PRIVATE_PASSWORD
from tests.reliability.pgserver import PASSWORD_USER, PrivatePostgres
from tests.reliability.processes import ROOT

SECRET = PRIVATE_PASSWORD.split()[0]  # the unique core: found in any encoding of the password


class Evidence:
    """Everything the library said, to grep for the secret at the end."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def error(self, call: Callable[[], object]) -> GenieRepoError:
        try:
            call()
        except GenieRepoError as exc:
            self.texts += [str(exc), repr(exc), repr(exc.args),
                           "".join(traceback.format_exception(exc))]
            return exc
        raise AssertionError("expected a GenieRepoError")

    def add(self, *texts: object) -> None:
        self.texts += [str(t) for t in texts]


@pytest.fixture
def evidence(caplog: pytest.LogCaptureFixture) -> Iterator[Evidence]:
    for name in (None, "psycopg", "psycopg.pool", "genie_repo", "yoyo"):
        caplog.set_level(logging.DEBUG, logger=name)
    found = Evidence()
    yield found
    records = caplog.get_records("setup") + caplog.get_records("call")
    for record in records:
        found.add(record.getMessage(), repr(record.args), record.exc_text or "")
    leaks = [text for text in found.texts if SECRET in text]
    assert leaks == [], f"the password leaked into {len(leaks)} outputs: {leaks[0][:500]}"
    assert records, "no log records captured: the grep would prove nothing"


def password_dsns(server: PrivatePostgres, dbname: str, password: str) -> list[str]:
    """The same address as a URL and as key=value pairs (libpq quoting)."""
    return [server.dsn(dbname, user=PASSWORD_USER, password=password),
            psycopg.conninfo.make_conninfo(host="127.0.0.1", port=server.port, dbname=dbname,
                                           user=PASSWORD_USER, password=password,
                                           connect_timeout=5)]


@pytest.mark.slow
def test_the_dsn_password_never_appears_anywhere(
    private_pg: PrivatePostgres, evidence: Evidence, capfd: pytest.CaptureFixture[str]
) -> None:
    for form in range(2):  # a URL, then key=value pairs
        dbname = f"secrets_{form}"
        private_pg.create_database(dbname)
        dsn = password_dsns(private_pg, dbname, PRIVATE_PASSWORD)[form]
        assert PRIVATE_PASSWORD in psycopg.conninfo.conninfo_to_dict(dsn).values()
        config = Config(dsn=dsn, pool=PoolOptions(min_size=2, max_size=2, timeout=1))
        evidence.add(repr(config), str(config), config.display_path())
        assert "***" in config.display_path()
        migrate(config)
        migrate(config)
        db = open_database(config)
        try:
            provoke_errors(db, private_pg, dbname, evidence)
        finally:
            db.close()
        failing = [*password_dsns(private_pg, dbname, PRIVATE_PASSWORD + "-wrong"),
                   dsn.replace(str(private_pg.port), "1")]  # wrong password, nothing listening
        for bad in failing:
            evidence.error(functools.partial(open_database, Config(dsn=bad)))
            evidence.error(functools.partial(migrate, Config(dsn=bad)))
        for malformed in (dsn.replace(str(private_pg.port), "not-a-port"), dsn + " = =",
                          dsn.replace("connect_timeout", "no_such_option")):
            evidence.error(functools.partial(lambda m: open_database(Config(dsn=m)), malformed))
    wrong_url = password_dsns(private_pg, "secrets_0", "x" + PRIVATE_PASSWORD)[0]
    for given_dsn, args in ((dsn, ["status"]), (wrong_url, ["status"]),
                            (dsn, ["approvals", "resolve", "nope", "approve", "--by", "me"])):
        result = subprocess.run([sys.executable, "-m", "genie_repo", "--dsn", given_dsn, *args],
                                cwd=ROOT, capture_output=True, text=True, timeout=120,
                                check=False)
        assert result.returncode != 0 or args == ["status"], result.stderr
        evidence.add(result.stdout, result.stderr)
    out, err = capfd.readouterr()
    evidence.add(out, err)


def provoke_errors(db: Database, server: PrivatePostgres, dbname: str, evidence: Evidence) -> None:
    """Errors from every layer: the query, the value check, a killed backend, a pool that
    cannot reconnect (the role's password changed under it)."""
    store = ApprovalStore(db)
    evidence.add(repr(db), repr(store))
    store.create(id="a", thread_id="t", run_id="r", tool_name="tool")
    evidence.error(lambda: store.create(id="a", thread_id="t", run_id="r", tool_name="tool"))
    evidence.error(lambda: store.get("missing"))
    evidence.error(lambda: store.create(id="b", thread_id="t\x00", run_id="r", tool_name="x"))
    server.terminate_backends(dbname)
    evidence.error(lambda: [store.get("a") for _ in range(3)])
    with psycopg.connect(server.dsn("postgres"), autocommit=True) as admin:
        admin.execute(f"ALTER ROLE {PASSWORD_USER} PASSWORD 'changed'")
        try:
            server.terminate_backends(dbname)
            evidence.error(lambda: [store.get("a") for _ in range(3)])
        finally:
            admin.execute(psycopg.sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                psycopg.sql.Identifier(PASSWORD_USER), psycopg.sql.Literal(PRIVATE_PASSWORD)))


# -- private files ----------------------------------------------------------------------------


@pytest.fixture
def open_umask() -> Iterator[None]:
    """Permissions must not depend on the caller's umask: run with the most open one."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("open_umask")
def test_sqlite_files_are_0600_in_a_0700_directory(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "nested" / "genie.db"
    config = Config(db_file=path)
    migrate(config)
    db = open_database(config)
    try:
        ApprovalStore(db).create(id="a", thread_id="t", run_id="r", tool_name="tool")
        files = {p.name: p.stat().st_mode & 0o777 for p in path.parent.iterdir()}
        assert {"genie.db", "genie.db-wal", "genie.db-shm"} <= files.keys()
        assert files == dict.fromkeys(files, 0o600), files
        assert path.parent.stat().st_mode & 0o777 == 0o700
    finally:
        db.close()
    opened_first = tmp_path / "opened" / "genie.db"
    open_database(Config(db_file=opened_first)).close()
    assert opened_first.stat().st_mode & 0o777 == 0o600
    assert opened_first.parent.stat().st_mode & 0o777 == 0o700


# -- scoping ----------------------------------------------------------------------------------

EXAMPLES = itertools.count()
TENANTS = st.sampled_from(["acme", "globex", ""])
THREADS = st.sampled_from(["t1", "t2", "t3"])
APPROVALS = st.lists(st.tuples(TENANTS, THREADS), min_size=1, max_size=12)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=25,
          deadline=None)
@given(rows=APPROVALS)
def test_approval_queries_never_return_another_scope(
    db: Database, rows: list[tuple[str, str]]
) -> None:
    """Every example writes under its own namespace into one database, so the other examples'
    rows are there too: each scoped query must return exactly its own."""
    store = ApprovalStore(db)
    prefix = f"example-{next(EXAMPLES)}/"
    written: dict[str, tuple[str, str]] = {}
    for n, (tenant, thread) in enumerate(rows):
        approval = store.create(id=f"{prefix}{n}", tenant_id=prefix + tenant,
                                thread_id=prefix + thread, run_id="r", tool_name="tool")
        written[approval.id] = (approval.tenant_id, approval.thread_id)
    for tenant in {t for t, _ in written.values()}:
        got = {a.id for a in store.list_by_tenant(tenant, limit=10_000)}
        assert got == {i for i, (t, _) in written.items() if t == tenant}
    for thread in {t for _, t in written.values()}:
        got = {a.id for a in store.list_by_thread(thread, limit=10_000)}
        assert got == {i for i, (_, t) in written.items() if t == thread}
    for approval_id, (tenant, thread) in written.items():
        got_one = store.get(approval_id)
        assert (got_one.tenant_id, got_one.thread_id) == (tenant, thread)


SCOPES = st.sampled_from(["a", "b"])
SESSION_WRITES = st.lists(
    st.tuples(SCOPES, SCOPES, st.sampled_from(["s1", "s2"]),
              st.sampled_from(["k", "app:k", "user:k"]), st.integers(0, 9)),
    min_size=1, max_size=12)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=20,
          deadline=None)
@given(writes=SESSION_WRITES)
def test_session_queries_never_return_another_app_or_user(
    db: Database, writes: list[tuple[str, str, str, str, int]]
) -> None:
    """A model of who owns what (last write wins per scope) against every list and get."""
    sessions = SessionStore(db)
    prefix = f"example-{next(EXAMPLES)}-"
    model_sessions: dict[tuple[str, str], set[str]] = {}
    model_state: dict[tuple[str, ...], int] = {}  # (scope, owner..., key) -> value
    try:
        for app, user, session_id, key, value in writes:
            app, user = prefix + app, prefix + user
            session_key = SessionKey(app, user, session_id)
            sessions.create_session(session_key)
            sessions.update_session_state(session_key, {key: value})
            model_sessions.setdefault((app, user), set()).add(session_id)
            scope = key.split(":")[0] if ":" in key else "session"
            owner = {"app": (app,), "user": (app, user), "session": (app, user, session_id)}
            model_state[(scope, *owner[scope], key)] = value
        for (app, user), ids in model_sessions.items():
            page = sessions.list_sessions(UserKey(app, user), limit=10_000)
            assert {(s.app_name, s.user_id, s.session_id) for s in page.sessions} == {
                (app, user, i) for i in ids}
            assert sessions.list_user_states(UserKey(app, user)) == {
                k[-1][5:]: v for k, v in model_state.items() if k[:3] == ("user", app, user)}
            for session_id in ids:
                got = sessions.get_session(SessionKey(app, user, session_id))
                assert got is not None
                expected = {k[-1]: v for k, v in model_state.items()
                            if k[:-1] in (("app", app), ("user", app, user),
                                          ("session", app, user, session_id))}
                assert got.state == expected
        for app in {a for a, _ in model_sessions}:
            assert sessions.list_app_states(app) == {
                k[-1][4:]: v for k, v in model_state.items() if k[:2] == ("app", app)}
    finally:
        sessions.close()


MEMORY_WRITES = st.lists(
    st.tuples(SCOPES, SCOPES, st.lists(st.sampled_from(["alpha", "beta", "gamma"]), min_size=1,
                                       max_size=3)),
    min_size=1, max_size=10)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=20,
          deadline=None)
@given(writes=MEMORY_WRITES)
def test_memory_and_short_memory_queries_never_cross_owners(
    db: Database, writes: list[tuple[str, str, list[str]]]
) -> None:
    memories, short = MemoryStore(db), ShortMemoryStore(db)
    prefix = f"example-{next(EXAMPLES)}-"
    owned: dict[tuple[str, str], dict[str, str]] = {}  # owner -> content -> memory id
    short_model: dict[tuple[str, str], str] = {}
    try:
        for n, (app, user, words) in enumerate(writes):
            owner = UserKey(prefix + app, prefix + user)
            content = " ".join(words)
            entry = memories.add_memory(owner, content)
            owned.setdefault((owner.app_name, owner.user_id), {})[content] = entry.id
            short.set(prefix + app, user, f"{n}", timedelta(hours=1))
            short_model[(prefix + app, user)] = f"{n}"
        for (app, user), contents in owned.items():
            owner = UserKey(app, user)
            assert {e.id for e in memories.read_memories(owner, limit=10_000)} == set(
                contents.values())
            for word in ("alpha", "beta", "gamma"):
                found = {e.id for e in memories.search_memories(owner, word, limit=10_000)}
                assert found == {i for c, i in contents.items() if word in c.split()}
        for (memory_type, key), value in short_model.items():
            assert short.get(memory_type, key) == value
            assert short.count(memory_type) == sum(t == memory_type for t, _ in short_model)
    finally:
        memories.close()
