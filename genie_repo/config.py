"""Where the database lives and how to reach it.

A DSN selects PostgreSQL and wins over a file; without one, the embedded SQLite file is used
(`~/.genie/genie.db` by default). The DSN's password never appears in a repr or a display string.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import quote

import psycopg.conninfo

from genie_repo.errors import InvalidInput

Dialect = Literal["sqlite", "postgres"]
DEFAULT_DB_FILE = Path("~/.genie/genie.db")
ENV_DSN = "GENIE_DB_DSN"
ENV_FILE = "GENIE_DB_FILE"


@dataclass(frozen=True)
class PoolOptions:
    """psycopg_pool settings; the defaults suit one service process talking to one server."""

    min_size: int = 1
    max_size: int = 10
    timeout: float = 30.0  # seconds to wait for a free connection before TransientError
    max_lifetime: float = 300.0  # recycle connections so a failover or restart is picked up
    max_idle: float = 60.0
    connect_timeout: int = 10
    prepare_threshold: int | None = 5  # None disables server-side prepares (PgBouncer)


@dataclass(frozen=True, repr=False)
class Config:
    """Connection settings. `dsn` (PostgreSQL) wins over `db_file` (SQLite)."""

    db_file: str | os.PathLike[str] | None = None
    dsn: str | None = None
    durability: Literal["normal", "full"] = "normal"  # SQLite synchronous=NORMAL or FULL
    busy_timeout_ms: int = 15_000  # how long a SQLite writer waits for another before BUSY
    pool: PoolOptions = field(default_factory=PoolOptions)

    def __post_init__(self) -> None:
        if self.dsn is not None and not isinstance(self.dsn, str):
            raise InvalidInput("dsn must be a string")
        if self.dsn:
            self.conninfo()  # parse now: a malformed DSN fails here, not at first query
        if self.durability not in ("normal", "full"):
            raise InvalidInput("durability must be 'normal' or 'full'")
        if not isinstance(self.busy_timeout_ms, int) or self.busy_timeout_ms <= 0:
            raise InvalidInput("busy_timeout_ms must be a positive number of milliseconds")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Config:
        """Read GENIE_DB_DSN and GENIE_DB_FILE; unset or empty means not given."""
        env = os.environ if environ is None else environ
        return cls(db_file=env.get(ENV_FILE) or None, dsn=env.get(ENV_DSN) or None)

    @property
    def dialect(self) -> Dialect:
        return "postgres" if self.dsn else "sqlite"

    @property
    def sqlite_path(self) -> Path:
        """The SQLite file, with `~` expanded; the default when no file was given."""
        return Path(self.db_file or DEFAULT_DB_FILE).expanduser()

    def conninfo(self) -> dict[str, str]:
        """The DSN as libpq keywords (accepts URL and key=value forms)."""
        if not self.dsn:
            raise InvalidInput("no PostgreSQL DSN configured")
        try:
            parsed = psycopg.conninfo.conninfo_to_dict(self.dsn)
        except psycopg.ProgrammingError:
            raise InvalidInput(
                "malformed PostgreSQL DSN (not shown: it may hold a password)"
            ) from None
        return {k: str(v) for k, v in parsed.items() if v is not None}

    def password(self) -> str | None:
        return self.conninfo().get("password") if self.dsn else None

    def display_path(self) -> str:
        """For logs and status output: the file path, or the DSN with only the password masked."""
        if not self.dsn:
            return str(self.sqlite_path)
        return _url_from_conninfo("postgresql", self.conninfo(), mask_password=True)

    def yoyo_url(self) -> str:
        """The URL yoyo-migrations needs (`postgresql+psycopg://` selects psycopg 3)."""
        if not self.dsn:
            return f"sqlite:///{self.sqlite_path.resolve()}"
        return _url_from_conninfo("postgresql+psycopg", self.conninfo(), mask_password=False)

    def __repr__(self) -> str:
        return f"Config({self.dialect}: {self.display_path()})"


def _url_from_conninfo(scheme: str, info: dict[str, str], *, mask_password: bool) -> str:
    info = dict(info)
    user = info.pop("user", "")
    password = info.pop("password", None)
    host = info.pop("host", "")
    port = info.pop("port", "")
    dbname = info.pop("dbname", "")
    auth = quote(user, safe="")
    if password is not None:
        auth += ":" + ("***" if mask_password else quote(password, safe=""))
    netloc = (auth + "@" if auth else "") + (quote(host, safe="") if "/" in host else host)
    if port:
        netloc += f":{port}"
    query = "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in sorted(info.items()))
    return f"{scheme}://{netloc}/{quote(dbname, safe='')}" + (f"?{query}" if query else "")
