"""A private PostgreSQL instance for tests that restart or break the server.

It lives in its own temporary directory, listens only on 127.0.0.1 on a port of its own and on a
socket in that directory, so the shared server on 5432 is never touched. PostgreSQL refuses to
run as root: when the tests run as root, the server's commands run as the `postgres` user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

PASSWORD_USER = "genie_pw"


def bin_dir() -> Path:
    """Where initdb and pg_ctl live (`pg_config --bindir`, else the Debian default)."""
    found = shutil.which("pg_config")
    if found:
        out = subprocess.run([found, "--bindir"], capture_output=True, text=True, check=False)
        candidate = Path(out.stdout.strip())
        if out.returncode == 0 and (candidate / "initdb").exists():
            return candidate
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivatePostgres:
    """initdb + pg_ctl around a throwaway cluster; `stop()` is safe to call more than once."""

    def __init__(self, password: str) -> None:
        self.bin = bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="genie-private-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.password = password
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.root.chmod(0o700)
        self._started = False

    # -- commands ----------------------------------------------------------------------------

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        # Output goes to a file, never a pipe: a server started by pg_ctl inherits the pipe and
        # would keep it open, so reading it to the end would hang.
        with tempfile.TemporaryFile() as output:
            result = subprocess.run(command, stdout=output, stderr=output, timeout=90,
                                    check=False)
            output.seek(0)
            text = output.read().decode(errors="replace")
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({result.returncode}): {text}\n"
                               f"{self.server_log()}")

    def server_log(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--no-sync", "--no-instructions")
        hba = self.data / "pg_hba.conf"
        # The password user must really authenticate (scram), so its password is really sent.
        hba.write_text(
            f"host all {PASSWORD_USER} 127.0.0.1/32 scram-sha-256\n"
            "host all all 127.0.0.1/32 trust\n"
            "local all all trust\n"
        )
        self._started = True
        self._pg_ctl_start()
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN SUPERUSER PASSWORD {}").format(
                sql.Identifier(PASSWORD_USER), sql.Literal(self.password)))

    def _pg_ctl_start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 "
                   f"-c unix_socket_directories={self.root} -c max_connections=40 "
                   "-c shared_buffers=16MB -c synchronous_commit=off")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                  "-w", "-t", "60", "start")

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every session is cut, in-flight transactions roll back."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-m", "fast", "-w",
                  "-t", "60", "restart")

    def stop(self) -> None:
        if self._started and (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "60",
                          "stop")
        self._started = False
        shutil.rmtree(self.root, ignore_errors=True)

    # -- addresses ---------------------------------------------------------------------------

    def dsn(self, dbname: str, *, user: str = "postgres", password: str | None = None) -> str:
        """A URL DSN (the password percent-encoded)."""
        auth = user if password is None else f"{user}:{quote(password, safe='')}"
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{dbname}?connect_timeout=5"

    def create_database(self, name: str, *, template: str = "template1") -> str:
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        return self.dsn(name)

    def terminate_backends(self, dbname: str) -> int:
        """pg_terminate_backend on every other session of `dbname`; returns how many."""
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()", (dbname,)
            ).fetchone()
        return int(row[0]) if row else 0
